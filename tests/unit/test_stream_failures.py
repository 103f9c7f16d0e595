"""stream_failures: the coverage break a stream mapping's on-failure record stands for.

The record shape is the SQS/SNS invocation record of the AWS Lambda developer guide ("Retaining
discarded records for a DynamoDB event source in Lambda"): arrival times in whole seconds, ``Z``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr import replay_writer, stream_failures

NOW = datetime(2030, 3, 17, 12, 0, tzinfo=UTC)
SENT = datetime(2030, 3, 17, 9, 30, 0, 123000, tzinfo=UTC)


def failure_record(
    first: str | None = "2030-03-17T08:13:19Z", last: str | None = "2030-03-17T08:13:21Z"
) -> str:
    """One discarded batch as Lambda sends it to an SQS on-failure destination."""
    info: dict[str, Any] = {
        "shardId": "shardId-00000001573689847184-864758bb",
        "startSequenceNumber": "800000000003126276362",
        "endSequenceNumber": "800000000003126276370",
        "batchSize": 3,
        "streamArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2030-01-01T00:00:00.000",
    }
    if first is not None:
        info["approximateArrivalOfFirstRecord"] = first
    if last is not None:
        info["approximateArrivalOfLastRecord"] = last
    return json.dumps(
        {
            "requestContext": {
                "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
                "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:pitr-orders-subscriber",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": "2030-03-17T09:30:00.021Z",
            "DDBStreamBatchInfo": info,
        }
    )


def test_a_failure_record_breaks_coverage_until_the_second_after_its_last_record() -> None:
    brk = stream_failures.break_of(failure_record(), sent_at=SENT, now=NOW)
    assert brk.until == datetime(2030, 3, 17, 8, 13, 22, tzinfo=UTC)
    assert brk.unreadable == ""


def test_the_later_arrival_counts_whichever_field_holds_it() -> None:
    swapped = stream_failures.break_of(
        failure_record(first="2030-03-17T08:13:25Z", last="2030-03-17T08:13:21Z"), sent_at=SENT, now=NOW
    )
    assert swapped.until == datetime(2030, 3, 17, 8, 13, 26, tzinfo=UTC)
    only_first = stream_failures.break_of(failure_record(last=None), sent_at=SENT, now=NOW)
    assert only_first.until == datetime(2030, 3, 17, 8, 13, 20, tzinfo=UTC)
    with_millis = stream_failures.break_of(
        failure_record(last="2030-03-17T08:13:21.580Z"), sent_at=SENT, now=NOW
    )
    assert with_millis.until == datetime(2030, 3, 17, 8, 13, 22, 580000, tzinfo=UTC)


@given(arrival=st.integers(1_800_000_000, 1_900_000_000), start=st.floats(1_800_000_000, 1_900_000_001))
def test_the_break_is_exactly_where_the_replay_writer_would_need_the_lost_change(
    arrival: int, start: float
) -> None:
    """A lost change stamped ``arrival`` (whole seconds) matters iff the writer would replay it."""
    iso = datetime.fromtimestamp(arrival, tz=UTC).isoformat().replace("+00:00", "Z")
    brk = stream_failures.break_of(failure_record(first=iso, last=iso), sent_at=None, now=NOW)
    writer_needs_it = arrival >= replay_writer.stale_before(start)
    replay_start = datetime.fromtimestamp(start, tz=UTC)
    assert (replay_start < brk.until) is writer_needs_it or math.isclose(start, arrival + 1, abs_tol=1e-5)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("not json {", "not JSON"),
        (json.dumps(["a", "list"]), "no DDBStreamBatchInfo"),
        (
            json.dumps({"KinesisBatchInfo": {"approximateArrivalOfLastRecord": "2030-03-17T08:13:21Z"}}),
            "no DDBStream",
        ),
        (failure_record(first=None, last=None), "neither"),
        (failure_record(first=None, last="yesterday"), "not an ISO 8601 time"),
        (failure_record(first=None, last=1_900_000_000), "not an ISO 8601 time"),  # type: ignore[arg-type]
    ],
)
def test_an_unreadable_record_is_still_a_break_at_the_time_sqs_received_it(body: str, why: str) -> None:
    brk = stream_failures.break_of(body, sent_at=SENT, now=NOW, message_id="m-1")
    assert brk.until == SENT + timedelta(seconds=1)
    assert why in brk.unreadable and "time SQS received it" in brk.unreadable
    assert brk.message_id == "m-1"
    unknown = stream_failures.break_of(body, sent_at=None, now=NOW)
    assert unknown.until == NOW and "using now" in unknown.unreadable


def test_breaks_of_received_messages_and_the_latest_one() -> None:
    messages = [
        {"MessageId": "a", "Body": failure_record(), "Attributes": {"SentTimestamp": "1900000000000"}},
        {
            "MessageId": "b",
            "Body": "garbage",
            "Attributes": {"SentTimestamp": str(int(SENT.timestamp() * 1000))},
        },
        {"MessageId": "c", "Body": "garbage", "Attributes": {"SentTimestamp": "not a number"}},
        {"MessageId": "d", "Body": failure_record(last="2030-03-17T10:00:00Z")},
    ]
    breaks = stream_failures.breaks_of(messages, NOW)
    assert [b.message_id for b in breaks] == ["a", "b", "c", "d"]
    assert breaks[1].until == SENT + timedelta(seconds=1)
    assert breaks[2].until == NOW, "an unparseable SentTimestamp leaves only now"
    assert stream_failures.latest(breaks) == breaks[2]
    assert stream_failures.latest(breaks[:2]) == breaks[1]
    assert stream_failures.latest([]) is None
