from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from pitr import cdc_subscriber, codec, metrics
from pitr.cdc_subscriber import Entry, Subscriber, earliest_unsent, newest_per_item, pack

QUEUE = "buffer.fifo"


def record(
    i: int, key: str, event: str = "MODIFY", value: str = "v", t: float = 1_700_000_000.0
) -> dict[str, Any]:
    keys = {"pk": {"S": key}}
    data: dict[str, Any] = {"Keys": keys, "SequenceNumber": str(1000 + i), "ApproximateCreationDateTime": t}
    if event != "REMOVE":
        data["NewImage"] = {**keys, "v": {"S": value}, "i": {"N": str(i)}}
    return {"eventID": f"e{i}", "eventName": event, "dynamodb": data}


# -- pure logic --------------------------------------------------------------------------------


def test_newest_per_item_keeps_last_record_of_each_item_in_stream_order() -> None:
    assert newest_per_item(["a", "b", "a", "c", "b"]) == [2, 3, 4]
    assert newest_per_item([]) == []


def _entry(index: int, group: str, size: int) -> Entry:
    return Entry(index=index, group_id=group, dedup_id=f"e{index}", body="x" * size)


@given(
    st.lists(st.tuples(st.sampled_from("abcdefghijkl"), st.integers(1, 400)), max_size=60),
    st.integers(1, 10),
    st.integers(400, 2000),
)
def test_pack_respects_limits_and_keeps_order(
    spec: list[tuple[str, int]], max_entries: int, max_bytes: int
) -> None:
    entries = [_entry(i, g, size) for i, (g, size) in enumerate(spec)]
    batches = pack(entries, max_entries=max_entries, max_bytes=max_bytes)
    assert [e for b in batches for e in b] == entries  # nothing lost, stream order kept
    for batch in batches:
        assert 1 <= len(batch) <= max_entries
        assert sum(e.size for e in batch) <= max_bytes
        assert len({e.group_id for e in batch}) == len(batch)  # never two entries of one group


def test_pack_fills_requests_up_to_ten_and_one_mib() -> None:
    entries = [_entry(i, str(i), 10) for i in range(25)]
    assert [len(b) for b in pack(entries)] == [10, 10, 5]
    big = [_entry(i, str(i), 400_000) for i in range(5)]
    assert [len(b) for b in pack(big)] == [2, 2, 1]


def test_earliest_unsent_counts_records_coalesced_into_unsent_ones() -> None:
    keys = ["a", "b", "a", "c"]  # a's newest is 2, b's 1, c's 3
    assert earliest_unsent(keys, {1, 2, 3}) is None
    assert earliest_unsent(keys, {1, 3}) == 0  # record 0 was coalesced into the unsent record 2
    assert earliest_unsent(keys, {2, 3}) == 1
    assert earliest_unsent(keys, {1, 2}) == 3


@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=30), st.data())
def test_earliest_unsent_is_the_first_record_not_in_the_buffer(keys: list[str], data: st.DataObject) -> None:
    newest = newest_per_item(keys)
    sent = set(data.draw(st.lists(st.sampled_from(newest), unique=True)))
    result = earliest_unsent(keys, sent)
    last = {k: i for i, k in enumerate(keys)}
    in_buffer = [last[k] in sent for k in keys]
    if all(in_buffer):
        assert result is None
    else:
        assert result == in_buffer.index(False)


# -- against moto ------------------------------------------------------------------------------


@pytest.fixture
def buffer(aws: None) -> Iterator[tuple[Any, str, Any]]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={
            "FifoQueue": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )["QueueUrl"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="spill", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    yield sqs, url, s3


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not got:
            return out
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out += got


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, source: str, values: Any, properties: Any = None) -> str:
        line = metrics.emf_line(source, values, properties)
        self.lines.append(line)
        return line

    def value(self, name: str) -> float:
        return sum(d.value for line in self.lines for d in metrics.parse(line) if d.name == name)


