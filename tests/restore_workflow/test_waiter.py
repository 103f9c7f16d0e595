"""restore_waiter: the wait schedule, the caught-up and drained judgements, and the invocation budget.

AWS clients are small stateful fakes driven by a fake clock, so days of waiting run in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pitr import clients, restore_waiter
from pitr.restore_record import format_time
from pitr.restore_waiter import WaiterConfig
from pitr.runtime import Runtime
from pitrctl.sim.events import table_arn
from pitrctl.sim.restores import restored_table


@dataclass
class Clock:
    now: float = 1_900_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class _Exceptions:
    class ResourceNotFoundException(Exception):  # noqa: N818 (boto3's names)
        pass


class FakeDynamoDB:
    """A restored table that is CREATING until ``active_at`` (None: never), or missing."""

    exceptions = _Exceptions

    def __init__(
        self, clock: Clock, active_at: float | None, exists: bool = True, visible_at: float | None = None
    ) -> None:
        self.clock, self.active_at, self.exists, self.visible_at = clock, active_at, exists, visible_at
        self.polls: list[tuple[float, str]] = []

    def describe_table(self, TableName: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        # visible_at: DescribeTable is eventually consistent and answers not-found until then.
        if not self.exists or (self.visible_at is not None and self.clock.now < self.visible_at):
            self.polls.append((self.clock.now, "NOT_FOUND"))
            raise _Exceptions.ResourceNotFoundException(TableName)
        status = "ACTIVE" if self.active_at is not None and self.clock.now >= self.active_at else "CREATING"
        self.polls.append((self.clock.now, status))
        return {"Table": {"TableName": TableName, "TableStatus": status}}


def _cfg(**kw: Any) -> WaiterConfig:
    fields = {
        "source_table_name": "orders",
        "replay_from": "restore_point",
        "buffer_queue_url": "https://sqs/q",
        "buffer_standby_retention_seconds": 14_400,
        "coverage_parameter": "/p/coverage",
        "stream_failure_queue_url": "",
    }
    return WaiterConfig(**{**fields, **kw})


def _run_workflow_loop(
    action: str, event: dict[str, Any], cfg: WaiterConfig, rt: Runtime
) -> tuple[dict[str, Any], int]:
    """Call the waiter the way the workflow does (ActiveYet -> WaitActive) until it is done."""
    invocations, result = 0, {"done": False, "attempt": 0}
    while not result["done"]:
        invocations += 1
        result = restore_waiter.handle({**event, "action": action, "attempt": result["attempt"]}, cfg, rt)
        assert invocations < 10_000
    return result, invocations


# Each example polls up to a few thousand times: 60 examples keep this test to a few seconds.
# Jitter below 0.3 only adds polls (the bound is about the longest sleeps), so it is left out.
@settings(max_examples=60)
@given(
    cap=st.integers(10, 300),
    active_after=st.floats(0, 2 * 3600),
    budget=st.integers(120, 840),
    jitter=st.lists(st.floats(0.3, 0.999999), min_size=1, max_size=20),
)
def test_replay_is_enabled_within_the_cap_of_active(
    cap: int, active_after: float, budget: int, jitter: list[float]
) -> None:
    clock = Clock()
    draws = iter(jitter * 100_000)
    rt = Runtime(clock=lambda: clock.now, sleep=clock.sleep, rand=lambda: next(draws))
    active_at = clock.now + active_after
    ddb = FakeDynamoDB(clock, active_at)
    clients.override("dynamodb", ddb)
    try:
        cfg = _cfg(active_poll_cap_seconds=cap, invocation_budget_seconds=budget)
        deadline = format_time(clock.now + 7 * 86400)
        result, _ = _run_workflow_loop("wait_active", {"target_table": "t", "deadline": deadline}, cfg, rt)
    finally:
        clients.reset()
    assert result["table_status"] == "ACTIVE"
    seen_active = next(t for t, s in ddb.polls if s == "ACTIVE")
    # The poll that sees ACTIVE comes at most cap - margin after it; the margin pays for the steps
    # up to enable_replay, so ACTIVE -> replay enabled stays within the cap.
    assert seen_active - active_at <= cap - restore_waiter.ACTIVE_POLL_MARGIN_SECONDS + 1e-6
    # Never a sleep longer than that either, including across invocations.
    assert max(clock.sleeps, default=0) <= cap - restore_waiter.ACTIVE_POLL_MARGIN_SECONDS + 1e-6


def test_each_invocation_returns_within_its_budget_right_after_a_poll() -> None:
    clock = Clock()
    rt = Runtime(clock=lambda: clock.now, sleep=clock.sleep, rand=lambda: 0.999999)
    ddb = FakeDynamoDB(clock, active_at=None)
    clients.override("dynamodb", ddb)
    try:
        cfg = _cfg(invocation_budget_seconds=840)
        started = clock.now
        out = restore_waiter.handle(
            {"action": "wait_active", "target_table": "t", "deadline": format_time(clock.now + 86400)},
            cfg,
            rt,
        )
    finally:
        clients.reset()
    assert out["done"] is False and out["table_status"] == "CREATING"
    assert 840 - 25 <= clock.now - started <= 840, "uses its budget, never more (Lambda timeout 900 s)"
    assert ddb.polls[-1][0] == clock.now, "returns right after a poll, not after a sleep"
    assert out["attempt"] > 0, "the backoff schedule carries over to the next invocation"


def test_a_restore_that_never_becomes_active_fails_at_the_deadline() -> None:
    clock = Clock()
    rt = Runtime(clock=lambda: clock.now, sleep=clock.sleep, rand=lambda: 0.5)
    clients.override("dynamodb", FakeDynamoDB(clock, active_at=None))
    try:
        cfg = _cfg(invocation_budget_seconds=840)
        deadline = clock.now + 3 * 3600
        with pytest.raises(restore_waiter.RestoreDeadlinePassedError, match="still CREATING"):
            _run_workflow_loop(
                "wait_active", {"target_table": "t", "deadline": format_time(deadline)}, cfg, rt
            )
    finally:
        clients.reset()
    assert clock.now == pytest.approx(deadline), "the last poll is at the deadline, not a cap later"


def test_a_missing_target_is_reported_with_what_to_do_after_the_grace_period() -> None:
    clock = Clock()
    fake = FakeDynamoDB(clock, active_at=None, exists=False)
    clients.override("dynamodb", fake)
    claimed_at = clock.now
    try:
        with pytest.raises(restore_waiter.TargetTableMissingError, match="restore again"):
            restore_waiter.handle(
                {
                    "action": "wait_active",
                    "target_table": "t",
                    "claimed_at": format_time(claimed_at),
                    "deadline": format_time(clock.now + 3600),
                },
                _cfg(),
                Runtime(clock=lambda: clock.now, sleep=clock.sleep),
            )
    finally:
        clients.reset()
    grace_end = claimed_at + restore_waiter.NOT_FOUND_GRACE_SECONDS
    assert fake.polls[-1][0] >= grace_end, "not-found is 'not there yet' for the whole grace period"
    assert fake.polls[-1][0] - grace_end <= _cfg().active_poll_cap_seconds


def test_a_restored_table_not_found_right_after_the_restore_call_is_waited_for() -> None:
    """DynamoDB API reference, DescribeTable: "If you issue a DescribeTable request immediately after a
    CreateTable request, DynamoDB might return a ResourceNotFoundException. This is because
    DescribeTable uses an eventually consistent query". A restore creates the table the same way."""
    clock = Clock()
    fake = FakeDynamoDB(clock, active_at=clock.now + 600, visible_at=clock.now + 40)
    clients.override("dynamodb", fake)
    try:
        result = restore_waiter.handle(
            {
                "action": "wait_active",
                "target_table": "t",
                "claimed_at": format_time(clock.now),
                "deadline": format_time(clock.now + 3600),
            },
            _cfg(),
            Runtime(clock=lambda: clock.now, sleep=clock.sleep),
        )
    finally:
        clients.reset()
    assert result["done"] is True and result["table_status"] == "ACTIVE"
    statuses = [s for _, s in fake.polls]
    assert statuses[0] == "NOT_FOUND" and "CREATING" in statuses


