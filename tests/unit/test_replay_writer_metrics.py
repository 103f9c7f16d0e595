"""The EMF metrics contract (pitr.metrics) that the restore workflow and alarms rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from pitr import metrics


def test_emf_line_is_valid_embedded_metric_format() -> None:
    line = metrics.emf_line(
        "orders",
        {"ReplayLagSeconds": (12.5, metrics.SECONDS), "ReplayedChanges": (3, metrics.COUNT)},
        {"TargetTable": "t"},
    )
    payload = json.loads(line)
    directive = payload["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "DynamoDBPitrRestore"
    assert directive["Dimensions"] == [["SourceTable"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "ReplayLagSeconds": "Seconds",
        "ReplayedChanges": "Count",
    }
    assert (
        payload["SourceTable"] == "orders"
        and payload["ReplayLagSeconds"] == 12.5
        and payload["TargetTable"] == "t"
    )
    assert isinstance(payload["_aws"]["Timestamp"], int)


def test_parse_reads_back_every_value() -> None:
    line = metrics.emf_line(
        "orders", {"A": (1, metrics.COUNT), "B": (2.5, metrics.SECONDS)}, timestamp_ms=1000
    )
    data = metrics.parse(line)
    assert [(d.name, d.value, d.unit, d.dimensions, d.timestamp_ms) for d in data] == [
        ("A", 1.0, "Count", {"SourceTable": "orders"}, 1000),
        ("B", 2.5, "Seconds", {"SourceTable": "orders"}, 1000),
    ]


def test_parse_ignores_plain_log_lines() -> None:
    assert metrics.parse('{"level":"INFO","message":"hello"}') == []
    assert metrics.parse("not json") == []


def test_emit_writes_to_the_sink() -> None:
    lines: list[str] = []
    metrics.set_sink(lines.append)
    try:
        metrics.emit("orders", {"BufferedChanges": (4, metrics.COUNT)})
    finally:
        metrics.set_sink(None)
    assert [d.value for d in metrics.parse(lines[0])] == [4.0]


def test_publish_feeds_moto_cloudwatch(aws: None) -> None:
    cloudwatch = boto3.client("cloudwatch")
    now = datetime.now(UTC)
    line = metrics.emf_line(
        "orders", {"ReplayLagSeconds": (42.0, metrics.SECONDS)}, timestamp_ms=int(now.timestamp() * 1000)
    )
    assert metrics.publish(cloudwatch, [line, "plain log"]) == 1
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "lag",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "DynamoDBPitrRestore",
                        "MetricName": "ReplayLagSeconds",
                        "Dimensions": [{"Name": "SourceTable", "Value": "orders"}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
    )
    assert result["MetricDataResults"][0]["Values"] == [42.0]
