"""Generate the README's inputs and outputs tables from variables.tf and outputs.tf, and the copied
settings table from lambda_src/pitr/settings_sync/catalogue.json.

``make docs`` rewrites the blocks between the markers; ``tests/test_docs.py`` fails when the README
is out of date. python-hcl2 parses the files, so the tables say exactly what Terraform reads. The
copied settings table goes wherever its markers are: the README or one page of docs/.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import hcl2

from pitr.settings_sync import catalogue  # the catalogue's one reader (strict about its fields)

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
MARKERS = {
    "inputs": ("<!-- BEGIN_INPUTS (make docs) -->", "<!-- END_INPUTS -->"),
    "outputs": ("<!-- BEGIN_OUTPUTS (make docs) -->", "<!-- END_OUTPUTS -->"),
}
SETTINGS_MARKERS = ("<!-- BEGIN_SETTINGS (make docs) -->", "<!-- END_SETTINGS -->")


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted and expressions wrapped in ``${...}``."""
    if isinstance(value, str):
        heredoc = re.fullmatch(r'"<<-?(\w+)\n(.*)\n\s*\1"', value, re.DOTALL)
        if heredoc:
            return textwrap.dedent(heredoc.group(2))
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            return json.loads(value)
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
    return value


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    blocks = []
    for block in parsed.get(kind, []):
        for name, body in block.items():
            blocks.append((_unquote(name), body))
    return blocks


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return f"`{_cell(text)}`"


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return "n/a"
    value = body["default"]
    if value is None:
        return "`null`"
    unquoted = _unquote(value)
    if isinstance(value, str) and value.startswith('"'):
        return _code(json.dumps(unquoted))
    return _code(_python_to_hcl(unquoted))


def _python_to_hcl(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "__is_block__"}
        return (
            "{" + ", ".join(f"{_unquote(k)} = {_python_to_hcl(_unquote(v))}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_python_to_hcl(_unquote(v)) for v in value) + "]"
    if isinstance(value, str):
        return value if re.fullmatch(r"[a-z_.()]+", value) else json.dumps(value)
    return str(value)


def inputs_table(module_dir: Path = REPO) -> str:
    rows = ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in _blocks(module_dir / "variables.tf", "variable"):
        description = _cell(_unquote(body.get("description", "")))
        type_ = _code(_unquote(body.get("type", "any")))
        required = "yes" if "default" not in body else "no"
        rows.append(f"| `{name}` | {description} | {type_} | {_default(body)} | {required} |")
    return "\n".join(rows)


def outputs_table(module_dir: Path = REPO) -> str:
    rows = ["| Name | Description |", "|---|---|"]
    for name, body in _blocks(module_dir / "outputs.tf", "output"):
        rows.append(f"| `{name}` | {_cell(_unquote(body.get('description', '')))} |")
    return "\n".join(rows)


def settings_table() -> str:
    """What a restore drops and what settings_sync does about it, from the catalogue: the rows AWS's
    RestoreTableToPointInTime reference lists first, then what it does not include."""
    rows = [
        (
            s.aws_docs,
            s.dropped,
            s.dropped_note,
            f"`{s.name}`",
            s.handling,
            s.description,
            f"{s.phase} ({s.phase_note})" if s.phase_note else s.phase,
        )
        for s in catalogue.SETTINGS
    ]
    rows += [
        (o.aws_docs, o.dropped, "", "-", "left to the operator", o.description, "-")
        for o in catalogue.LEFT_TO_THE_OPERATOR
    ]
    lines = ["| dropped by a restore | switch | handling | phase |", "|---|---|---|---|"]
    for aws_docs, dropped, note, switch, handling, description, phase in sorted(
        rows, key=lambda r: r[0] != "listed"
    ):
        what = f"{dropped} **[{aws_docs}]**" + (f": {note}" if note else "")
        lines.append(f"| {_cell(what)} | {switch} | **{handling}**: {_cell(description)} | {phase} |")
    return "\n".join(lines)


def render_settings(text: str) -> str:
    """``text`` with its copied settings table, if it has the markers, replaced by a fresh one."""
    begin, end = SETTINGS_MARKERS
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    return pattern.sub(lambda _m: f"{begin}\n{settings_table()}\n{end}", text)


def settings_documents() -> list[Path]:
    """The documents that hold the copied settings table (one, once the docs are in order)."""
    return [
        p for p in [README, *sorted((REPO / "docs").glob("*.md"))] if SETTINGS_MARKERS[0] in p.read_text()
    ]


def render(readme: str) -> str:
    """``readme`` with both generated blocks replaced by fresh ones."""
    for kind, table in (("inputs", inputs_table()), ("outputs", outputs_table())):
        begin, end = MARKERS[kind]
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(readme):
            raise SystemExit(f"README.md lacks the markers {begin} ... {end}")
        readme = pattern.sub(lambda _m, b=begin, e=end, t=table: f"{b}\n{t}\n{e}", readme)
    return render_settings(readme)


def main() -> int:
    stale = []
    for path in {README, *settings_documents()}:
        current = path.read_text()
        fresh = render(current) if path == README else render_settings(current)
        if fresh != current:
            stale.append(path)
            if "--check" not in sys.argv:
                path.write_text(fresh)
    return 1 if stale and "--check" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
