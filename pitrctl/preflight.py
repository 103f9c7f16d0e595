"""Checks ``pitrctl restore`` makes before it calls the API: pure functions over API responses.

Each returns a finding (ok, message, hint) so the operator sees every problem at once, not only the
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pitr import patterns
from pitr.restore_record import format_time


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str
    hint: str = ""


def default_target_name(source_table: str, now: datetime) -> str:
    """``<source>-restored-<UTC timestamp>``, cut to DynamoDB's 255 characters."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    suffix = f"-restored-{stamp}"
    return source_table[: 255 - len(suffix)] + suffix


def check_target(source_table: str, target_table: str, pattern: str) -> Finding:
    try:
        patterns.check_target(source_table, target_table, pattern)
    except patterns.PatternError as exc:
        return Finding("target", False, str(exc), "pass --target with a name that matches the pattern")
    return Finding("target", True, f"{target_table} matches {pattern}")


def check_restore_point(
    continuous_backups: dict[str, Any], restore_point: datetime | None
) -> tuple[Finding, datetime | None]:
    """PITR is on and the point lies in the restorable window; None means the latest restorable time.

    Returns the finding and the effective restore point (the latest restorable time for None).
    """
    description = continuous_backups.get("ContinuousBackupsDescription", {})
    pitr = description.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        return (
            Finding(
                "pitr",
                False,
                "point-in-time recovery is off on the source table",
                "turn it on (point_in_time_recovery { enabled = true }); "
                "you can restore only to times after that",
            ),
            None,
        )
    earliest: datetime = pitr["EarliestRestorableDateTime"]
    latest: datetime = pitr["LatestRestorableDateTime"]
    if restore_point is None:
        return Finding(
            "pitr", True, f"restoring to the latest restorable time, {format_time(latest)}"
        ), latest
    if not earliest <= restore_point <= latest:
        return (
            Finding(
                "pitr",
                False,
                f"{format_time(restore_point)} is outside the restorable window "
                f"{format_time(earliest)} .. {format_time(latest)}",
                "pick a time inside the window, or --latest",
            ),
            None,
        )
    return Finding(
        "pitr", True, f"{format_time(restore_point)} is inside the restorable window"
    ), restore_point


def _basic_selectors_record_writes(selectors: list[dict[str, Any]]) -> bool:
    return any(
        s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
        for s in selectors
    )


def _advanced_selectors_record_writes(selectors: list[dict[str, Any]]) -> bool:
    for selector in selectors:
        fields = {f["Field"]: f for f in selector.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {})
        if "Management" not in category.get("Equals", []):
            continue
        read_only = fields.get("readOnly")
        # readOnly == true records only reads; absent or false records writes.
        if read_only is None or "true" not in [v.lower() for v in read_only.get("Equals", [])]:
            return True
    return False


def trail_records_write_management_events(event_selectors: dict[str, Any]) -> bool:
    """True when a trail's ``GetEventSelectors`` answer records write management events.

    A trail without custom selectors (``HasCustomEventSelectors`` false in its description) logs
    every management event, which is AWS's default.
    """
    if event_selectors.get("HasCustomEventSelectors") is False:
        return True
    advanced = event_selectors.get("AdvancedEventSelectors")
    if advanced:
        return _advanced_selectors_record_writes(advanced)
    return _basic_selectors_record_writes(event_selectors.get("EventSelectors", []))


def check_cloudtrail(trails: list[dict[str, Any]], region: str) -> Finding:
    """``trails``: each trail's description plus ``IsLogging`` and its ``EventSelectors`` answer.

    Without a logging trail that records write management events in the region, EventBridge never
    sees RestoreTableToPointInTime (pitrctl still starts the workflow itself, but restores made from
    the console or CLI would go unnoticed).
    """
    for trail in trails:
        covers_region = trail.get("IsMultiRegionTrail") or trail.get("HomeRegion") == region
        if covers_region and trail.get("IsLogging") and trail_records_write_management_events(trail):
            return Finding("cloudtrail", True, f"trail {trail.get('Name')} records write management events")
    return Finding(
        "cloudtrail",
        False,
        f"no CloudTrail trail is logging write management events in {region}",
        "create or fix a trail (multi-region, management events Write or All, logging on); without it "
        "EventBridge never sees a restore started outside pitrctl",
    )
