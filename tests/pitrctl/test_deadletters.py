"""pitrctl deadletters against moto: items re-applied from the source's current state through the
ordering guard; a message deleted only once its item is applied; never older over newer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto_world import REGION, client, create_table, put_manifest, put_record, record

from pitr import codec, guard
from pitrctl import deadletters
from pitrctl.cli import main
from pitrctl.options import DeadLettersOptions
from pitrctl.ui import Ui

RESTORE = record(
    restore_id="r-7",
    target_table="orders-restored-1",
    status="replaying",
    replay_start="2026-11-30T00:00:00Z",
)
_aws = client


@pytest.fixture
def dlq(aws: None) -> str:
    create_table("orders")
    create_table("orders-restored-1")
    _aws("dynamodb").create_table(**guard.ledger_table_spec("pitr-orders-ledger"))
    dlq = _aws("sqs").create_queue(QueueName="pitr-orders-buffer-dlq.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    put_manifest(cdc_buffer={"buffer_dlq_url": dlq, "ledger_table_name": "pitr-orders-ledger"})
    put_record(RESTORE)
    return dlq


def change(pk: str, n: int, op: str = codec.PUT) -> codec.Change:
    keys = {"pk": {"S": pk}}
    return codec.Change(
        op=op,
        key=keys,
        time=1_800_000_000.0 + n,
        seq=str(10**20 + n),
        event_id=f"ev-{pk}-{n}",
        item={**keys, "v": {"N": str(n)}} if op == codec.PUT else None,
    )


def dead_letter(dlq: str, c: codec.Change, body: str | None = None) -> None:
    _aws("sqs").send_message(
        QueueUrl=dlq,
        MessageBody=body if body is not None else codec.encode(c, None).body,
        MessageGroupId=c.group_id,
        MessageDeduplicationId=c.event_id,
    )


def target() -> dict[str, int]:
    items = _aws("dynamodb").scan(TableName="orders-restored-1")["Items"]
    return {i["pk"]["S"]: int(i["v"]["N"]) for i in items}


def replay(*changes: codec.Change) -> None:
    """What the replay writer did before the messages below were dead-lettered."""
    ddb = _aws("dynamodb")
    for c in changes:
        ddb.transact_write_items(
            TransactItems=[
                guard.target_action(RESTORE.target_table, c),
                guard.ledger_action("pitr-orders-ledger", RESTORE.restore_id, c, 0.0),
            ]
        )


def run(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["deadletters", "--table", "orders", "--json", "--region", REGION, *extra])
    return code, json.loads(capsys.readouterr().out)


def test_items_are_reapplied_from_the_source_and_messages_deleted(
    dlq: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ddb = _aws("dynamodb")
    # a: dead letter of change 1; the source has moved on to 5 (its change may still be buffered).
    ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "5"}})
    dead_letter(dlq, change("a", 1))
    # b: dead letter of a put; the source deleted b since: the target must not keep it.
    _aws("dynamodb").put_item(TableName="orders-restored-1", Item={"pk": {"S": "b"}, "v": {"N": "0"}})
    dead_letter(dlq, change("b", 2))
    # c: replay already wrote a newer change (4) than the dead letter (3): superseded, nothing written.
    replay(change("c", 4))
    ddb.put_item(TableName="orders", Item={"pk": {"S": "c"}, "v": {"N": "9"}})
    dead_letter(dlq, change("c", 3))
    code, result = run(capsys)
    assert code == 0
    assert (result["received"], result["applied"], result["superseded"], result["failed"]) == (3, 2, 1, 0)
    assert target() == {"a": 5, "c": 4}
    assert (
        _aws("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "0"
    )


def test_an_older_buffered_change_after_the_reapply_is_skipped(
    dlq: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The re-apply raises the item's watermark to the dead letter's: the older changes still in the
    buffer cannot overwrite the current state; newer ones still apply."""
    _aws("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "7"}})
    dead_letter(dlq, change("a", 6))
    assert run(capsys)[0] == 0 and target() == {"a": 7}
    ddb = _aws("dynamodb")
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        replay(change("a", 5))  # older, still in the buffer
    replay(change("a", 7))  # the change the source's current state came from
    assert target() == {"a": 7}


def test_a_message_that_cannot_be_applied_stays(dlq: str, capsys: pytest.CaptureFixture[str]) -> None:
    dead_letter(dlq, change("x", 1), body="garbage")
    dead_letter(dlq, change("a", 2))
    _aws("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    code, result = run(capsys)
    assert code == 1 and "could not be applied" in result["error"]
    assert target() == {"a": 2}
    sqs = _aws("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert (
        int(attributes["ApproximateNumberOfMessages"])
        + int(attributes["ApproximateNumberOfMessagesNotVisible"])
        == 1
    )


def test_without_a_restore_nothing_is_touched(dlq: str, capsys: pytest.CaptureFixture[str]) -> None:
    _aws("ssm").delete_parameter(Name="/dynamodb-pitr/orders/restore")
    dead_letter(dlq, change("a", 1))
    code, result = run(capsys)
    assert code == 1 and "no restore of orders is in flight" in result["error"]
    attributes = _aws("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_max_messages_stops_after_that_many(dlq: str) -> None:
    for n in (1, 2, 3):
        dead_letter(dlq, change(f"k{n}", n))
    options = DeadLettersOptions(table="orders", max_messages=2)
    result = deadletters.deadletters(options, client, Ui(json_mode=True), clock=lambda: 0.0)
    assert (result["received"], result["applied"]) == (2, 2)
    attributes = client("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