@pytest.mark.parametrize(
    ("lag", "backlog", "expected"),
    [
        (None, 0, True),  # no replay happened in the window and nothing is queued
        (None, 3, False),  # queued changes but no replay yet: not caught up
        (12.0, 40, True),  # replaying, lag under the threshold (a live queue is never empty)
        (29.9, 0, True),
        (30.0, 0, False),  # the threshold itself is not "under"
        (3600.0, 0, False),
    ],
)
def test_caught_up_judgement(lag: float | None, backlog: int, expected: bool) -> None:
    assert restore_waiter.caught_up(lag, backlog, threshold=30) is expected


class FakeSqs:
    def __init__(self, clock: Clock, counts: list[tuple[float, int]]) -> None:
        # counts: (from time, backlog) steps
        self.clock, self.counts = clock, counts

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        backlog = [n for t, n in self.counts if t <= self.clock.now][-1]
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": str(backlog),
                "ApproximateNumberOfMessagesNotVisible": "0",
            }
        }


def test_drained_only_after_the_buffer_stays_empty_for_the_quiet_period() -> None:
    clock = Clock()
    start = clock.now
    # Empty at first (count lag), then the subscriber delivers late stream records, then empty for good.
    sqs = FakeSqs(clock, [(start, 0), (start + 20, 5), (start + 45, 0)])
    clients.override("sqs", sqs)
    try:
        rt = Runtime(clock=lambda: clock.now, sleep=clock.sleep, rand=lambda: 0.999)
        cfg = _cfg(drain_quiet_seconds=60, drain_timeout_seconds=900)
        result, _ = _run_workflow_loop("wait_drained", {"since": format_time(start)}, cfg, rt)
    finally:
        clients.reset()
    assert result["drained"] is True
    assert clock.now - (start + 45) >= 60, "the quiet period restarts when changes show up"


