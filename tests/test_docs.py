"""The README's reference tables are generated from the Terraform files and must be current."""

from __future__ import annotations

import re

from conftest import REPO

from tools import readme_reference


def test_readme_tables_are_current() -> None:
    current = (REPO / "README.md").read_text()
    assert readme_reference.render(current) == current, "README.md is out of date: run `make docs`"


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
