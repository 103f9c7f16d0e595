"""An alarm on an index left out of the restore is skipped and reported, not copied (and not failed)."""

from __future__ import annotations

from pitr.settings_sync import alarms, handler
from pitrctl.sim.worlds import KEYS, SOURCE, TARGET, all_pages, build, c


def _alarm(dimensions: list[dict[str, str]], namespace: str = "AWS/DynamoDB") -> dict[str, object]:
    return {
        "AlarmName": "a",
        "MetricName": "ConsumedReadCapacityUnits",
        "Namespace": namespace,
        "Dimensions": dimensions,
    }


def test_left_out_index_of_the_source_only() -> None:
    on_gsi1 = [
        {"Name": "TableName", "Value": "orders"},
        {"Name": "GlobalSecondaryIndexName", "Value": "gsi1"},
    ]
    assert alarms.left_out_index(_alarm(on_gsi1), "orders", {"gsi2"}) == "gsi1"
    assert alarms.left_out_index(_alarm(on_gsi1), "orders", {"gsi1", "gsi2"}) is None
    assert alarms.left_out_index(_alarm(on_gsi1[:1]), "orders", set()) is None  # the table's own metric
    assert alarms.left_out_index(_alarm(on_gsi1), "other", set()) is None
    assert alarms.left_out_index(_alarm(on_gsi1, namespace="Custom"), "orders", set()) is None
    math = {
        "AlarmName": "m",
        "Metrics": [
            {"Id": "r", "MetricStat": {"Metric": {"Namespace": "AWS/DynamoDB", "Dimensions": on_gsi1}}}
        ],
    }
    assert alarms.left_out_index(math, "orders", set()) == "gsi1"


def test_an_alarm_on_a_left_out_index_is_skipped(aws: None, env: None) -> None:
    world = build()
    ddb = c("dynamodb")
    ddb.delete_table(TableName=TARGET)
    keys = {
        **KEYS,
        "GlobalSecondaryIndexes": [g for g in KEYS["GlobalSecondaryIndexes"] if g["IndexName"] != "gsi1"],
        "AttributeDefinitions": [a for a in KEYS["AttributeDefinitions"] if a["AttributeName"] != "g1"],
    }
    ddb.create_table(TableName=TARGET, **keys)
    summary = handler(world.event("restore"))
    assert summary["failures"] == [], summary["failures"]
    assert summary["settings"]["alarms"] == {"applied": 3, "skipped": 1}
    names = {a["AlarmName"] for a in all_pages(c("cloudwatch").describe_alarms, "MetricAlarms")}
    assert f"{SOURCE}-gsi1-reads" in names
    assert f"{TARGET}-gsi1-reads" not in names
    assert f"{TARGET}-throttles" in names