def test_process_coalesces_and_sends_one_message_per_item(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    emitted = Lines()
    sub = Subscriber(sqs, s3, url, "spill", "orders", emit=emitted)
    records = [record(0, "a", value="1"), record(1, "b"), record(2, "a", value="2"), record(3, "a", "REMOVE")]
    outcome = sub.process(records)
    assert outcome.response == {"batchItemFailures": []}
    messages = _drain(sqs, url)
    changes = [codec.decode(m["Body"]) for m in messages]
    assert [(c.key["pk"]["S"], c.op, c.event_id) for c in changes] == [
        ("b", "put", "e1"),
        ("a", "delete", "e3"),
    ]
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {
        codec.group_id({"pk": {"S": "a"}}),
        codec.group_id({"pk": {"S": "b"}}),
    }
    assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == ["e1", "e3"]
    assert (emitted.value("BufferedChanges"), emitted.value("CoalescedChanges")) == (2, 2)


def test_large_batches_use_few_requests(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    sub = Subscriber(sqs, s3, url, "spill", "orders", emit=Lines())
    outcome = sub.process([record(i, f"k{i % 40}") for i in range(100)])
    assert outcome.requests == 4 and outcome.sent == 40
    assert len(_drain(sqs, url)) == 40


def test_oversized_change_is_spilled_to_s3_before_its_message(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    emitted = Lines()
    sub = Subscriber(sqs, s3, url, "spill", "orders", body_limit=2_000, emit=emitted)
    big = record(0, "big")
    big["dynamodb"]["NewImage"]["blob"] = {"B": base64.b64encode(os.urandom(5000)).decode()}
    sub.process([big, record(1, "small")])
    messages = _drain(sqs, url)
    pointer = codec.decode(messages[0]["Body"])
    assert isinstance(pointer, codec.SpillPointer)
    blob = s3.get_object(Bucket=pointer.bucket, Key=pointer.key)["Body"].read()
    assert codec.decode_spilled(pointer, blob).item == big["dynamodb"]["NewImage"]
    assert emitted.value("SpilledChanges") == 1


class FailingSqs:
    """SendMessageBatch that fails chosen entries (by record index), as SQS reports per entry."""

    def __init__(self, real: Any, fail: set[int], raise_on_call: int | None = None) -> None:
        self.real, self.fail, self.raise_on_call, self.calls = real, fail, raise_on_call, 0

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        queue_url, entries = kwargs["QueueUrl"], kwargs["Entries"]
        self.calls += 1
        if self.raise_on_call == self.calls:
            raise ClientError(
                {"Error": {"Code": "RequestThrottled", "Message": "slow down"}}, "SendMessageBatch"
            )
        ok = [e for e in entries if int(e["Id"]) not in self.fail]
        response = self.real.send_message_batch(QueueUrl=queue_url, Entries=ok) if ok else {}
        failed = [
            {"Id": e["Id"], "Code": "InternalError", "SenderFault": False} for e in entries if e not in ok
        ]
        return {"Successful": response.get("Successful", []), "Failed": failed}


def test_failed_entry_stops_sending_and_reports_earliest_unsent_record(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    # 25 items, one record each, then a second record of item k0 at the end (index 25).
    records = [record(i, f"k{i}") for i in range(25)] + [record(25, "k0", value="newer")]
    # k0's newest (25) is in the third request; fail entry 13 (second request).
    fake = FailingSqs(sqs, fail={13})
    outcome = Subscriber(fake, s3, url, "spill", "orders", emit=Lines()).process(records)
    assert fake.calls == 2  # stopped after the request with the failed entry
    # k0's record 0 was coalesced into record 25, which was never sent: retry from record 0.
    assert outcome.response == {"batchItemFailures": [{"itemIdentifier": "1000"}]}
    sent = {codec.decode(m["Body"]).event_id for m in _drain(sqs, url)}  # type: ignore[union-attr]
    assert sent == {f"e{i}" for i in range(1, 21)} - {"e13"}


def test_failure_report_points_at_the_failed_record_when_nothing_earlier_is_pending(
    buffer: tuple[Any, str, Any],
) -> None:
    sqs, url, s3 = buffer
    records = [record(i, f"k{i}") for i in range(12)]
    outcome = Subscriber(FailingSqs(sqs, fail={11}), s3, url, "spill", "orders", emit=Lines()).process(
        records
    )
    assert outcome.response == {"batchItemFailures": [{"itemIdentifier": "1011"}]}


def test_exception_before_anything_was_sent_is_reported_not_raised(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    sub = Subscriber(FailingSqs(sqs, fail=set(), raise_on_call=1), s3, url, "spill", "orders", emit=Lines())
    # Raising would let a bisecting mapping retry part of the batch (see the pipeline tests).
    assert sub.process([record(0, "a"), record(1, "b")]).response == {
        "batchItemFailures": [{"itemIdentifier": "1000"}]
    }


def test_unreadable_record_cuts_the_batch_before_it(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    bad = record(2, "c")
    del bad["dynamodb"]["NewImage"]  # a KEYS_ONLY-like record: cannot be replayed
    records = [record(0, "a"), record(1, "b"), bad, record(3, "a", value="newer")]
    outcome = Subscriber(sqs, s3, url, "spill", "orders", emit=Lines()).process(records)
    assert outcome.response == {"batchItemFailures": [{"itemIdentifier": "1002"}]}
    # Only the prefix was buffered, coalesced on its own: a's newer record waits for the retry.
    assert [codec.decode(m["Body"]).event_id for m in _drain(sqs, url)] == ["e0", "e1"]  # type: ignore[union-attr]


class FailingS3:
    def put_object(self, **kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "PutObject")


def test_spill_failure_cuts_the_batch_before_the_item_first_record(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, _ = buffer
    big = record(2, "big")
    big["dynamodb"]["NewImage"]["blob"] = {"B": base64.b64encode(os.urandom(5000)).decode()}
    records = [record(0, "a"), record(1, "big"), big, record(3, "a")]
    sub = Subscriber(sqs, FailingS3(), url, "spill", "orders", body_limit=2_000, emit=Lines())
    outcome = sub.process(records)
    assert outcome.response == {"batchItemFailures": [{"itemIdentifier": "1001"}]}
    assert [codec.decode(m["Body"]).event_id for m in _drain(sqs, url)] == ["e0"]  # type: ignore[union-attr]


def test_no_request_starts_after_the_deadline(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    now = [0.0]
    sub = Subscriber(sqs, s3, url, "spill", "orders", emit=Lines(), clock=lambda: now[0])

    class Ticking:
        def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
            now[0] += 10
            return sqs.send_message_batch(**kwargs)

    sub.sqs = Ticking()
    outcome = sub.process([record(i, f"k{i}") for i in range(30)], deadline=15.0)
    assert outcome.requests == 2 and outcome.response == {"batchItemFailures": [{"itemIdentifier": "1020"}]}


def test_exception_after_progress_reports_the_unsent_rest(buffer: tuple[Any, str, Any]) -> None:
    sqs, url, s3 = buffer
    sub = Subscriber(FailingSqs(sqs, fail=set(), raise_on_call=2), s3, url, "spill", "orders", emit=Lines())
    outcome = sub.process([record(i, f"k{i}") for i in range(15)])
    assert outcome.response == {"batchItemFailures": [{"itemIdentifier": "1010"}]}
    assert len(_drain(sqs, url)) == 10


def test_handler_reads_its_environment(buffer: tuple[Any, str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    sqs, url, _ = buffer
    lines: list[str] = []
    metrics.set_sink(lines.append)
    try:
        monkeypatch.setenv("BUFFER_QUEUE_URL", url)
        monkeypatch.setenv("SPILL_BUCKET", "spill")
        monkeypatch.setenv("SOURCE_TABLE_NAME", "orders")
        assert cdc_subscriber.handler({"Records": [record(0, "a")]}) == {"batchItemFailures": []}
    finally:
        metrics.set_sink(None)
    assert len(_drain(sqs, url)) == 1
    datum = next(d for d in metrics.parse(lines[0]) if d.name == "BufferedChanges")
    assert (datum.namespace, datum.value, datum.dimensions) == (
        "DynamoDBPitrRestore",
        1.0,
        {"SourceTable": "orders"},
    )
    monkeypatch.delenv("BUFFER_QUEUE_URL")
    with pytest.raises(RuntimeError, match="BUFFER_QUEUE_URL"):
        cdc_subscriber.handler({"Records": []})
