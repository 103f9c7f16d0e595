"""The documentation stays true and self-contained.

- the README's reference (between the terraform-docs markers) is what ``make docs`` generates, and a
  description written over several lines renders as a list;
- the README stays short and starts with the two commands;
- every alarm the module creates has an entry in the runbook;
- links stay inside the repository and resolve (files and ``#anchors``); no issue numbers and no
  numbered design citations.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO
from terraform_alarms import alarms

from tools import readme_reference

README = REPO / "README.md"
RUNBOOK = REPO / "docs" / "runbook.md"
README_LIMIT = 13_000  # bytes, the generated reference included: "a README of about 12 KB"
SKIP_DIRS = {
    ".git",
    ".ruff_cache",
    ".venv",
    ".venv-checkov",
    ".terraform",
    ".build",
    ".pytest_cache",
    ".hypothesis",
    "node_modules",
}


def _repository_files(*patterns: str) -> list[Path]:
    """Tracked and new files, without what .gitignore leaves out (virtualenvs, caches, .terraform)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *patterns],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        listed = [
            str(p.relative_to(REPO))
            for pattern in patterns
            for p in REPO.rglob(pattern)
            if not SKIP_DIRS.intersection(p.relative_to(REPO).parts)
        ]
    return sorted({REPO / name for name in listed if (REPO / name).is_file()})


def _markdown_files() -> list[Path]:
    return _repository_files("*.md")


def _without_code(text: str) -> str:
    """Fenced code blocks and inline code are examples, not links or citations."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"`[^`\n]*`", "", text)


# ---------------------------------------------------------------------------------------------------
# The generated reference


def test_readme_reference_is_current() -> None:
    current = README.read_text()
    assert readme_reference.render(current) == current, "README.md is out of date: run `make docs`"


def test_the_reference_sits_between_terraform_docs_markers() -> None:
    text = README.read_text()
    assert text.count(readme_reference.BEGIN) == 1 and text.count(readme_reference.END) == 1
    block = text[text.index(readme_reference.BEGIN) : text.index(readme_reference.END)]
    assert "## Inputs" in block and "## Outputs" in block


def test_every_variable_and_output_is_documented() -> None:
    inputs = readme_reference.inputs_table()
    outputs = readme_reference.outputs_table()
    variables = re.findall(r'^variable "([^"]+)"', (REPO / "variables.tf").read_text(), re.MULTILINE)
    names = re.findall(r'^output "([^"]+)"', (REPO / "outputs.tf").read_text(), re.MULTILINE)
    assert variables and names
    for name in variables:
        assert f"| `{name}` |" in inputs
    for name in names:
        assert f"| `{name}` |" in outputs
    # Every row carries a description: an empty cell means a variable or output without one.
    assert "|  |" not in inputs and "|  |" not in outputs


def test_a_multi_line_description_renders_as_a_list() -> None:
    description = """
        Which settings are copied. All on by default;
        a call can override them.
          streams   - the stream, with the source's view type
          triggers  - Lambda mappings on the source's stream, created
                      at cut-over
          a|b       - not a definition: prose again
        Closing words.
    """
    cell = readme_reference.description_cell(description)
    assert cell.startswith("Which settings are copied. All on by default; a call can override them.<ul>")
    assert "<li>`streams`: the stream, with the source's view type</li>" in cell
    assert "<li>`triggers`: Lambda mappings on the source's stream, created at cut-over</li>" in cell
    assert cell.endswith("</ul> a\\|b - not a definition: prose again Closing words.")
    assert "\n" not in cell


def test_a_one_line_description_stays_one_line() -> None:
    text = "Glob ('*' is the only wildcard) a - b, and `x | y`."
    assert readme_reference.description_cell(text) == "Glob ('*' is the only wildcard) a - b, and `x \\| y`."


def _readme_rows() -> dict[str, str]:
    return {
        match.group(1): line
        for line in README.read_text().splitlines()
        if (match := re.match(r"^\| `(\w+)` \|", line))
    }


def test_the_readme_renders_every_listed_description_as_a_list() -> None:
    """A variable whose description lists `name - text` lines has them as list items."""
    rows = _readme_rows()
    listed = 0
    for name, body in readme_reference._blocks(REPO / "variables.tf", "variable"):
        description = str(readme_reference._unquote(body.get("description", "")))
        for term in re.findall(r"^[ \t]+([\w.:/-]+)[ \t]+-[ \t]", description, re.MULTILINE):
            listed += 1
            assert re.search(rf"<li>`{re.escape(term)}( = [^`]+)?`:", rows[name]), (
                f"README.md: {name}'s `{term}` is not a list item"
            )
    assert listed == 0 or "<ul>" in README.read_text()


def _object_attributes(variable: str) -> dict[str, str]:
    """The attributes of a variable's one-level object type as written in variables.tf (one per line),
    read with a regular expression rather than the generator's parser."""
    text = (REPO / "variables.tf").read_text()
    block = re.search(rf'^variable "{variable}" \{{\n(.*?)^\}}', text, re.MULTILINE | re.DOTALL)
    assert block is not None, variable
    type_ = re.search(r"^  type = object\(\{\n(.*?)^  \}\)", block.group(1), re.MULTILINE | re.DOTALL)
    assert type_ is not None, f"{variable} has no object type written one attribute per line"
    return dict(re.findall(r"^    (\w+)\s*=\s*(.+?)\s*$", type_.group(1), re.MULTILINE))


