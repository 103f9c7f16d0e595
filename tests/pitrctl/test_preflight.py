from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pitrctl.preflight import (
    check_cloudtrail,
    check_restore_point,
    check_target,
    default_target_name,
    trail_records_write_management_events,
)

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def _backups(status: str = "ENABLED") -> dict:
    return {
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {
                "PointInTimeRecoveryStatus": status,
                "EarliestRestorableDateTime": NOW - timedelta(days=35),
                "LatestRestorableDateTime": NOW - timedelta(minutes=5),
            },
        }
    }


def test_default_target_name_matches_default_pattern() -> None:
    name = default_target_name("orders", NOW)
    assert name == "orders-restored-20261122120000"
    assert check_target("orders", name, "orders-restored-*").ok


def test_default_target_name_fits_table_name_limit() -> None:
    assert len(default_target_name("x" * 255, NOW)) == 255


def test_target_outside_pattern_is_a_finding() -> None:
    finding = check_target("orders", "orders-copy", "orders-restored-*")
    assert not finding.ok and "does not match" in finding.message and finding.hint


def test_restore_point_latest() -> None:
    finding, point = check_restore_point(_backups(), None)
    assert finding.ok and point == NOW - timedelta(minutes=5)


def test_restore_point_inside_and_outside_window() -> None:
    inside = NOW - timedelta(days=1)
    assert check_restore_point(_backups(), inside) == (check_restore_point(_backups(), inside)[0], inside)
    finding, point = check_restore_point(_backups(), NOW - timedelta(days=36))
    assert not finding.ok and point is None and "outside the restorable window" in finding.message
    finding, _ = check_restore_point(_backups(), NOW)  # later than the latest restorable time
    assert not finding.ok


def test_pitr_off() -> None:
    finding, point = check_restore_point(_backups("DISABLED"), None)
    assert not finding.ok and point is None and "off" in finding.message


@pytest.mark.parametrize(
    ("selectors", "records"),
    [
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]}, False),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                ]
            },
            True,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ]
                    }
                ]
            },
            False,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            False,
        ),
    ],
)
def test_trail_selectors(selectors: dict, records: bool) -> None:
    assert trail_records_write_management_events(selectors) is records


def test_cloudtrail_needs_a_logging_trail_in_region() -> None:
    good = {"Name": "main", "IsMultiRegionTrail": False, "HomeRegion": "eu-west-1", "IsLogging": True}
    good |= {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}
    assert check_cloudtrail([good], "eu-west-1").ok
    assert not check_cloudtrail([good], "us-east-1").ok
    assert check_cloudtrail([good | {"IsMultiRegionTrail": True}], "us-east-1").ok
    assert not check_cloudtrail([good | {"IsLogging": False}], "eu-west-1").ok
    finding = check_cloudtrail([], "eu-west-1")
    assert not finding.ok and "trail" in finding.hint
