"""Verification: the restored table equals the source item for item, settings equal setting by setting."""

from __future__ import annotations

import json
from collections.abc import Iterable
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
