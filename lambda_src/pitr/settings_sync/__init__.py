"""settings_sync: copies the settings a point-in-time restore drops from the source to the target.

Handler ``pitr.settings_sync.handler``. Input::

    {"source_table": "orders", "target_table": "orders-restored-1", "phase": "restore" | "cutover",
     "settings": {"alarms": false, ...}, "exclude_mapping_uuids": ["..."],
     "warm_write_units_per_second": 40000}

``warm_write_units_per_second`` (optional) is what the replay backlog needs; the target is pre-warmed
to it, bounded by the deployment's ``warm_throughput_max_write_units_per_second``, when that is above the
source's.

Environment (``SettingsSyncConfig``, all set by Terraform): ``SOURCE_TABLE_NAME``,
``TARGET_TABLE_NAME_PATTERN``, ``SETTINGS_SWITCHES`` (a JSON object of the deployment's switches over
the catalogue's defaults; the input's ``settings`` override them per call), ``SETTINGS_OPTIONS`` (a
JSON object: ``warm_throughput_max_write_units_per_second``, default 0 = never above the source's,
and ``add_replicas_after_cutover``, default false). A missing or invalid one fails the call before
any AWS call, naming it.
The output is a small summary (counts, failures, actions for the operator); every item's result is
logged. The handler raises only on bad input or configuration, before any change.

Adding a copied setting (four files; ``make package docs`` then regenerates the Lambda package and
the docs table):

1. ``lambda_src/pitr/settings_sync/<name>.py``: ``NAME``, ``PHASE``, ``sync(ctx)`` yielding one
   ``Result`` per item (``preview(ctx)`` too for a cut-over setting), its docstring quoting the AWS
   documentation it relies on. ``ttl.py`` is the model.
2. ``runner.py``: import it and give it its place in ``SETTINGS`` (the order settings run in).
3. ``catalogue.json``: its entry at the same place (fields in the file's ``about``): the switch's
   default, what the restore drops, the one-line description the docs table shows, and the DynamoDB
   actions its code calls. Terraform takes the switch, its validation and the role's DynamoDB grants
   from there, and tests/test_iam_per_call.py the calls to check.
4. ``pitrctl/sim/worlds.py``: give the simulated source the setting (``build``) and read it back
   (``settings_of``); the shared tests in tests/settings_sync (full copy, second run unchanged, each
   switch off) and ``pitrctl rehearse`` then cover it. Edge cases beyond those (a conflicting
   target, an AWS limit) are worth a test in ``tests/settings_sync/test_aws_semantics.py``.

A call to another service than DynamoDB also needs its grant, with a comment, in ``settings_sync.tf``
and a line in ``CALLS`` (tests/test_iam_per_call.py); an API moto lacks, a fake in
``pitrctl/sim/dynamodb_extras.py``. tests/settings_sync/test_catalogue.py says what is missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pitr import environment
from pitr.patterns import check_target

from .catalogue import DEFAULTS, NAMES
from .context import SyncContext, error_code
from .runner import PHASES, sync

# Left for logging the summary and returning it after the deadline the settings run against.
TIME_MARGIN_SECONDS = 15.0


# Terraform's sync_options; trigger_filter_kms_key_arns only shapes the function's IAM policy.
_OPTION_DEFAULTS: dict[str, Any] = {
    "trigger_filter_kms_key_arns": [],
    "warm_throughput_max_write_units_per_second": 0,
    "add_replicas_after_cutover": False,
}

_INPUT_FIELDS = frozenset(
    {
        "source_table",
        "target_table",
        "phase",
        "settings",
        "exclude_mapping_uuids",
        "warm_write_units_per_second",
    }
)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where} must be a whole number >= 0, not {value!r}")
    return value


class InputError(ValueError):
    """The event cannot be used; nothing was changed."""


@dataclass(frozen=True)
class Request:
    source_table: str
    target_table: str
    phase: str
    switches: dict[str, bool]
    exclude_mapping_uuids: frozenset[str]
    warm_write_units_per_second: int = 0
    warm_write_units_max: int = 0
    add_replicas: bool = False


def _switches(value: Any, where: str) -> dict[str, bool]:
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must be an object of setting name to true/false")
    unknown = sorted(set(value) - set(NAMES))
    if unknown:
        raise InputError(f"{where} names unknown settings {unknown}; known: {', '.join(NAMES)}")
    wrong = sorted(k for k, v in value.items() if not isinstance(v, bool))
    if wrong:
        raise InputError(f"{where}: {', '.join(wrong)} must be true or false")
    return dict(value)


def _options(text: str) -> dict[str, Any]:
    """The deployment's SETTINGS_OPTIONS (Terraform sync_options), with their defaults."""
    try:
        given = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"SETTINGS_OPTIONS is not JSON: {exc}") from exc
    if not isinstance(given, Mapping):
        raise InputError("SETTINGS_OPTIONS must be an object")
    options = {**_OPTION_DEFAULTS, **given}
    if not isinstance(options["add_replicas_after_cutover"], bool):
        raise InputError("SETTINGS_OPTIONS: add_replicas_after_cutover must be true or false")
    ceiling = options["warm_throughput_max_write_units_per_second"]
    if isinstance(ceiling, float) and ceiling.is_integer():
        ceiling = int(ceiling)  # Terraform numbers arrive as JSON numbers, possibly 40000.0
    options["warm_throughput_max_write_units_per_second"] = _count(
        ceiling, "SETTINGS_OPTIONS: warm_throughput_max_write_units_per_second"
    )
    return options


