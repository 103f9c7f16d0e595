"""Simulated live traffic: puts, updates and deletes on a fixed set of items, some near 400 KB.

Pure generation (``plan``) is separate from applying it (``apply``), so tests can reason about the
operations and the rehearsal can pace them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# A DynamoDB item is at most 400 KB including attribute names; leave room for keys and names.
LARGE_ITEM_BYTES = 390 * 1024


@dataclass(frozen=True)
class Operation:
    kind: str  # "put", "update" or "delete"
    key: dict[str, Any]
    item: dict[str, Any] | None = None  # full item for "put"
    counter: int = 0  # value written by "update"


def key_of(index: int) -> dict[str, Any]:
    return {"pk": {"S": f"item-{index:05d}"}, "sk": {"S": "v"}}


def plan(seed: int, items: int, large_items: int) -> Iterator[Operation]:
    """An endless, reproducible stream of operations; hot items are chosen more often."""
    rng = random.Random(seed)
    large = set(rng.sample(range(items), min(large_items, items)))
    step = 0
    while True:
        step += 1
        # 20% of the traffic goes to the first 5% of items, the rest spreads over all.
        index = rng.randrange(max(1, items // 20)) if rng.random() < 0.2 else rng.randrange(items)
        roll = rng.random()
        key = key_of(index)
        if roll < 0.6:
            item = dict(key, step={"N": str(step)}, payload={"S": f"{seed}-{step}"})
            if index in large:
                item["blob"] = {"B": rng.randbytes(LARGE_ITEM_BYTES)}
            yield Operation("put", key, item=item)
        elif roll < 0.85:
            yield Operation("update", key, counter=step)
        else:
            yield Operation("delete", key)


def apply(operation: Operation, dynamodb: Any, table: str) -> None:
    """Write one operation to ``table`` with the low-level client."""
    if operation.kind == "put":
        dynamodb.put_item(TableName=table, Item=operation.item)
    elif operation.kind == "update":
        dynamodb.update_item(
            TableName=table,
            Key=operation.key,
            UpdateExpression="SET #c = :c ADD #n :one",
            ExpressionAttributeNames={"#c": "counter", "#n": "updates"},
            ExpressionAttributeValues={":c": {"N": str(operation.counter)}, ":one": {"N": "1"}},
        )
    else:
        dynamodb.delete_item(TableName=table, Key=operation.key)
