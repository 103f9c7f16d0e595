"""Stand-ins for this project's own functions, for the workflow world (``workflow_world.World``).

Not a simulation of AWS: the workflow's tests use them to see only the workflow's contract.

- ``SubscriberStandin`` / ``replay_standin`` stand for the data path (``pitr.cdc_subscriber``,
  ``pitr.replay_writer.handler``). They move whole item images through the real (moto) FIFO buffer
  with a message format of their own; the workflow only sees the buffer's counts, the replay
  mapping's state, the restore record and the ``ReplayLagSeconds`` metric, which is the contract.
- ``SettingsSyncStandin`` stands for ``pitr.settings_sync.handler`` and returns its output shape
  (docs/design.md#settings-copy).

How the lead swaps them in: map the replay writer's function name to ``pitr.replay_writer.handler``
and the settings function to ``pitr.settings_sync.handler`` in ``harness.World.handlers``, and feed
the source table's stream through ``pitr.cdc_subscriber.handler`` instead of
``SubscriberStandin.write``. The scenario tests keep their assertions.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pitr import metrics, restore_record


class SubscriberStandin:
    """STAND-IN for cdc_subscriber: writes to the source table and queues the change in the buffer."""

    def __init__(
        self, dynamodb: Any, sqs: Any, source_table: str, queue_url: str, clock: Callable[[], float]
    ):
        self.dynamodb, self.sqs = dynamodb, sqs
        self.source_table, self.queue_url, self.clock = source_table, queue_url, clock

    def write(self, key: str, value: str | None) -> None:
        """Put (value) or delete (None) item ``key`` on the source and buffer the change."""
        self.buffer(self.write_source_only(key, value))

    def write_source_only(self, key: str, value: str | None) -> dict[str, Any]:
        """The write on the source; returns the change for ``buffer`` (stream delivery can lag)."""
        item = {"pk": {"S": key}, "v": {"S": value}} if value is not None else None
        if item is None:
            self.dynamodb.delete_item(TableName=self.source_table, Key={"pk": {"S": key}})
        else:
            self.dynamodb.put_item(TableName=self.source_table, Item=item)
        return {"key": {"pk": {"S": key}}, "item": item, "ts": self.clock()}

    def buffer(self, body: dict[str, Any]) -> None:
        key = body["key"]["pk"]["S"]
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(body),
            MessageGroupId=hashlib.sha256(key.encode()).hexdigest()[:32],
            MessageDeduplicationId=uuid.uuid4().hex,
        )


def replay_standin(
    event: dict[str, Any],
    *,
    source_table: str,
    dynamodb: Any,
    ssm: Any,
    cloudwatch: Any,
    record_parameter: str,
    clock: Callable[[], float],
) -> dict[str, Any]:
    """STAND-IN for replay_writer: applies buffered changes at or after the replay start, in order.

    Emits ReplayLagSeconds with put_metric_data: on AWS the real writer prints an EMF line and
    CloudWatch turns it into this same metric; moto does not parse EMF, so the stand-in puts it.
    """
    record = restore_record.load(ssm, record_parameter)
    if record is None or record.replay_start_epoch is None:
        raise RuntimeError("replay enabled without a restore record holding the replay start")
    lags = []
    for message in event["Records"]:
        change = json.loads(message["body"])
        if change["ts"] < record.replay_start_epoch:
            continue
        if change["item"] is None:
            dynamodb.delete_item(TableName=record.target_table, Key=change["key"])
        else:
            dynamodb.put_item(TableName=record.target_table, Item=change["item"])
        lags.append(clock() - change["ts"])
    if lags:
        cloudwatch.put_metric_data(
            Namespace=metrics.NAMESPACE,
            MetricData=[
                {
                    "MetricName": metrics.REPLAY_LAG,
                    "Dimensions": [{"Name": metrics.DIMENSION, "Value": source_table}],
                    "Timestamp": datetime.fromtimestamp(clock(), tz=UTC),
                    "Value": max(lags),
                    "Unit": "Seconds",
                }
            ],
        )
    return {"batchItemFailures": []}


class SettingsSyncStandin:
    """STAND-IN for settings_sync: returns its output shape (docs/design.md#settings-copy); can fail or
    report failures."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.raise_error: str | None = None
        self.failures: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        for key in ("source_table", "target_table", "phase", "settings", "exclude_mapping_uuids"):
            if key not in event:
                raise KeyError(f"settings_sync input lacks {key}")
        self.calls.append(event)
        if self.raise_error:
            raise RuntimeError(self.raise_error)
        if event["phase"] == "restore":
            counts = {"applied": 7, "unchanged": 1, "skipped": 2, "deferred": 2, "failed": len(self.failures)}
        else:
            counts = {"applied": 2, "unchanged": 0, "skipped": 10, "deferred": 0, "failed": 0}
        return {"counts": counts, "failures": self.failures if event["phase"] == "restore" else []}