def test_not_drained_by_the_timeout_goes_back_to_mirroring_with_the_reason() -> None:
    clock = Clock()
    clients.override("sqs", FakeSqs(clock, [(clock.now, 7)]))
    try:
        rt = Runtime(clock=lambda: clock.now, sleep=clock.sleep, rand=lambda: 0.999)
        cfg = _cfg(drain_quiet_seconds=60, drain_timeout_seconds=300)
        result, _ = _run_workflow_loop("wait_drained", {"since": format_time(clock.now)}, cfg, rt)
    finally:
        clients.reset()
    assert result["drained"] is False and "pause writes" in result["reason"]


def test_history_per_week_of_waiting_is_bounded_by_the_budget() -> None:
    # The number of waiter invocations for a week of waiting, at the shortest an invocation can be
    # (budget minus one poll interval): the history budget test multiplies it by the events of one
    # iteration measured in moto.
    cfg = _cfg()
    shortest = cfg.invocation_budget_seconds - cfg.active_poll_cap_seconds
    assert math.ceil(7 * 86400 / shortest) < 760


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown restore waiter action"):
        restore_waiter.handle({"action": "sleep_forever"}, _cfg(), Runtime())


def test_restore_point_comes_from_the_restore_summary() -> None:
    clock = Clock()

    class Ddb(FakeDynamoDB):
        def describe_table(self, TableName: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
            point = datetime(2030, 3, 17, 12, 0, 0, 250000, tzinfo=UTC)
            return {"Table": restored_table(table_arn("orders"), point)}

    class Sqs:
        def get_queue_attributes(self, **kw: Any) -> dict[str, Any]:
            return {
                "Attributes": {"CreatedTimestamp": str(int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()))}
            }

    class Ssm:
        class exceptions:  # noqa: N801
            class ParameterNotFound(Exception):  # noqa: N818 (boto3's names)
                pass

        def get_parameter(self, Name: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
            return {"Parameter": {"Value": '{"replay_ended_at": "2030-03-17T11:00:00Z"}'}}

    clients.override("dynamodb", Ddb(clock, None))
    clients.override("sqs", Sqs())
    clients.override("ssm", Ssm())
    try:
        cfg = _cfg(coverage_parameter="/p/coverage")
        event = {
            "action": "plan_replay",
            "target_table": "orders-restored-1",
            "replay_from": "restore_point",
            "requested_at": "2030-03-17T12:05:00Z",
            "retention_raised_at": "2030-03-17T12:06:00Z",
        }
        plan = restore_waiter.handle(event, cfg, Runtime())
        assert plan["restore_point"] == "2030-03-17T12:00:00.250000Z"
        assert plan["replay_start"] == plan["restore_point"]
        # previous replay end (11:00) is later than the retention bound (12:06 + 15 min - 4 h)
        assert plan["covered_since"] == "2030-03-17T11:00:00Z" and plan["gap"] is False
        recover = restore_waiter.handle({**event, "replay_from": "restore_request"}, cfg, Runtime())
        assert recover["replay_start"] == "2030-03-17T12:05:00Z"
    finally:
        clients.reset()
