"""``RestoreTableToPointInTime`` as AWS does it, which moto's stub does not (``shared/notes/moto.md``).

moto's restore is ACTIVE at once and holds the source's items at call time. Here a restore is a new
table with the source's keys, indexes and capacity and none of the settings a restore drops, holding
the items given (the source as of the restore point), reported ``CREATING`` with a ``RestoreSummary``
until the simulated restore ends (``moto_patches.restore_status`` serves the status). The CloudTrail
event of the call comes from ``events.cloudtrail_restore``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Restore:
    target: str
    source_arn: str
    restore_point: float
    active_at: float | None  # None: CREATING for ever (a stuck restore)
    not_found_until: float = 0.0  # DescribeTable answers ResourceNotFoundException until then


def _throughput(description: dict[str, Any]) -> dict[str, int]:
    given = description.get("ProvisionedThroughput") or {}
    return {
        "ReadCapacityUnits": max(1, int(given.get("ReadCapacityUnits") or 5)),
        "WriteCapacityUnits": max(1, int(given.get("WriteCapacityUnits") or 5)),
    }


def table_like(source: dict[str, Any]) -> dict[str, Any]:
    """``create_table`` arguments for a table with ``source``'s keys, indexes and capacity mode."""
    on_demand = (source.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST"
    args: dict[str, Any] = {
        "KeySchema": source["KeySchema"],
        "AttributeDefinitions": source["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST" if on_demand else "PROVISIONED",
    }
    if not on_demand:
        args["ProvisionedThroughput"] = _throughput(source)
    indexes = [
        {
            "IndexName": index["IndexName"],
            "KeySchema": index["KeySchema"],
            "Projection": index["Projection"],
            **({} if on_demand else {"ProvisionedThroughput": _throughput(index)}),
        }
        for index in source.get("GlobalSecondaryIndexes", [])
    ]
    if indexes:
        args["GlobalSecondaryIndexes"] = indexes
    local = [
        {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
        for i in source.get("LocalSecondaryIndexes", [])
    ]
    if local:
        args["LocalSecondaryIndexes"] = local
    return args


def scan_all(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` (consistent read): what a restore to this moment holds."""
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


@dataclass
class Restores:
    """The restores in progress or done, by target table name."""

    clock: Callable[[], float]
    by_target: dict[str, Restore] = field(default_factory=dict)

    def start(
        self,
        dynamodb: Any,
        *,
        source: str,
        target: str,
        restore_point: float,
        items: list[dict[str, Any]],
        takes_seconds: float | None,
        not_found_seconds: float = 0.0,
    ) -> Restore:
        """Create ``target`` like ``source`` holding ``items``; CREATING for ``takes_seconds``;
        unknown to ``DescribeTable`` for ``not_found_seconds`` (``faults.DescribeTableNotFound``)."""
        description = dynamodb.describe_table(TableName=source)["Table"]
        dynamodb.create_table(TableName=target, **table_like(description))
        active_at = None if takes_seconds is None else self.clock() + takes_seconds
        restore = Restore(
            target, description["TableArn"], restore_point, active_at, self.clock() + not_found_seconds
        )
        self.by_target[target] = restore
        for start in range(0, len(items), 25):
            dynamodb.batch_write_item(
                RequestItems={target: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
            )
        return restore

    def describe(self, name: str) -> dict[str, Any] | None:
        """What ``DescribeTable`` adds for a restored table: its status and ``RestoreSummary``."""
        restore = self.by_target.get(name)
        if restore is None:
            return None
        if self.clock() < restore.not_found_until:
            from moto.dynamodb.exceptions import ResourceNotFoundException  # noqa: PLC0415

            raise ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")
        creating = restore.active_at is None or self.clock() < restore.active_at
        point = datetime.fromtimestamp(restore.restore_point, tz=UTC)
        return restored_table(restore.source_arn, point, creating=creating)


def restored_table(source_arn: str, restore_point: datetime, *, creating: bool = False) -> dict[str, Any]:
    """What ``DescribeTable`` tells of a restored table: its status and ``RestoreSummary``."""
    return {
        "TableStatus": "CREATING" if creating else "ACTIVE",
        "RestoreSummary": {
            "SourceTableArn": source_arn,
            "RestoreDateTime": restore_point,
            "RestoreInProgress": creating,
        },
    }
