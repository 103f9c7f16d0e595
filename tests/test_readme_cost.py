"""The README's fixed monthly cost of one deployed table adds up and matches what the module creates."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2

REPO = Path(__file__).resolve().parent.parent
ALARM = 0.10
DASHBOARD = 3.00
KEY = 1.00
CUSTOM_METRIC = 0.30


def _section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("**Fixed cost of one deployed table**")
    return re.sub(r"\s+", " ", text[start : text.index("\n- **", start + 1)])


def _locals(path: Path) -> dict[str, object]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    merged: dict[str, object] = {}
    for block in parsed.get("locals", []):
        merged.update(block)
    return merged


def _alarms() -> int:
    buffer = _locals(REPO / "cdc_buffer.tf")["alarms"]
    executions = _locals(REPO / "restore_workflow.tf")["execution_alarms"]
    assert isinstance(buffer, dict) and isinstance(executions, dict)
    return len(buffer) + len(executions)


def test_the_alarm_count_is_what_the_module_creates() -> None:
    assert f"{_alarms()} alarms" in _section()


def test_the_custom_metrics_are_what_the_subscriber_emits() -> None:
    section = _section()
    named = re.findall(r"`(\w+)`", section.split("custom metrics", 1)[1].split(")", 1)[0])
    source = (REPO / "lambda_src" / "pitr" / "cdc_subscriber.py").read_text()
    emitted = set(re.findall(r'"(\w+)": \(outcome\.\w+, metrics\.COUNT\)', source))
    assert set(named) == emitted
    assert f"{len(emitted)} custom metrics" in section


def test_the_total_adds_up() -> None:
    section = _section()
    metrics = len(re.findall(r"metrics\.COUNT\)", (REPO / "lambda_src/pitr/cdc_subscriber.py").read_text()))
    total = DASHBOARD + _alarms() * ALARM + KEY + metrics * CUSTOM_METRIC
    assert f"**${total:.2f}**" in section
    assert f"**${total - DASHBOARD:.2f}**" in section
    assert "2026-11-30" in section  # the prices' date
    assert "us-east-1" in section  # and region


def test_every_alarm_has_a_runbook_row() -> None:
    buffer = _locals(REPO / "cdc_buffer.tf")["alarms"]
    executions = _locals(REPO / "restore_workflow.tf")["execution_alarms"]
    assert isinstance(buffer, dict) and isinstance(executions, dict)
    names = [f"<prefix>-{key}" for key in buffer]
    names += [f"<prefix>-restore-{key.replace('_', '-')}" for key in executions]
    readme = (REPO / "README.md").read_text()
    missing = [name for name in names if f"| `{name}` |" not in readme]
    assert not missing, f"README.md's Alarms table lacks a row for {missing}"
