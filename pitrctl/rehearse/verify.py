"""Verification: the restored table equals the source item for item, settings equal setting by setting."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any


def scan_all(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def _key(item: dict[str, Any], key_names: Iterable[str]) -> str:
    return json.dumps({name: item[name] for name in key_names}, sort_keys=True)


def _digest(item: dict[str, Any]) -> str:
    """A short description of an item for a difference report (large binaries shortened)."""
    shown = {}
    for name, value in sorted(item.items()):
        text = json.dumps(value, sort_keys=True, default=lambda b: f"<{len(b)} bytes>")
        shown[name] = text if len(text) <= 80 else text[:77] + "..."
    return json.dumps(shown)


def compare_items(
    source: list[dict[str, Any]], target: list[dict[str, Any]], key_names: list[str]
) -> list[dict[str, str]]:
    """Every difference between two tables' items: missing, unexpected, or different."""
    by_key_source = {_key(i, key_names): i for i in source}
    by_key_target = {_key(i, key_names): i for i in target}
    differences = []
    for key in sorted(by_key_source.keys() | by_key_target.keys()):
        left, right = by_key_source.get(key), by_key_target.get(key)
        if left == right:
            continue
        if right is None:
            differences.append(
                {"key": key, "problem": "missing in the restored table", "source": _digest(left)}
            )
        elif left is None:
            differences.append(
                {"key": key, "problem": "only in the restored table", "target": _digest(right)}
            )
        else:
            differences.append(
                {"key": key, "problem": "differs", "source": _digest(left), "target": _digest(right)}
            )
    return differences


################################################################################
# Settings: read both tables back and compare what settings_sync copies
################################################################################

# Settings whose AWS API moto lacks; the sandbox serves them from DynamoDBExtrasFake, so "copied"
# here means the copy was requested with the right parameters and read back from the fake.
SIMULATED_SETTINGS = ("kinesis", "contributor_insights")


_TRANSITIONAL = ("ENABLING", "DISABLING", "UPDATING")


def _settled(read: Callable[[], Any], statuses: Callable[[Any], list[str]], attempts: int = 10) -> Any:
    """Read until no status is transitional (a copy shows ENABLING before ENABLED/ACTIVE, as on AWS)."""
    value = read()
    for _ in range(attempts):
        if not any(status in _TRANSITIONAL for status in statuses(value)):
            break
        value = read()
    return value


def _neutral_arns(text: str, table: str) -> str:
    """The table's own ARNs with its name replaced, so a source policy and its copy compare equal."""
    return text.replace(f":table/{table}", ":table/<TABLE>")


def _settings_of(aws: Any, table: str) -> dict[str, Any]:
    """What each setting is on ``table``, normalised so source and target compare directly."""
    ddb = aws("dynamodb")
    description = ddb.describe_table(TableName=table)["Table"]
    stream = description.get("StreamSpecification") or {}
    ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"
    ]
    tags = ddb.list_tags_of_resource(ResourceArn=description["TableArn"]).get("Tags", [])
    scaling = aws("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]

    def own(resource_id: str) -> str | None:
        # Exact match (moto's ResourceId filter is a substring match): table/<t> or table/<t>/index/<i>.
        prefix = f"table/{table}"
        if resource_id == prefix:
            return "table"
        if resource_id.startswith(prefix + "/index/"):
            return resource_id[len(prefix) + 1 :]
        return None

    alarms = [
        a
        for page in aws("cloudwatch").get_paginator("describe_alarms").paginate()
        for a in page["MetricAlarms"]
        if any(d["Name"] == "TableName" and d["Value"] == table for d in a.get("Dimensions", []))
        and not a["AlarmName"].startswith("TargetTracking-")
    ]
    mappings = [
        m
        for m in aws("lambda").list_event_source_mappings(
            EventSourceArn=description.get("LatestStreamArn", "-")
        )["EventSourceMappings"]
        if description.get("LatestStreamArn")
    ]
    kinesis = _settled(
        lambda: ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"],
        lambda destinations: [d["DestinationStatus"] for d in destinations],
    )
    insights = _settled(
        lambda: ddb.describe_contributor_insights(TableName=table)["ContributorInsightsStatus"],
        lambda status: [status],
    )
    try:
        policy = json.loads(ddb.get_resource_policy(ResourceArn=description["TableArn"])["Policy"])
    except ddb.exceptions.PolicyNotFoundException:
        policy = None
    return {
        "streams": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "ttl": (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")),
        "pitr": (pitr.get("PointInTimeRecoveryStatus"), pitr.get("RecoveryPeriodInDays")),
        "tags": sorted((t["Key"], t["Value"]) for t in tags if not t["Key"].startswith("aws:")),
        "deletion_protection": description.get("DeletionProtectionEnabled", False),
        "autoscaling": sorted(
            [
                ("target", own(t["ResourceId"]), t["ScalableDimension"], t["MinCapacity"], t["MaxCapacity"])
                for t in targets
                if own(t["ResourceId"])
            ]
            + [
                (
                    "policy",
                    own(p["ResourceId"]),
                    p["ScalableDimension"],
                    json.dumps(
                        p.get("TargetTrackingScalingPolicyConfiguration", {}), sort_keys=True, default=str
                    ),
                )
                for p in policies
                if own(p["ResourceId"])
            ]
        ),
        "alarms": sorted(
            (a["MetricName"], a["Namespace"], a["Threshold"], a["ComparisonOperator"], a["Period"])
            for a in alarms
        ),
        "triggers": sorted(
            (m["FunctionArn"].rsplit(":", 1)[-1], m.get("BatchSize"), m.get("State"))
            for m in mappings
            if not m["FunctionArn"].endswith("-cdc-subscriber")
        ),
        "kinesis": sorted(
            (d["StreamArn"], d.get("ApproximateCreationDateTimePrecision"))
            for d in kinesis
            if d["DestinationStatus"] == "ACTIVE"
        ),
        "contributor_insights": insights,
        "resource_policy": None
        if policy is None
        else json.loads(_neutral_arns(json.dumps(policy, sort_keys=True), table)),
    }


def compare_settings(aws: Any, source: str, target: str) -> dict[str, dict[str, Any]]:
    """Per setting: equal or not, both values, and whether moto can only simulate it."""
    left = _settings_of(aws, source)
    right = _settings_of(aws, target)
    return {
        name: {
            "equal": left[name] == right[name],
            "source": left[name],
            "target": right[name],
            "simulated": name in SIMULATED_SETTINGS,
        }
        for name in left
    }