def test_an_object_shown_as_a_list_names_every_attribute_with_its_default() -> None:
    """A row whose type says only `object` carries the whole type in its list: every attribute, each
    with the default the type gives it, so a default changed in variables.tf shows in the README."""
    compact = {name: row for name, row in _readme_rows().items() if " | `object` | " in row}
    assert {"cdc_subscriber", "replay_writer"} <= set(compact), sorted(compact)
    for name, row in compact.items():
        attributes = _object_attributes(name)
        assert re.findall(r"<li>`(\w+)", row) == list(attributes), f"{name}: the list and the type differ"
        for attribute, type_ in attributes.items():
            default = re.fullmatch(r"optional\(\w+, (.+)\)", type_)
            assert default is not None, f"{name}.{attribute}: a compact row needs defaults ({type_})"
            assert f"<li>`{attribute} = {default.group(1)}`:" in row, f"{name}.{attribute} lacks its default"


def test_an_object_is_shown_whole_unless_its_description_lists_every_attribute() -> None:
    type_ = "${object({memory_size = optional(number, 256), subnets = list(string), key = optional(string)})}"
    listed = "The function:\n  memory_size - MB\n  subnets     - where it runs\n  key         - KMS key\n"
    row = readme_reference.input_row("fn", {"description": listed, "type": type_, "default": {}})
    assert "| `object` |" in row
    assert "<li>`memory_size = 256`: MB</li>" in row
    assert "<li>`subnets (list(string))`: where it runs</li>" in row
    assert "<li>`key (string, optional)`: KMS key</li>" in row
    partly = "The function:\n  memory_size - MB\n  subnets     - where it runs\n"
    row = readme_reference.input_row("fn", {"description": partly, "type": type_, "default": {}})
    assert (
        "| `object({memory_size = optional(number, 256), subnets = list(string), key = optional(string)})` |"
        in row
    )
    assert "<li>`memory_size`: MB</li>" in row


def test_object_attributes_split_only_the_top_level() -> None:
    nested = (
        'object({a = optional(list(object({x = optional(bool), y = string}))), b = optional(string, "p, q")})'
    )
    assert readme_reference.object_attributes(nested) == {
        "a": "a (list(object({x = optional(bool), y = string})), optional)",
        "b": 'b = "p, q"',
    }
    assert readme_reference.object_attributes("map(bool)") is None


# ---------------------------------------------------------------------------------------------------
# The README's shape


def test_the_readme_is_short() -> None:
    """The whole README, reference included: a description says what an input is, its unit, what null
    means and one constraint; behaviour goes to docs/."""
    size = len(README.read_text().encode())
    assert size <= README_LIMIT, (
        f"README.md has {size} bytes (at most {README_LIMIT}): shorten descriptions, move detail to docs/"
    )


def test_the_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    first_block = re.search(r"^```sh\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    assert first_block is not None and first_block.start() < text.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make rehearse", "make test"]


def test_the_readme_usage_pins_a_version() -> None:
    usage = README.read_text().split("## Usage", 1)[1].split("\n## ", 1)[0]
    assert re.search(r'^\s*version\s*=\s*"~> \d+\.\d+"', usage, re.MULTILINE), (
        "usage block lacks a version pin"
    )


# ---------------------------------------------------------------------------------------------------
# The runbook


def test_every_alarm_has_a_runbook_entry() -> None:
    created = alarms()
    assert len(created) >= 10, created
    runbook = RUNBOOK.read_text()
    missing = [a.name for a in created if f"| `{a.name}` |" not in runbook]
    assert not missing, f"docs/runbook.md's Alarms table lacks a row for {missing}"


