"""Generate the README's reference (inputs and outputs) from variables.tf and outputs.tf, and the
copied settings table from the settings catalogue wherever its markers are.

``make docs`` rewrites the block between the terraform-docs markers (``<!-- BEGIN_TF_DOCS -->`` and
``<!-- END_TF_DOCS -->``), so terraform-docs can take the block over later without moving it;
``tests/test_docs.py`` fails when the README is out of date. python-hcl2 parses the files, so the
tables say exactly what Terraform reads. A description written over several lines keeps its shape:
indented ``name - text`` lines (and ``- text`` bullets) become a list in the table cell.

An object input whose description lists every attribute (``memory_size - memory, MB``) shows
``object`` as its type, and each list item names its attribute with the default from the type
(``memory_size = 256``): the row says everything the type says, once, and a default changed in the
type shows in the row. Any other type is shown whole, as terraform-docs shows it.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"

# "  name   - text" (a definition) or "- text" / "* text" (a bullet).
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*]\s+(?P<bullet>.+)|(?P<term>[\w.:/-]+)\s+-\s+(?P<text>.+))$")


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted and expressions wrapped in ``${...}``."""
    if isinstance(value, str):
        heredoc = re.fullmatch(r'"<<(-?)(\w+)\n(.*)\n\s*\2"', value, re.DOTALL)
        if heredoc:
            body = heredoc.group(3)
            return textwrap.dedent(body) if heredoc.group(1) else body
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


def _is_item(line: str) -> re.Match[str] | None:
    """A list item starts with a bullet, or is an indented ``name - text`` definition."""
    match = _ITEM.match(line)
    if match is None:
        return None
    if match.group("term") is not None and not match.group("indent"):
        return None  # "a - b" in running prose at the left margin is not a definition
    return match


def _parts(lines: list[str], labels: Mapping[str, str] | None = None) -> list[tuple[str, list[str]]]:
    """Lines grouped into ("prose" | "item", words); a term is shown as ``labels[term]`` if given.

    Continuation lines indented deeper than their item belong to it; a line back at the item's
    indentation or less (and not an item) is prose again; a blank line ends a paragraph.
    """
    labels = labels or {}
    parts: list[tuple[str, list[str]]] = []
    item_indent = -1
    for line in lines:
        match = _is_item(line)
        indent = len(line) - len(line.lstrip())
        if not line.strip():
            item_indent = -1
            parts.append(("prose", []))
        elif match is not None:
            item_indent = len(match.group("indent"))
            term = match.group("term")
            label = f"`{labels.get(term, term)}`:"
            parts.append(("item", [label, match.group("text")] if term else [match.group("bullet")]))
        elif item_indent >= 0 and indent > item_indent:
            parts[-1][1].append(line.strip())
        elif parts and parts[-1][0] == "prose":
            item_indent = -1
            parts[-1][1].append(line.strip())
        else:
            item_indent = -1
            parts.append(("prose", [line.strip()]))
    return parts


def _lines(text: str) -> list[str]:
    return textwrap.dedent(str(text)).strip("\n").splitlines()


def listed_terms(text: str) -> set[str]:
    """The terms of a description's ``name - text`` list items."""
    return {m.group("term") for line in _lines(text) if (m := _is_item(line)) and m.group("term")}


def description_cell(text: str, labels: Mapping[str, str] | None = None) -> str:
    """One table cell: prose joined into one line, list lines as an HTML list."""
    out: list[str] = []
    in_list = False
    for kind, words in _parts(_lines(text), labels):
        joined = _cell(" ".join(words))
        if kind == "item":
            out.append(("" if in_list else "<ul>") + f"<li>{joined}</li>")
            in_list = True
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if joined:
            out.append(f" {joined}" if out else joined)
    if in_list:
        out.append("</ul>")
    return "".join(out).strip()


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


