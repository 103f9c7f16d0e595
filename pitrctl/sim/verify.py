"""Verification of settings: equal setting by setting (items: ``pitrctl.verify.compare_items``)."""

from __future__ import annotations

from typing import Any

from pitr.settings_sync import catalogue
from pitrctl.sim.worlds import settings_of

################################################################################
# Settings: read both tables back and compare what settings_sync copies
################################################################################

# Settings whose AWS API moto lacks; the sandbox serves them from DynamoDBExtrasFake, so "copied"
# here means the copy was requested with the right parameters and read back from the fake.
SIMULATED_SETTINGS = ("kinesis", "contributor_insights", "warm_throughput", "replicas")
# Settings settings_sync reports to the operator rather than copies (by default): a difference there
# is expected, and the phase restore summary carries the action to take. The catalogue says which.
REPORTED_SETTINGS = tuple(s.name for s in catalogue.SETTINGS if s.handling == "reported")


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
