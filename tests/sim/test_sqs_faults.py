"""Contract tests of the SQS fault classes the first kit left out: each shows the kit producing the
AWS behaviour its class docstring quotes (``pitrctl.sim.faults``)."""

from __future__ import annotations

import random
from typing import Any

import boto3

from pitrctl.sim.clock import SimClock
from pitrctl.sim.data_path import DataPath
from pitrctl.sim.faults import Faults
from pitrctl.sim.fifo_queue import FakeFifoQueue
from pitrctl.sim.sqs_dedup import dedup_interval
from pitrctl.sim.sqs_mapping import FifoPoller, redrive


def _fifo(sqs: Any, name: str = "q.fifo", **attributes: str) -> str:
    return sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", **attributes})["QueueUrl"]


def _send(sqs: Any, url: str, *bodies: str, group: str = "g") -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)


def _recorder(seen: list[list[str]]) -> Any:
    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        seen.append([r["body"] for r in event["Records"]])
        return {"batchItemFailures": []}

    return handler


# ---- VisibilityTimeoutExpired -------------------------------------------------------------------


def test_visibility_timeout_expiry_lets_a_second_invocation_take_the_group_first(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs)
    _send(sqs, url, "1", "2")
    seen: list[list[str]] = []
    expires = iter([True])  # the first invocation's timeout runs out while it works
    poller = FifoPoller(
        sqs, url, _recorder(seen), batch_size=2, visibility_expires=lambda: next(expires, False)
    )
    _send(sqs, url, "3")  # a newer message of the group, there when the group is released
    poller.drain()
    # The second invocation received the same messages (and the newer one) and finished first; the
    # first invocation, still holding [1, 2], writes after it.
    assert seen == [["1", "2"], ["1", "2"], ["3"]]
    assert poller.stats.expired_visibility == 1
    assert poller.visible_and_in_flight() == 0


def test_visibility_timeout_expiry_reorders_newer_messages_before_older_ones(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs)
    _send(sqs, url, "1")
    seen: list[list[str]] = []
    expires = iter([True])
    poller = FifoPoller(
        sqs, url, _recorder(seen), batch_size=10, visibility_expires=lambda: next(expires, False)
    )
    first = sqs.receive_message  # the newer message arrives while the first invocation works

    def receive_then_send(**kwargs: Any) -> Any:
        response = first(**kwargs)
        if not seen and poller.stats.expired_visibility == 0 and response.get("Messages"):
            _send(sqs, url, "2")
        return response

    poller.sqs = type("Sqs", (), {"__getattr__": lambda _s, n: getattr(sqs, n)})()
    poller.sqs.receive_message = receive_then_send  # type: ignore[attr-defined]
    poller.drain()
    assert seen[0] == ["1", "2"], "the second invocation holds the newer message too"
    assert seen[1] == ["1"], "the first invocation's older write lands after the newer one"


# ---- ThrottledInvocation ------------------------------------------------------------------------


def test_throttled_invocation_returns_the_batch_uninvoked_and_counts_the_receive(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs)
    dlq = _fifo(sqs, "dlq.fifo")
    _send(sqs, url, "1")
    seen: list[list[str]] = []
    throttles = iter([True])
    received: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        received.extend(r["attributes"]["ApproximateReceiveCount"] for r in event["Records"])
        return _recorder(seen)(event, _context)

    poller = FifoPoller(sqs, url, handler, throttled=lambda: next(throttles, False))
    poller.drain()
    assert seen == [["1"]] and received == ["2"], "invoked once, on the second receive"
    assert poller.stats.throttled == 1

    # With maxReceiveCount 1 the throttled receive alone sends the message to the dead-letter queue.
    _send(sqs, url, "2")
    seen.clear()
    strict = FifoPoller(sqs, url, _recorder(seen), max_receive_count=1, dlq_url=dlq, throttled=lambda: True)
    strict.poll_once()
    strict.throttled = None
    strict.drain()
    assert seen == [] and strict.stats.dead_lettered == 1


# ---- DeduplicationInterval -----------------------------------------------------------------------


def test_fake_fifo_deduplicates_for_five_minutes_even_after_delete() -> None:
    clock = SimClock()
    queue = FakeFifoQueue(clock=clock.clock)
    send = {"QueueUrl": queue.url, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"}
    queue.send_message(**send)
    message = queue.receive_message(QueueUrl=queue.url)["Messages"][0]
    queue.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    clock.advance(299)
    queue.send_message(**send)
    assert queue.receive_message(QueueUrl=queue.url) == {}, "within the interval: a duplicate"
    clock.advance(2)
    queue.send_message(**send)
    assert queue.receive_message(QueueUrl=queue.url)["Messages"][0]["Body"] == "x", "after it: new"


def test_moto_queue_keeps_the_five_minute_interval(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    clock = SimClock()

    def receive() -> list[str]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [m["Body"] for m in messages]

    with dedup_interval(clock.clock):
        _send(sqs, url, "a")
        assert receive() == ["a"]
        clock.advance(120)
        _send(sqs, url, "a")  # moto alone would deliver it again: the first copy is deleted
        assert receive() == [], "a resend within 5 minutes is a duplicate, deleted original or not"
        _send(sqs, url, "a", group="other")
        assert receive() == ["a"], "scope messageGroup: another group's id is its own"
        clock.advance(181)
        _send(sqs, url, "a")
        assert receive() == ["a"], "a resend after the interval is a new message"


# ---- DeadLetterRedrive --------------------------------------------------------------------------


def test_redrive_puts_a_message_at_the_end_of_its_group(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs)
    dlq = _fifo(sqs, "dlq.fifo")
    _send(sqs, url, "1")
    failing = {"1"}

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in failing
            ]
        }

    FifoPoller(sqs, url, handler, max_receive_count=1, dlq_url=dlq).drain()
    _send(sqs, url, "2", "3")
    assert redrive(sqs, dlq, url) == 1
    seen: list[list[str]] = []
    FifoPoller(sqs, url, _recorder(seen), batch_size=1).drain()
    assert [b for batch in seen for b in batch] == ["2", "3", "1"], "the redriven message comes last"


def test_poller_redriven_fault_sends_a_message_behind_its_group_mates(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs)
    _send(sqs, url, "1", "2")
    seen: list[list[str]] = []
    moves = iter([True, False])
    FifoPoller(sqs, url, _recorder(seen), redriven=lambda: next(moves, False)).drain()
    assert [b for batch in seen for b in batch] == ["2", "1"]


# ---- end to end: the data path under the classes ------------------------------------------------


def test_the_data_path_survives_throttled_invocations(aws: None) -> None:
    path = DataPath.create(faults=Faults(random.Random(3), throttled_invocation=0.5))
    path.replay_one_item(writes=6, stream_polls=1)
    assert path.poller.stats.throttled > 0
    assert path.table_items(path.target) == path.table_items(path.source)


def test_the_data_path_survives_an_expired_visibility_timeout(aws: None) -> None:
    path = DataPath.create(faults=Faults(random.Random(3), visibility_expired=0.5))
    path.replay_one_item(writes=6, stream_polls=1)
    assert path.poller.stats.expired_visibility > 0
    assert path.table_items(path.target) == path.table_items(path.source)


def test_the_data_path_survives_a_dead_letter_redrive(aws: None) -> None:
    path = DataPath.create(faults=Faults(random.Random(3), dead_letter_redrive=0.3))
    path.replay_one_item(writes=6, stream_polls=1)
    assert path.poller.stats.redriven > 0
    assert path.table_items(path.target) == path.table_items(path.source)
