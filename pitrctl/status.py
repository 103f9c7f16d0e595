"""What ``pitrctl status`` reports: gathered from AWS, then summarised by pure functions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pitr import metrics, restore_record
from pitr.restore_record import RestoreRecord
from pitrctl.deployment import Deployment


@dataclass
class Status:
    source_table: str
    restore: dict[str, Any] | None
    target_status: str | None = None
    backlog: int | None = None
    in_flight: int | None = None
    replay_rate_per_s: float | None = None
    lag_seconds: float | None = None
    eta_seconds: float | None = None
    execution_status: str | None = None
    settings: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.restore is not None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["active"] = self.active
        return data


def eta_seconds(backlog: int | None, rate_per_s: float | None) -> float | None:
    """Time to drain ``backlog`` at ``rate_per_s``; None when either is unknown or nothing moves."""
    if backlog is None or rate_per_s is None or rate_per_s <= 0:
        return None
    return backlog / rate_per_s


def settings_summary(history_events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest settings_sync result in an execution history (its ``counts`` and ``failures``)."""
    for event in reversed(history_events):
        details = event.get("taskSucceededEventDetails") or event.get("lambdaFunctionSucceededEventDetails")
        if not details or "output" not in details:
            continue
        try:
            output = json.loads(details["output"])
        except (TypeError, json.JSONDecodeError):
            continue
        payload = output.get("Payload", output) if isinstance(output, dict) else None
        if isinstance(payload, dict) and "counts" in payload and "failures" in payload:
            return {"counts": payload["counts"], "failures": payload["failures"]}
    return None


def _metric(
    cloudwatch: Any, source_table: str, *, name: str, stat: str, now: datetime, minutes: int
) -> float | None:
    response = cloudwatch.get_metric_statistics(
        Namespace=metrics.NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": metrics.DIMENSION, "Value": source_table}],
        StartTime=now - timedelta(minutes=minutes),
        EndTime=now,
        Period=60,
        Statistics=[stat],
    )
    points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])
    if not points:
        return None
    if stat == "Sum":
        return sum(p["Sum"] for p in points) / (minutes * 60)
    return float(points[-1][stat])


def gather(deployment: Deployment, aws: Any, now: datetime) -> Status:
    """Read the record, target, buffer, metrics and execution; ``aws(service)`` gives clients."""
    record: RestoreRecord | None = restore_record.load(aws("ssm"), deployment.restore_record_parameter)
    status = Status(source_table=deployment.source_table, restore=None)
    queue_url = deployment.require("cdc_buffer", "buffer_queue_url")
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    status.backlog = int(attributes.get("ApproximateNumberOfMessages", 0))
    status.in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
    if record is None:
        return status
    status.restore = json.loads(record.to_json())
    status.restore.pop("task_token", None)  # a credential for the workflow, not something to print
    dynamodb = aws("dynamodb")
    try:
        status.target_status = dynamodb.describe_table(TableName=record.target_table)["Table"]["TableStatus"]
    except dynamodb.exceptions.ResourceNotFoundException:
        status.target_status = "NOT_FOUND"
        status.notes.append(f"the target table {record.target_table} does not exist")
    cloudwatch = aws("cloudwatch")
    status.replay_rate_per_s = _metric(
        cloudwatch, deployment.source_table, name="ReplayedChanges", stat="Sum", now=now, minutes=5
    )
    status.lag_seconds = _metric(
        cloudwatch, deployment.source_table, name="ReplayLagSeconds", stat="Maximum", now=now, minutes=2
    )
    status.eta_seconds = eta_seconds(status.backlog, status.replay_rate_per_s)
    if record.execution_arn:
        sfn = aws("stepfunctions")
        status.execution_status = sfn.describe_execution(executionArn=record.execution_arn)["status"]
        history = sfn.get_execution_history(
            executionArn=record.execution_arn, reverseOrder=True, maxResults=200
        )
        status.settings = settings_summary(list(reversed(history.get("events", []))))
    return status