def _split(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and string literals."""
    pieces, depth, start, quoted = [], 0, 0, False
    for index, char in enumerate(text):
        if char == '"' and text[index - 1 : index] != "\\":
            quoted = not quoted
        elif not quoted and char in "({[":
            depth += 1
        elif not quoted and char in ")}]":
            depth -= 1
        elif not quoted and char == "," and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def object_attributes(type_: str) -> dict[str, str] | None:
    """Each attribute of an ``object({...})`` type as the reference shows it: ``name = default`` when
    optional with a default, ``name (type)`` when required, ``name (type, optional)`` otherwise.
    None for any other type."""
    match = re.fullmatch(r"object\(\{(.*)\}\)", type_.strip(), re.DOTALL)
    if match is None:
        return None
    attributes = {}
    for piece in _split(match.group(1)):
        name, _, attribute_type = (part.strip() for part in piece.partition("="))
        optional = re.fullmatch(r"optional\((.*)\)", attribute_type, re.DOTALL)
        if optional is None:
            attributes[name] = f"{name} ({attribute_type})"
            continue
        inner = _split(optional.group(1))
        attributes[name] = f"{name} = {inner[1]}" if len(inner) == 2 else f"{name} ({inner[0]}, optional)"
    return attributes


def input_row(name: str, body: dict[str, Any]) -> str:
    """One row of the inputs table."""
    text = str(_unquote(body.get("description", "")))
    type_text = str(_unquote(body.get("type", "any")))
    attributes = object_attributes(type_text)
    if attributes and set(attributes) <= listed_terms(text):
        description, type_ = description_cell(text, attributes), "`object`"
    else:
        description, type_ = description_cell(text), _code(type_text)
    required = "yes" if "default" not in body else "no"
    return f"| `{name}` | {description} | {type_} | {_default(body)} | {required} |"


def inputs_table(module_dir: Path = REPO) -> str:
    rows = ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in _blocks(module_dir / "variables.tf", "variable"):
        rows.append(input_row(name, body))
    return "\n".join(rows)


def outputs_table(module_dir: Path = REPO) -> str:
    rows = ["| Name | Description |", "|---|---|"]
    for name, body in _blocks(module_dir / "outputs.tf", "output"):
        rows.append(f"| `{name}` | {description_cell(_unquote(body.get('description', '')))} |")
    return "\n".join(rows)


def reference(module_dir: Path = REPO) -> str:
    """What goes between the markers."""
    return f"## Inputs\n\n{inputs_table(module_dir)}\n\n## Outputs\n\n{outputs_table(module_dir)}"


# ---------------------------------------------------------------------------------------------------
# The copied settings table (docs/architecture.md, "Settings copy"), from the settings catalogue.
# Generated only where a document holds its markers; the catalogue is read only then.

SETTINGS_MARKERS = ("<!-- BEGIN_SETTINGS (make docs) -->", "<!-- END_SETTINGS -->")


def settings_table() -> str:
    """What a restore drops and what settings_sync does about it, from the catalogue: the rows AWS's
    RestoreTableToPointInTime reference lists first, then what it does not include."""
    from pitr.settings_sync import catalogue  # noqa: PLC0415 - the catalogue's one reader, only when needed

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


# ---------------------------------------------------------------------------------------------------


def render(readme: str, module_dir: Path = REPO) -> str:
    """``readme`` with the generated block replaced by a fresh one."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if len(pattern.findall(readme)) != 1:
        raise SystemExit(f"README.md needs exactly one {BEGIN} ... {END} block")
    block = f"{BEGIN}\n{reference(module_dir)}\n{END}"
    return pattern.sub(lambda _match: block, readme)


def main() -> int:
    """Rewrite every generated block (``--check``: only say which documents are out of date)."""
    stale = []
    for path in sorted({README, *settings_documents()}):
        current = path.read_text()
        fresh = render_settings(render(current) if path == README else current)
        if fresh != current:
            stale.append(path)
            if "--check" not in sys.argv:
                path.write_text(fresh)
    if stale and "--check" in sys.argv:
        print(f"out of date, run `make docs`: {[str(p.relative_to(REPO)) for p in stale]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
