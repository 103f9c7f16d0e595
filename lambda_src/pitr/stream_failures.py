"""Coverage breaks from the stream mapping's on-failure records (docs/design.md#coverage): pure functions.

When the stream event source mapping gives up on a batch (retries exhausted or the record about to
leave the stream), Lambda sends an invocation record to the on-failure destination, an SQS queue.
It holds no change, only where the batch was (AWS Lambda developer guide, "Retaining discarded
records for a DynamoDB event source in Lambda", example SQS/SNS invocation record)::

    {"requestContext": {"condition": "RetryAttemptsExhausted", ...},
     "responseContext": {...}, "version": "1.0", "timestamp": "2019-11-14T00:13:49.717Z",
     "DDBStreamBatchInfo": {"shardId": "shardId-...", "startSequenceNumber": "8000...",
        "endSequenceNumber": "8000...", "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
        "approximateArrivalOfLastRecord": "2019-11-14T00:13:19Z", "batchSize": 1,
        "streamArn": "arn:aws:dynamodb:...:table/mytable/stream/..."}}

The changes of that batch never reached the buffer, so coverage is broken up to the batch's last
record. Arrival times come in whole seconds, rounded down like the stream's
``ApproximateCreationDateTime``, and the replay writer replays every change from the replay start's
second on (``replay_writer.stale_before``): a missing change stamped second ``S`` matters to every
replay start before ``S + 1 s``. So a failure record breaks coverage until ``last arrival + 1 s``.

A record this module cannot read is still a failure: unknown means not covered. Its break is the
time SQS received it (the failed changes arrived in the stream before Lambda gave up on them) plus
the same second, or "now" when even that is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pitr.restore_record import RecordError, parse_time

BATCH_INFO = "DDBStreamBatchInfo"
ARRIVAL_FIELDS = ("approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord")
# Arrival times are whole seconds, rounded down: a change stamped S may matter to starts before S + 1 s.
ARRIVAL_RESOLUTION = timedelta(seconds=1)


@dataclass(frozen=True)
class CoverageBreak:
    """Coverage is broken until ``until``: changes before it may be missing from the buffer."""

    until: datetime
    # Empty when read from the failure record; otherwise why the record's own times were not used.
    unreadable: str = ""
    message_id: str = ""


def _arrivals(body: str) -> list[datetime]:
    """The batch's arrival times; ValueError saying what is wrong when there are none."""
    try:
        record = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON ({exc.msg})") from exc
    info = record.get(BATCH_INFO) if isinstance(record, dict) else None
    if not isinstance(info, dict):
        raise ValueError(f"the body has no {BATCH_INFO} object")
    times = []
    for name in ARRIVAL_FIELDS:
        value = info.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{BATCH_INFO}.{name} is {value!r}, not an ISO 8601 time")
        try:
            times.append(parse_time(value))
        except RecordError as exc:
            raise ValueError(f"{BATCH_INFO}.{name}: {exc}") from exc
    if not times:
        raise ValueError(f"{BATCH_INFO} has neither {ARRIVAL_FIELDS[0]} nor {ARRIVAL_FIELDS[1]}")
    return times


def break_of(body: str, *, sent_at: datetime | None, now: datetime, message_id: str = "") -> CoverageBreak:
    """The coverage break one failure record stands for; never raises (unknown = not covered)."""
    try:
        # max of first and last: the last is the batch's newest, but trust neither order nor presence.
        return CoverageBreak(max(_arrivals(body)) + ARRIVAL_RESOLUTION, message_id=message_id)
    except ValueError as exc:
        if sent_at is not None:
            reason = f"{exc}: using the time SQS received it"
            return CoverageBreak(sent_at + ARRIVAL_RESOLUTION, unreadable=reason, message_id=message_id)
        return CoverageBreak(
            now, unreadable=f"{exc}, and SQS gave no SentTimestamp: using now", message_id=message_id
        )


def breaks_of(messages: Iterable[dict[str, Any]], now: datetime) -> list[CoverageBreak]:
    """Breaks of SQS ``ReceiveMessage`` messages (``Body``, ``MessageId``, ``Attributes.SentTimestamp``)."""
    out = []
    for message in messages:
        sent = (message.get("Attributes") or {}).get("SentTimestamp")
        try:
            sent_at = parse_time(int(sent) / 1000) if sent is not None else None
        except (TypeError, ValueError):
            sent_at = None
        out.append(
            break_of(
                str(message.get("Body", "")),
                sent_at=sent_at,
                now=now,
                message_id=str(message.get("MessageId", "")),
            )
        )
    return out


def latest(breaks: Iterable[CoverageBreak]) -> CoverageBreak | None:
    """The break that bounds coverage: the latest one (coverage holds only after every break)."""
    return max(breaks, key=lambda b: b.until, default=None)
