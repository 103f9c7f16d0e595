"""Coverage (docs/design.md#coverage): the buffer provably holds every change since covered_since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr import coverage

times = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))
maybe_times = st.one_of(st.none(), times)
retention = st.integers(60, 1_209_600)


@given(created=times, raised=times, standby=retention, previous=maybe_times, broken=maybe_times, start=times)
def test_covered_since_is_the_latest_bound_and_a_gap_is_exactly_an_older_start(
    *,
    created: datetime,
    raised: datetime,
    standby: int,
    previous: datetime | None,
    broken: datetime | None,
    start: datetime,
) -> None:
    since = coverage.covered_since(
        buffer_created=created,
        retention_raised_at=raised,
        standby_retention_seconds=standby,
        previous_replay_end=previous,
        last_coverage_break=broken,
    )
    expiry_bound = raised + timedelta(minutes=15) - timedelta(seconds=standby)
    bounds = [created, expiry_bound] + [t for t in (previous, broken) if t is not None]
    assert since == max(bounds)
    assert all(since >= b for b in bounds), "no change older than any bound is claimed to be held"
    result = coverage.Coverage(replay_start=start, covered_since=since)
    assert result.gap is (start < since)
    if result.gap:
        assert result.as_dict()["gap_seconds"] == pytest.approx((since - start).total_seconds(), abs=1e-3)
    else:
        assert "gap_from" not in result.as_dict()


def test_a_restore_to_the_latest_time_with_the_default_standby_retention_has_no_gap() -> None:
    # Restore requested at 12:00 to the latest restorable time (about 5 minutes earlier); the
    # workflow raised retention 2 minutes after the request (CloudTrail + EventBridge delay).
    request = datetime(2030, 3, 17, 12, 0, tzinfo=UTC)
    result = coverage.Coverage(
        replay_start=coverage.replay_start("restore_point", request - timedelta(minutes=5), request),
        covered_since=coverage.covered_since(
            buffer_created=datetime(2030, 1, 1, tzinfo=UTC),
            retention_raised_at=request + timedelta(minutes=2),
            standby_retention_seconds=4 * 3600,
        ),
    )
    assert not result.gap
    assert result.covered_since == request + timedelta(minutes=2, seconds=900) - timedelta(hours=4)


def test_the_replay_start_follows_replay_from() -> None:
    point, request = datetime(2030, 3, 17, 9, tzinfo=UTC), datetime(2030, 3, 17, 12, tzinfo=UTC)
    assert coverage.replay_start("restore_point", point, request) == point
    assert coverage.replay_start("restore_request", point, request) == request
    with pytest.raises(coverage.CoverageError, match="request time is unknown"):
        coverage.replay_start("restore_request", point, None)
    with pytest.raises(coverage.CoverageError):
        coverage.replay_start("yesterday", point, request)
