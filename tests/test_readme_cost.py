"""The README's fixed monthly cost of one deployed table adds up and matches what the module creates.

CloudWatch bills alarms per alarm metric ("$0.10 per alarm metric" at standard resolution): an alarm
on one metric counts one, a metric math alarm counts each metric it reads.
"""

from __future__ import annotations

import re

from conftest import REPO
from terraform_alarms import alarms

ALARM_METRIC = 0.10
DASHBOARD = 3.00
KEY = 1.00
CUSTOM_METRIC = 0.30
SUBSCRIBER = REPO / "lambda_src" / "pitr" / "cdc_subscriber.py"


def _section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("**Fixed cost of one deployed table**")
    end = re.compile(r"\n(?:- |#)").search(text, start + 1)
    return re.sub(r"\s+", " ", text[start : end.start() if end else len(text)])


def _custom_metrics() -> set[str]:
    return set(re.findall(r'"(\w+)": \(outcome\.\w+, metrics\.COUNT\)', SUBSCRIBER.read_text()))


def test_the_alarm_count_is_what_the_module_creates() -> None:
    created = alarms()
    section = _section()
    assert f"{len(created)} alarms" in section
    assert f"{sum(a.metrics for a in created)} alarm metrics" in section


def test_the_custom_metrics_are_what_the_subscriber_emits() -> None:
    section = _section()
    named = re.findall(r"`(\w+)`", section.split("custom metrics", 1)[1].split(")", 1)[0])
    emitted = _custom_metrics()
    assert emitted, "cdc_subscriber.py emits no custom metric this test can read"
    assert set(named) == emitted
    assert f"{len(emitted)} custom metrics" in section


def test_the_total_adds_up() -> None:
    section = _section()
    alarm_cost = sum(a.metrics for a in alarms()) * ALARM_METRIC
    total = DASHBOARD + alarm_cost + KEY + len(_custom_metrics()) * CUSTOM_METRIC
    assert f"${alarm_cost:.2f}" in section
    assert f"**${total:.2f}**" in section
    assert f"**${total - DASHBOARD:.2f}**" in section
    assert "2026-11-30" in section  # the prices' date
    assert "us-east-1" in section  # and region
