"""Regression tests: every item's newest change wins, whatever AWS redelivers.

Each test drives the real subscriber and replay writer (moto tables and queues) with an explicit
sequence of deliveries that AWS documents as possible, and fails without the ordering guard or the
exact number keys: the restored item ends older than the source, or an item is lost. (f) is in
tests/unit/test_cdc_subscriber.py (refused entries under a sustained 20% rate).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pitr import clients, codec, guard
from pitr.backoff import Backoff
from pitr.replay_writer import ReplayWriter
from pitrctl.sim.data_path import DataPath
from pitrctl.sim.sqs_mapping import FifoPoller

pytestmark = pytest.mark.slow

NOW = float(int(time.time()))


@pytest.fixture
def path() -> Iterator[DataPath]:
    with mock_aws():
        clients.reset()
        data_path = DataPath.create()
        data_path.set_restore(replay_start=NOW - 3600)
        yield data_path
    clients.reset()


def key(pk: str = "x", sk: int = 0) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def change(n: int, op: str = codec.PUT, k: dict[str, Any] | None = None) -> codec.Change:
    """Change number ``n`` of an item: a larger ``n`` is a newer change (larger sequence number)."""
    keys = k or key()
    return codec.Change(
        op=op,
        key=keys,
        time=NOW - 100 + n,
        seq=str(10**20 + n),
        event_id=f"ev-{n}",
        item={**keys, "v": {"N": str(n)}} if op == codec.PUT else None,
    )


def sqs_event(message_id: str, c: codec.Change, group: str | None = None) -> dict[str, Any]:
    """One record of the SQS event Lambda hands the writer."""
    return {
        "messageId": message_id,
        "body": codec.encode(c, None).body,
        "attributes": {"MessageGroupId": group or c.group_id},
    }


def target(path: DataPath) -> dict[tuple[Any, ...], dict[str, Any]]:
    return path.table_items(path.target)


def value(path: DataPath, pk: str = "x", sk: int = 0) -> int | None:
    item = path.ddb.get_item(TableName=path.target, Key=key(pk, sk)).get("Item")
    return None if item is None else int(item["v"]["N"])


@pytest.mark.parametrize("newer_op", [codec.PUT, codec.DELETE])
def test_issue_a_older_message_back_after_a_lost_delete_is_not_written(path: DataPath, newer_op: str) -> None:
    """(a): m1 (older) and m2 (newer) of one group arrive in one batch; the delete of m1 is lost, m2's
    succeeds. m1 comes back alone after the visibility timeout. Before the guard it overwrote m2."""
    m1, m2 = sqs_event("m1", change(1)), sqs_event("m2", change(2, newer_op))
    assert path.writer.process([m1, m2]).failed_ids == []
    expected = 2 if newer_op == codec.PUT else None
    assert value(path) == expected
    report = path.writer.process([m1])  # redelivered after the visibility timeout
    assert report.failed_ids == [] and report.superseded == 1
    assert value(path) == expected  # a delete is never undone by an older put


def test_issue_b_a_throttled_invocation_never_writes_its_older_change_last(path: DataPath) -> None:
    """(b): invocation 1 holds m1 (older) and is throttled near the visibility timeout; meanwhile
    invocation 2 receives the group again and writes m2 (newer). Invocation 1 then retries m1."""
    second = ReplayWriter(
        dynamodb=path.ddb,
        s3=None,
        records=lambda: path.record,
        source_table=path.source,
        target_pattern=path.pattern,
        ledger_table=path.writer.ledger_table,
        sleep=lambda _: None,
    )

    class ThrottledOnce:
        calls = 0

        def transact_write_items(self, **kwargs: Any) -> Any:
            ThrottledOnce.calls += 1
            if ThrottledOnce.calls == 1:
                error = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}
                raise ClientError(error, "TransactWriteItems")
            return path.ddb.transact_write_items(**kwargs)

    def meanwhile(_delay: float) -> None:
        # The visibility timeout runs out while invocation 1 backs off: invocation 2 gets the group.
        assert second.process([sqs_event("m2", change(2))]).failed_ids == []
        assert value(path) == 2

    first = path.writer
    first.dynamodb, first.sleep, first.backoff = ThrottledOnce(), meanwhile, Backoff(base=0.01, cap=0.01)
    report = first.process([sqs_event("m1", change(1))])
    assert ThrottledOnce.calls == 2 and report.superseded == 1 and report.failed_ids == []
    assert value(path) == 2


def test_issue_c_a_stream_batch_processed_again_after_five_minutes_is_not_replayed_over_newer(
    path: DataPath,
) -> None:
    """(c): the stream mapping processes a batch again more than 5 minutes later: SQS no longer
    deduplicates its message ("any messages sent with the same message deduplication ID are accepted
    successfully but aren't delivered during the 5-minute deduplication interval"), so the older
    change is buffered again after the newer one."""
    batches: list[dict[str, Any]] = []

    def recording(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        batches.append(copy.deepcopy(event))
        return path.stream_handler(event, context)

    path.ddb.put_item(TableName=path.source, Item={**key(), "v": {"N": "1"}})
    path.collect(at=NOW - 10)
    path.driver.deliver(recording)
    path.replay()
    path.ddb.put_item(TableName=path.source, Item={**key(), "v": {"N": "2"}})
    path.collect(at=NOW - 5)
    path.driver.deliver(recording)
    path.replay()
    assert value(path) == 2
    # Minutes later the first batch is processed again; its message is no longer deduplicated
    # (moto drops dedup ids once the message left the queue, as AWS does after 5 minutes).
    assert path.stream_handler(batches[0]) == {"batchItemFailures": []}
    assert path.sqs.sent == 3  # the older change is in the buffer again
    path.replay()
    assert value(path) == 2
    assert target(path) == path.table_items(path.source)


def drain(poller: FifoPoller, max_polls: int = 100) -> None:
    """Poll until the queue is empty. (FifoPoller.drain stops at a poll whose whole batch went to
    the dead-letter queue, as if the queue were empty, and then reports it stuck.)"""
    for _ in range(max_polls):
        poller.poll_once()
        if poller.visible_and_in_flight() == 0:
            return
    raise AssertionError("the buffer did not empty")


def test_issue_d_a_dead_letter_redriven_to_the_end_of_its_group_is_not_written_over_newer(
    path: DataPath,
) -> None:
    """(d): m1 fails until it moves to the dead-letter queue; m2 is then applied. The README's old
    runbook redrove the DLQ into the buffer: m1 lands after m2 and was written over it."""
    sqs = path.sqs.real
    dlq = sqs.create_queue(QueueName="orders-buffer-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    failing = {"ev-1"}

    class RefusesM1:
        def transact_write_items(self, **kwargs: Any) -> Any:
            puts = [a["Put"]["Item"] for a in kwargs["TransactItems"] if "Put" in a]
            if any(item.get("v", {}).get("N") == "1" for item in puts) and failing:
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "x"}}, "Tx")
            return path.ddb.transact_write_items(**kwargs)

    path.writer.dynamodb = RefusesM1()
    for c in (change(1), change(2)):
        path.sqs.send_message_batch(
            QueueUrl=path.queue_url,
            Entries=[
                {
                    "Id": "0",
                    "MessageBody": codec.encode(c, None).body,
                    "MessageGroupId": c.group_id,
                    "MessageDeduplicationId": c.event_id,
                }
            ],
        )
    poller = FifoPoller(
        sqs, path.queue_url, path.replay_handler, batch_size=1, max_receive_count=5, dlq_url=dlq
    )
    drain(poller)
    assert poller.stats.dead_lettered == 1 and value(path) == 2
    # Redrive (console "start DLQ redrive" or a script): m1 goes to the end of its group.
    failing.clear()
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    for message in moved:
        sqs.send_message(
            QueueUrl=path.queue_url,
            MessageBody=message["Body"],
            MessageGroupId=message["Attributes"]["MessageGroupId"],
            MessageDeduplicationId="redriven-" + message["Attributes"]["MessageDeduplicationId"],
        )
    drain(poller)
    assert value(path) == 2


def test_issue_e_number_keys_differing_beyond_the_28th_digit_are_two_items() -> None:
    """(e): DynamoDB numbers carry 38 significant digits; normalised at Python's default precision
    (28) two such keys shared one message group and one identity, and one item was lost."""
    with mock_aws():
        clients.reset()
        path = DataPath.create(key_schema=(("id", "N"),))
        path.set_restore(replay_start=NOW - 3600)
        a, b = "1234567890123456789012345678901234567", "1234567890123456789012345678901234568"
        assert codec.group_id({"id": {"N": a}}) != codec.group_id({"id": {"N": b}})
        path.ddb.put_item(TableName=path.source, Item={"id": {"N": a}, "v": {"N": "1"}})
        path.ddb.put_item(TableName=path.source, Item={"id": {"N": b}, "v": {"N": "2"}})
        path.ddb.put_item(TableName=path.source, Item={"id": {"N": a}, "v": {"N": "3"}})
        path.collect(at=NOW - 10)
        path.capture()
        assert path.sqs.sent == 2  # one message per item: nothing coalesced across the two
        path.replay()
        assert target(path) == path.table_items(path.source)
        assert len(target(path)) == 2


def test_messages_buffered_under_legacy_group_ids_still_apply_in_order(path: DataPath) -> None:
    """Upgrade: messages sent by a version that rounded keys to 28 digits carry the old group id.
    The writer accepts them (codec.legacy_group_id), identifies items exactly, and the guard orders
    them against messages under the new group id."""
    long_a = {**key(), "sk": {"N": "1234567890123456789012345678901"}}
    long_b = {**key(), "sk": {"N": "1234567890123456789012345678902"}}
    legacy = codec.legacy_group_id(long_a)
    assert legacy == codec.legacy_group_id(long_b) != codec.group_id(long_a)
    events = [
        sqs_event("old-a", change(1, k=long_a), group=legacy),
        sqs_event("old-b", change(2, k=long_b), group=legacy),
        sqs_event("new-a", change(3, k=long_a)),
    ]
    report = path.writer.process(events)
    assert report.failed_ids == [] and report.replayed == 2
    got = {item["sk"]["N"]: int(item["v"]["N"]) for item in target(path).values()}
    assert got == {long_a["sk"]["N"]: 3, long_b["sk"]["N"]: 2}
    # The legacy message of a, delivered again later, is older: skipped.
    assert path.writer.process([events[0]]).superseded == 1


def test_the_restored_table_holds_nothing_of_ours(path: DataPath) -> None:
    """At cut-over the restored table holds the source's items only: no watermark attribute, no
    tombstone item (the ledger is another table)."""
    path.writer.process([sqs_event("m1", change(1)), sqs_event("m2", change(2, k=key("y")))])
    path.writer.process([sqs_event("m3", change(3, codec.DELETE, k=key("y")))])
    assert target(path) == {("{'S': 'x'}", "{'N': '0'}"): {**key(), "v": {"N": "1"}}}
    ledger = path.ddb.scan(TableName=path.writer.ledger_table)["Items"]
    assert len(ledger) == 2 and {row["op"]["S"] for row in ledger} == {codec.PUT, codec.DELETE}


def test_a_conditional_ledger_write_then_a_plain_write_is_not_atomic(path: DataPath) -> None:
    """Why the guard pays for a transaction (docs/ordering.md): the cheaper order of writes, a
    conditional ledger write first and then a plain target write, loses the newer change when two
    invocations hold the item (issue (b)); the guard's transaction cannot be split that way."""
    ddb, ledger, restore_id = path.ddb, path.writer.ledger_table, "r-1"
    c1, c2 = change(1), change(2)

    def ledger_first(c: codec.Change) -> Any:
        action = guard.ledger_action(ledger, restore_id, c, NOW)["Put"]
        ddb.put_item(**action)  # raises when the ledger already holds a newer change
        return lambda: ddb.put_item(**guard.target_action(path.target, c)["Put"])

    write_c1 = ledger_first(c1)  # invocation A (older) passes the ledger check ...
    write_c2 = ledger_first(c2)  # ... B (newer) passes it too and writes
    write_c2()
    write_c1()  # A, delayed, writes last
    row = ddb.get_item(TableName=ledger, Key={"pk": {"S": guard.ledger_key(restore_id, c2)}})["Item"]
    assert row["wm"]["S"] == c2.watermark and value(path) == 1  # the ledger says c2, the item is c1

    # The guard: each change is one transaction; in either order the newer one stays.
    for first, second in ((c1, c2), (c2, c1)):
        ddb.delete_item(TableName=ledger, Key={"pk": {"S": guard.ledger_key("r-2", c1)}})
        for c in (first, second):
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        guard.target_action(path.target, c),
                        guard.ledger_action(ledger, "r-2", c, NOW),
                    ]
                )
            except ddb.exceptions.TransactionCanceledException:
                assert c is c1  # only the older change is ever refused
        assert value(path) == 2
