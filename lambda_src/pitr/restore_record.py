"""The restore record: the workflow's SSM parameter ``/<ssm_prefix>/restore`` (DESIGN section 4).

Absent when idle. The workflow creates it with a create-if-absent write (the claim) and updates it
as the restore moves on; the replay writer reads it through ``RecordCache`` to learn the target and
the replay start; pitrctl reads it for ``status``.

Times are ISO 8601 UTC strings with a ``Z`` suffix (second precision or finer), so the record reads
well in the console and Step Functions can write ``$$.State.EnteredTime`` into it as-is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from pitr.codec import json_object

CLAIMED = "claimed"
RESTORING = "restoring"
REPLAYING = "replaying"
CAUGHT_UP = "caught_up"
CUTTING_OVER = "cutting_over"
STATUSES = (CLAIMED, RESTORING, REPLAYING, CAUGHT_UP, CUTTING_OVER)

REPLAY_FROM = ("restore_point", "restore_request")


class RecordError(ValueError):
    """A restore record that cannot be used (malformed JSON, unknown status, bad time)."""


def parse_time(value: str | float | int | datetime) -> datetime:
    """Parse an ISO 8601 string (``Z`` or offset), epoch seconds, or a datetime into aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RecordError(f"not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime | float | int) -> str:
    """Format as ISO 8601 UTC with a ``Z`` suffix; keeps sub-second digits only when present."""
    moment = parse_time(value)
    text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return text


@dataclass(frozen=True)
class RestoreRecord:
    restore_id: str
    target_table: str
    status: str
    replay_from: str
    restore_point: str | None = None
    replay_start: str | None = None
    execution_arn: str | None = None
    task_token: str | None = None
    covered_since: str | None = None
    updated_at: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise RecordError(f"restore record status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.replay_from not in REPLAY_FROM:
            raise RecordError(f"restore record replay_from {self.replay_from!r} is not one of {REPLAY_FROM}")
        for name in ("restore_point", "replay_start", "covered_since", "updated_at"):
            value = getattr(self, name)
            if value is not None:
                parse_time(value)

    @property
    def replay_start_epoch(self) -> float | None:
        """Replay start in epoch seconds, or None while it is not known yet."""
        return None if self.replay_start is None else parse_time(self.replay_start).timestamp()

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RestoreRecord:
        data = json_object(text, "restore record", RecordError)
        known = {f.name for f in fields(cls)}
        missing = [n for n in ("restore_id", "target_table", "status", "replay_from") if n not in data]
        if missing:
            raise RecordError(f"restore record lacks {', '.join(missing)}")
        # Unknown keys are kept out rather than refused: a newer workflow may add fields.
        return cls(**{k: v for k, v in data.items() if k in known})


def load(ssm: Any, parameter_name: str) -> RestoreRecord | None:
    """Read the record; None when no restore is in flight (the parameter is absent)."""
    try:
        response = ssm.get_parameter(Name=parameter_name)
    except ssm.exceptions.ParameterNotFound:
        return None
    return RestoreRecord.from_json(response["Parameter"]["Value"])


class RecordCache:
    """Per-container cache of the restore record with a short TTL.

    SSM ``GetParameter`` is rate limited per account (40 TPS by default), and every replay batch
    needs the record, so containers share one read per ``ttl_seconds``.
    """

    def __init__(
        self,
        loader: Callable[[], RestoreRecord | None],
        ttl_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl = ttl_seconds
        self._clock = clock
        self._value: RestoreRecord | None = None
        self._loaded_at: float | None = None

    def get(self) -> RestoreRecord | None:
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= self._ttl:
            self._value = self._loader()
            self._loaded_at = now
        return self._value

    def invalidate(self) -> None:
        self._loaded_at = None
