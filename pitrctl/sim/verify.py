"""Verification: the restored table equals the source item for item, settings equal setting by setting."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pitrctl.sim.worlds import settings_of


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
SIMULATED_SETTINGS = ("kinesis", "contributor_insights", "warm_throughput", "replicas")
# Settings settings_sync reports to the operator rather than copies (by default): a difference there
# is expected, and the phase restore summary carries the action to take.
REPORTED_SETTINGS = ("replicas",)


def compare_settings(source: str, target: str) -> dict[str, dict[str, Any]]:
    """Per setting (``worlds.settings_of``): equal or not, both values, and whether moto can only
    simulate it."""
    left = settings_of(source)
    right = settings_of(target)
    return {
        name: {
            "equal": left[name] == right[name],
            "source": left[name],
            "target": right[name],
            "simulated": name in SIMULATED_SETTINGS,
            "reported": name in REPORTED_SETTINGS,
        }
        for name in left
    }