@dataclass(frozen=True)
class SettingsSyncConfig(environment.Configuration):
    """settings_sync's environment: a field per variable of its contract (:mod:`pitr.environment`).

    ``from_env`` requires every variable (Terraform sets them all); the two JSON ones are checked as
    the configuration is built, so a bad one fails the first call, before any AWS call, naming it.
    """

    handler = "pitr.settings_sync.handler"

    source_table_name: str
    target_table_name_pattern: str
    # The deployment's switches (setting name => copy it, names from catalogue.json), JSON.
    settings_switches: str
    # Terraform's sync_options (the warm throughput ceiling, the replica switch), JSON.
    settings_options: str

    def __post_init__(self) -> None:
        self.switches()
        self.options()

    def _invalid(self, name: str, exc: Exception) -> environment.ConfigurationError:
        return environment.ConfigurationError(
            f"{self.handler}: environment variable {name} is invalid ({exc}); Terraform sets it for this "
            "function: redeploy the module (or correct the function's configuration if it was edited by hand)"
        )

    def switches(self) -> dict[str, bool]:
        """The deployment's switches over the catalogue's defaults."""
        try:
            given = _switches(json.loads(self.settings_switches), "SETTINGS_SWITCHES")
        except (json.JSONDecodeError, InputError) as exc:
            raise self._invalid("SETTINGS_SWITCHES", exc) from exc
        return {**DEFAULTS, **given}

    def options(self) -> dict[str, Any]:
        try:
            return _options(self.settings_options)
        except InputError as exc:
            raise self._invalid("SETTINGS_OPTIONS", exc) from exc


def parse(event: Any, env: Mapping[str, str] | None = None) -> Request:
    """Validate the event against the function's configuration (``SettingsSyncConfig``, from ``env``,
    the process environment by default): InputError says what to fix in the event,
    ``environment.ConfigurationError`` which variable of the deployment is wrong."""
    config = SettingsSyncConfig.from_env(env)
    source, pattern = config.source_table_name, config.target_table_name_pattern
    if not isinstance(event, Mapping):
        raise InputError(
            "the input must be an object {source_table, target_table, phase, settings, exclude_mapping_uuids}"
        )
    unknown = sorted(set(event) - _INPUT_FIELDS)
    if unknown:
        raise InputError(f"unknown input fields {unknown}")
    given_source = event.get("source_table", source)
    if given_source != source:
        raise InputError(f"this function copies settings of {source!r}, not {given_source!r}")
    target = event.get("target_table")
    if not isinstance(target, str) or not target:
        raise InputError("target_table (the restored table's name) is required")
    check_target(source, target, pattern)
    phase = event.get("phase")
    if phase not in PHASES:
        raise InputError(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
    overrides = _switches(event.get("settings") or {}, "settings")
    switches = {**config.switches(), **overrides}
    exclude = event.get("exclude_mapping_uuids") or []
    if not isinstance(exclude, list) or not all(isinstance(u, str) for u in exclude):
        raise InputError("exclude_mapping_uuids must be a list of mapping UUIDs (strings)")
    options = config.options()
    return Request(
        source,
        target,
        phase,
        switches,
        frozenset(exclude),
        warm_write_units_per_second=_count(
            event.get("warm_write_units_per_second", 0), "warm_write_units_per_second"
        ),
        warm_write_units_max=options["warm_throughput_max_write_units_per_second"],
        add_replicas=options["add_replicas_after_cutover"],
    )


def _deadline(context: Any) -> float:
    remaining = context.get_remaining_time_in_millis() / 1000.0 if context is not None else 900.0
    return time.monotonic() + max(1.0, remaining - TIME_MARGIN_SECONDS)


def context_of(request: Request, deadline: float) -> SyncContext:
    """The run's context for a parsed request (the handler's, and the simulation's)."""
    return SyncContext(
        source_table=request.source_table,
        target_table=request.target_table,
        phase=request.phase,
        exclude_mapping_uuids=request.exclude_mapping_uuids,
        warm_write_units_per_second=request.warm_write_units_per_second,
        warm_write_units_max=request.warm_write_units_max,
        add_replicas=request.add_replicas,
        deadline=deadline,
    )


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    request = parse(event)
    return run_checked(context_of(request, _deadline(context)), request.switches)


def run_checked(ctx: SyncContext, switches: dict[str, bool]) -> dict[str, Any]:
    """Both tables must exist before anything is copied; a missing one is bad input."""
    for table in (ctx.source_table, ctx.target_table):
        try:
            ctx.describe(table, refresh=True)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise InputError(f"table {table!r} does not exist") from exc
            raise
    return sync(ctx, switches)
