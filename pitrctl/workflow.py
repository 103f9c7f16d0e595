"""Render the restore workflow's Step Functions definition exactly as Terraform does.

``templates/workflow.asl.json.tftpl`` (package data: ``pitrctl/templates``) uses only
``${name}`` substitutions (no directives, no expressions), so Terraform's ``templatefile`` and this
renderer produce the same text from the same map: ``pitrctl rehearse`` and the tests run the
definition Terraform deploys.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

# Package data: pitrctl/templates/*.tftpl are symbolic links to the files in templates/
# that Terraform's templatefile reads, so there is one file, which a wheel carries as a copy.
TEMPLATES = Path(str(resources.files("pitrctl") / "templates"))
TEMPLATE = TEMPLATES / "workflow.asl.json.tftpl"
EVENT_PATTERN_TEMPLATE = TEMPLATES / "event_pattern.json.tftpl"

# The map the module passes to templatefile (restore_workflow.tf, local.workflow_values).
TEMPLATE_KEYS = (
    "cutover_reminder_seconds",
    "partition",
    "settings_json",
    "settings_sync_function_arn",
    "source_table_name",
    "steps_function_arn",
    "stream_mapping_uuid",
    "waiter_function_arn",
)

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SUBSTITUTION = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # "$${" is templatefile's escape
_UNSUPPORTED = re.compile(r"%\{|\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")


class TemplateError(ValueError):
    """The template or the values do not fit the ``${name}``-only contract."""


def _as_terraform_string(value: Any) -> str:
    # templatefile interpolates strings as-is, numbers in their shortest form, bools as true/false.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(value)
    if isinstance(value, str):
        return value
    raise TemplateError(f"template values must be strings, numbers or bools, not {type(value).__name__}")


def render_text(template: str, values: dict[str, Any]) -> str:
    """Substitute every ``${name}``; refuse missing or unused names and anything but ``${name}``."""
    if _UNSUPPORTED.search(template.replace("$${", "")):
        raise TemplateError("the template may hold only ${name} substitutions (no directives or expressions)")
    names = set(_PLACEHOLDER.findall(template.replace("$${", "")))
    missing, unused = names - set(values), set(values) - names
    if missing or unused:
        raise TemplateError(f"template values: missing {sorted(missing)}, unused {sorted(unused)}")
    return _SUBSTITUTION.sub(
        lambda m: "${" if m.group(1) is None else _as_terraform_string(values[m.group(1)]), template
    )


def render(values: dict[str, Any], template_path: Path = TEMPLATE) -> str:
    """The definition text for ``values`` (keys: ``TEMPLATE_KEYS``)."""
    return render_text(template_path.read_text(), values)


def definition(values: dict[str, Any], template_path: Path = TEMPLATE) -> dict[str, Any]:
    """The definition as a JSON object."""
    return json.loads(render(values, template_path))


def values(
    *,
    source_table_name: str,
    waiter_function_arn: str,
    steps_function_arn: str,
    settings_sync_function_arn: str,
    stream_mapping_uuid: str,
    settings: dict[str, bool] | None = None,
    cutover_reminder_hours: float = 24,
    cutover_reminder_seconds: int | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """The template map, built the way the module builds ``local.workflow_values``."""
    seconds = (
        cutover_reminder_seconds
        if cutover_reminder_seconds is not None
        else int(cutover_reminder_hours * 3600)
    )
    return {
        "cutover_reminder_seconds": seconds,
        # Service integration ARNs ("arn:<partition>:states:::lambda:invoke") name the partition.
        "partition": partition,
        "settings_json": json.dumps(settings or {}, separators=(",", ":"), sort_keys=True),
        "settings_sync_function_arn": settings_sync_function_arn,
        "source_table_name": source_table_name,
        "steps_function_arn": steps_function_arn,
        "stream_mapping_uuid": stream_mapping_uuid,
        "waiter_function_arn": waiter_function_arn,
    }
