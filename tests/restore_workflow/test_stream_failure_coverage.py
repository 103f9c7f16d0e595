"""plan_replay sees coverage breaks in the stream failure queue (docs/design.md#coverage).

The failure queue and the coverage parameter are moto's SQS and SSM; the restored table is a stand-in
because moto's tables have no ``RestoreSummary``. moto answers every receive with the same first ten
messages in order (AWS samples its servers and returns varying subsets), so a queue of more than ten
records is exactly the "not fully read" case here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from pitr import clients, restore_waiter
from pitr.restore_record import format_time
from pitr.restore_waiter import WaiterConfig
from pitr.runtime import Runtime
from pitrctl.sim.events import stream_failure_record, table_arn
from pitrctl.sim.restores import restored_table

COVERAGE = "/dynamodb-pitr/orders/coverage"
CREATED = datetime(2030, 1, 1, tzinfo=UTC)
RESTORE_POINT = datetime(2030, 3, 17, 8, 0, tzinfo=UTC)
NOW = datetime(2030, 3, 17, 12, 0, tzinfo=UTC)


class RestoredTable:
    def describe_table(self, TableName: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        return {"Table": restored_table(table_arn("orders"), RESTORE_POINT)}


class World:
    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        self.ssm = boto3.client("ssm")
        self.buffer = self.sqs.create_queue(
            QueueName="pitr-orders-buffer.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        self.failures = self.sqs.create_queue(QueueName="pitr-orders-stream-failures")["QueueUrl"]
        self.cfg = WaiterConfig(
            source_table_name="orders",
            replay_from="restore_point",
            buffer_queue_url=self.buffer,
            stream_failure_queue_url=self.failures,
            coverage_parameter=COVERAGE,
            buffer_standby_retention_seconds=14 * 86_400,  # retention bound far back: not the one that counts
        )
        self.created = CREATED
        clients.override("dynamodb", RestoredTable())

    def fail(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.failures, MessageBody=body)

    def plan(self) -> dict[str, Any]:
        event = {
            "action": "plan_replay",
            "target_table": "orders-restored-1",
            "replay_from": "restore_point",
            "retention_raised_at": format_time(NOW),
        }
        return restore_waiter.handle(event, self.cfg, Runtime(clock=NOW.timestamp))

    def kept(self) -> dict[str, Any]:
        return json.loads(self.ssm.get_parameter(Name=COVERAGE)["Parameter"]["Value"])

    def visible(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.failures, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> list[dict[str, Any]]:
    return [getattr(r, "fields", {}) for r in caplog.records if text in r.getMessage()]


@pytest.fixture
def world(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # moto gives a queue the wall clock's CreatedTimestamp; the plan needs the buffer's creation in 2030.
    monkeypatch.setattr(restore_waiter, "get_buffer_created", lambda sqs, url: CREATED)
    yield World()


def test_empty_failure_queue_no_break(world: World) -> None:
    plan = world.plan()
    assert plan["gap"] is False and plan["stream_failures_checked"] is True
    assert plan["stream_failures"] == 0 and "coverage_break_at" not in plan
    with pytest.raises(world.ssm.exceptions.ParameterNotFound):
        world.kept()


def test_a_failure_record_reports_a_gap_from_the_restore_point_to_the_break_and_is_kept(world: World) -> None:
    world.fail(stream_failure_record("2030-03-17T09:00:00Z"))
    world.fail(stream_failure_record("2030-03-17T09:59:59Z", first="2030-03-17T09:59:58Z"))
    world.fail(stream_failure_record("2030-03-17T08:30:00Z"))
    plan = world.plan()
    assert plan["gap"] is True and plan["stream_failures"] == 3
    assert plan["gap_from"] == "2030-03-17T08:00:00Z"
    assert plan["covered_since"] == plan["gap_to"] == plan["coverage_break_at"] == "2030-03-17T10:00:00Z"
    assert world.kept() == {"coverage_break_at": "2030-03-17T10:00:00Z"}
    assert world.visible() == 3, "the failure records stay for the operator"
    # The records leave the queue (retention, or the operator deleted them): the kept break still counts.
    world.sqs.purge_queue(QueueUrl=world.failures)
    assert world.plan()["covered_since"] == "2030-03-17T10:00:00Z"


def test_a_kept_break_is_never_lowered_and_a_later_one_raises_it(world: World) -> None:
    world.ssm.put_parameter(
        Name=COVERAGE,
        Value=json.dumps(
            {"replay_ended_at": "2030-03-01T00:00:00Z", "coverage_break_at": "2030-03-17T11:00:00Z"}
        ),
        Type="String",
    )
    world.fail(stream_failure_record("2030-03-17T09:00:00Z"))
    assert world.plan()["covered_since"] == "2030-03-17T11:00:00Z"
    assert world.kept()["coverage_break_at"] == "2030-03-17T11:00:00Z"
    world.fail(stream_failure_record("2030-03-17T11:30:00Z"))
    assert world.plan()["covered_since"] == "2030-03-17T11:30:01Z"
    assert world.kept() == {
        "replay_ended_at": "2030-03-01T00:00:00Z",
        "coverage_break_at": "2030-03-17T11:30:01Z",
    }


def test_a_break_older_than_another_bound_does_not_count(world: World) -> None:
    world.ssm.put_parameter(
        Name=COVERAGE, Value=json.dumps({"replay_ended_at": "2030-03-17T07:00:00Z"}), Type="String"
    )
    world.fail(stream_failure_record("2030-03-17T05:00:00Z"))
    plan = world.plan()
    assert plan["coverage_break_at"] == "2030-03-17T05:00:01Z"
    assert plan["covered_since"] == "2030-03-17T07:00:00Z", "the later bound (previous replay end) wins"
    assert plan["gap"] is False


def test_a_malformed_record_breaks_coverage_at_the_time_sqs_received_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    before = datetime.now(UTC)
    world.fail("{this is not a failure record")
    plan = world.plan()  # does not raise
    after = datetime.now(UTC)
    # moto stamps SentTimestamp with the wall clock, which is long before this test's 2030 restore.
    brk = datetime.fromisoformat(plan["coverage_break_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= brk <= after + timedelta(seconds=2)
    (fields,) = _logged(caplog, "unreadable stream failure record")
    assert "not JSON" in fields["reason"] and fields["until"] == plan["coverage_break_at"]


def test_a_queue_not_fully_read_breaks_coverage_until_now_without_storing_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    for minute in range(12):  # moto returns only the first ten: two stay unseen
        world.fail(stream_failure_record(f"2030-03-17T08:{minute:02d}:00Z"))
    plan = world.plan()
    assert plan["stream_failures"] == 12
    assert plan["covered_since"] == format_time(NOW) and plan["gap"] is True
    assert world.kept() == {"coverage_break_at": "2030-03-17T08:09:01Z"}, "only a real failure time is kept"
    (fields,) = _logged(caplog, "not fully read")
    assert fields == {"expected": 12, "seen": 10}


def test_without_a_failure_queue_the_plan_says_it_did_not_check(world: World) -> None:
    world.cfg = dataclasses.replace(world.cfg, stream_failure_queue_url="")
    world.fail(stream_failure_record("2030-03-17T09:00:00Z"))
    plan = world.plan()
    assert plan["stream_failures_checked"] is False and plan["gap"] is False


class SampledQueue:
    """A standard queue as AWS answers short-poll receives: each from a sample of its servers.

    Message ``i`` lives on server ``i % servers``; receive ``k`` asks server ``k % servers`` only.
    Records the receive parameters, so the test can check nothing was hidden from other readers.
    """

    def __init__(self, count: int, servers: int = 3) -> None:
        self.messages = [{"MessageId": f"m-{i}", "Body": "{}"} for i in range(count)]
        self.servers, self.calls = servers, []

    def receive_message(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw)
        server = (len(self.calls) - 1) % self.servers
        held = [m for i, m in enumerate(self.messages) if i % self.servers == server]
        return {"Messages": held[: kw["MaxNumberOfMessages"]]}


def test_peeking_a_sampled_queue_sees_every_message_and_hides_none() -> None:
    queue = SampledQueue(25)
    seen = restore_waiter.peek_messages(queue, "https://sqs/failures")
    assert sorted(m["MessageId"] for m in seen) == sorted(m["MessageId"] for m in queue.messages)
    assert all(c["VisibilityTimeout"] == 0 for c in queue.calls), "a peek never hides a failure record"
    assert len(queue.calls) <= restore_waiter.PEEK_MAX_ROUNDS
