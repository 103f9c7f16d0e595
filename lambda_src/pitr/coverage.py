"""Replay window and coverage: pure functions, no AWS calls (docs/design.md#replay-window,
docs/design.md#coverage).

The buffer provably holds every change since ``covered_since``, the latest of:
- the buffer's creation (nothing was captured before it existed);
- the end of the previous replay (that replay consumed, i.e. deleted, what came before);
- the moment the oldest retained change would have expired: retention was raised at
  ``retention_raised_at``, and SQS may take up to 15 minutes to apply a retention change to messages
  already queued, so a change older than ``retention_raised_at + 15 min - standby_retention`` may be gone;
- the last coverage break (a stream record that never reached the buffer): the waiter's
  ``plan_replay`` reads it from the stream failure queue (``pitr.stream_failures``) and keeps the
  latest in the coverage parameter's ``coverage_break_at``.
A replay start older than ``covered_since`` is a gap: changes in between may be missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pitr.restore_record import REPLAY_FROM, format_time

# SQS applies a MessageRetentionPeriod change to messages already queued within up to 15 minutes.
RETENTION_PROPAGATION = timedelta(minutes=15)
# The retention the workflow holds while a restore is in flight: SQS's maximum, 14 days.
RESTORE_RETENTION_SECONDS = 1_209_600


class CoverageError(ValueError):
    """Inputs the coverage check cannot use (unknown replay_from, missing request time)."""


@dataclass(frozen=True)
class Coverage:
    replay_start: datetime
    covered_since: datetime

    @property
    def gap(self) -> bool:
        """True when changes between the replay start and ``covered_since`` may be missing."""
        return self.replay_start < self.covered_since

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "replay_start": format_time(self.replay_start),
            "covered_since": format_time(self.covered_since),
            "gap": self.gap,
        }
        if self.gap:
            # The time range whose changes may be missing, for the Coverage Gap notification.
            out["gap_from"] = format_time(self.replay_start)
            out["gap_to"] = format_time(self.covered_since)
            out["gap_seconds"] = round((self.covered_since - self.replay_start).total_seconds(), 3)
        return out


def replay_start(replay_from: str, restore_point: datetime, requested_at: datetime | None) -> datetime:
    """Replay start: the restore point (clone/migrate) or the restore request time (recover)."""
    if replay_from == "restore_point":
        return restore_point
    if replay_from == "restore_request":
        if requested_at is None:
            raise CoverageError("replay_from is restore_request but the restore request time is unknown")
        return requested_at
    raise CoverageError(f"replay_from {replay_from!r} is not one of {REPLAY_FROM}")


def covered_since(
    *,
    buffer_created: datetime,
    retention_raised_at: datetime,
    standby_retention_seconds: int,
    previous_replay_end: datetime | None = None,
    last_coverage_break: datetime | None = None,
) -> datetime:
    """The earliest time from which the buffer provably holds every change (module docstring)."""
    expiry_bound = retention_raised_at + RETENTION_PROPAGATION - timedelta(seconds=standby_retention_seconds)
    candidates = [buffer_created, expiry_bound]
    candidates += [t for t in (previous_replay_end, last_coverage_break) if t is not None]
    return max(candidates)
