from __future__ import annotations

import itertools

import boto3

from pitrctl.sim import traffic
from pitrctl.sim.restores import scan_all
from pitrctl.sim.verify import compare_items


def test_plan_is_reproducible_and_mixed() -> None:
    first = list(itertools.islice(traffic.plan(seed=3, items=50, large_items=2), 400))
    again = list(itertools.islice(traffic.plan(seed=3, items=50, large_items=2), 400))
    assert first == again
    kinds = {op.kind for op in first}
    assert kinds == {"put", "update", "delete"}
    large = [op for op in first if op.item and "blob" in op.item]
    assert large, "large items must appear"
    assert all(len(op.item["blob"]["B"]) == traffic.LARGE_ITEM_BYTES for op in large)


def test_compare_items_reports_each_kind_of_difference() -> None:
    a = {"pk": {"S": "1"}, "v": {"N": "1"}}
    b = {"pk": {"S": "2"}, "v": {"N": "2"}}
    b_changed = {"pk": {"S": "2"}, "v": {"N": "3"}}
    c = {"pk": {"S": "3"}}
    assert compare_items([a, b], [a, b], ["pk"]) == []
    problems = sorted(d["problem"] for d in compare_items([a, b], [b_changed, c], ["pk"]))
    assert problems == ["differs", "missing in the restored table", "only in the restored table"]


def test_apply_and_scan_round_trip(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    expected: dict[str, dict] = {}
    for op in itertools.islice(traffic.plan(seed=1, items=20, large_items=0), 200):
        traffic.apply(op, ddb, "t")
        name = op.key["pk"]["S"]
        if op.kind == "put":
            expected[name] = dict(op.item)
        elif op.kind == "update":
            item = expected.setdefault(name, dict(op.key))
            item["counter"] = {"N": str(op.counter)}
            item["updates"] = {"N": str(int(item.get("updates", {"N": "0"})["N"]) + 1)}
        else:
            expected.pop(name, None)
    assert compare_items(list(expected.values()), scan_all(ddb, "t"), ["pk", "sk"]) == []