def test_the_runbook_names_no_alarm_the_module_does_not_create() -> None:
    created = {a.name for a in alarms()}
    rows = set(re.findall(r"^\| `(<prefix>-[\w-]+)` \|", RUNBOOK.read_text(), re.MULTILINE))
    assert rows - created == set(), f"docs/runbook.md documents alarms the module lacks: {rows - created}"


# ---------------------------------------------------------------------------------------------------
# Links, issue numbers, citations

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", lambda m: "_" if m.group(0) == "_" else "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.DOTALL | re.MULTILINE)
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)}


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_links_stay_inside_the_repository_and_resolve(path: Path) -> None:
    text = _without_code(path.read_text())
    assert not re.search(r"https?://|\bwww\.", text), f"{path.relative_to(REPO)} links outside the repository"
    problems = []
    for target in LINK.findall(text):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(REPO):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            problems.append(f"{target}: no heading #{anchor}")
    assert not problems, f"{path.relative_to(REPO)}: {problems}"


def test_the_link_checker_sees_what_it_must() -> None:
    assert _slug("### `terraform destroy` and what stays".lstrip("# ")) == "terraform-destroy-and-what-stays"
    assert _slug("Nothing lost, order per item") == "nothing-lost-order-per-item"
    assert LINK.findall("see [a](docs/a.md#b) and ![c](../c.png)") == ["docs/a.md#b", "../c.png"]
    assert _without_code("`https://x` and\n```\nhttps://y\n```\n") == " and\n\n"


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_issue_numbers_or_numbered_design_citations(path: Path) -> None:
    text = path.read_text()
    issues = re.findall(r"\b(?:issues?|PR|pull request)\s*#?\d+\b|(?<![\w&/])#\d+\b", text, re.IGNORECASE)
    assert not issues, f"{path.relative_to(REPO)} mentions issue numbers: {issues}"
    citations = re.findall(r"\bDESIGN(?:\.md)?(?:,? section)? \d[\d.]*", text)
    assert not citations, (
        f"{path.relative_to(REPO)} cites the design by number: {citations} (cite docs/design.md by name)"
    )


def test_user_docs_use_the_current_names() -> None:
    """'watcher' is gone from the prose; a quoted identifier (`restore_watcher`) says what the code says,
    and the upgrade notes and the changelog name the old addresses on purpose."""
    history = {REPO / "docs" / "upgrading.md", REPO / "CHANGELOG.md"}
    docs = [README, *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "examples").glob("*/README.md"))]
    stale = [
        str(p.relative_to(REPO))
        for p in docs
        if p not in history and "watcher" in _without_code(p.read_text()).lower()
    ]
    assert not stale, f"these docs still say 'watcher': {stale}"


DESIGN = REPO / "docs" / "design.md"
DESIGN_CITATION = re.compile(r"docs/design\.md#([\w-]+)")
SOURCE_SUFFIXES = {".py", ".tf", ".hcl", ".tftpl", ".json", ".md", ".toml"}


def _sources() -> list[Path]:
    return _repository_files(*(f"*{suffix}" for suffix in SOURCE_SUFFIXES))


def test_every_design_citation_names_a_section() -> None:
    """Code cites docs/design.md#<section anchor>; renaming a section must not orphan a citation."""
    sections = _anchors(DESIGN)
    assert {"replay-window", "coverage", "shared-records"} <= sections
    orphans = [
        f"{path.relative_to(REPO)}: #{anchor}"
        for path in _sources()
        for anchor in DESIGN_CITATION.findall(path.read_text(errors="replace"))
        if anchor not in sections
    ]
    assert not orphans, f"citations of docs/design.md sections that do not exist: {orphans}"


def test_no_code_cites_the_design_by_number() -> None:
    """Numbered citations (DESIGN and a section number) name a document outside the repository."""
    numbered = [
        f"{path.relative_to(REPO)}:{number}"
        for path in _sources()
        if path.suffix != ".md"
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if re.search(r"\bDESIGN \d", line)
    ]
    assert not numbered, f"cite docs/design.md#<section> instead: {numbered}"


def test_no_code_mentions_issue_numbers() -> None:
    """Issue numbers mean nothing to a reader of the repository; say what the code is for instead."""
    mentions = [
        f"{path.relative_to(REPO)}:{number}"
        for path in _sources()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if re.search(r"\bissues? ?#?\d+\b", line, re.IGNORECASE) and path != Path(__file__)
    ]
    assert not mentions, f"issue numbers in code: {mentions}"
