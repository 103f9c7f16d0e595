"""The real workflow definition executed in moto with the real waiter and step handlers.

Stand-ins (``pitrctl.sim.standins``) play the data path and settings_sync; see
``pitrctl.sim.workflow_world`` for what is simulated and why.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pytest

from pitr import restore_waiter
from pitr.backoff import Backoff
from pitr.restore_record import parse_time
from pitr.runtime import Runtime
from pitrctl.sim.workflow_world import COVERAGE, SOURCE, STANDBY_RETENTION, World

pytestmark = pytest.mark.slow

TARGET = "orders-restored-20300317"
REPO = Path(__file__).resolve().parents[2]


def _seed(world: World) -> None:
    for key, value in [("a", "1"), ("b", "1"), ("c", "1")]:
        world.subscriber.write(key, value)
    # The standby buffer already held these; a real replay mapping was never enabled, so they wait.


def test_happy_path_through_cutover(world_factory) -> None:
    world: World = world_factory()
    _seed(world)
    world.fake.advance(60)
    world.simulate_restore(TARGET, takes_seconds=1800)
    restore_point = world.fake.clock()
    # Writes while the restore runs (buffered, replay disabled) and after it (mirroring).
    world.schedule_writes(10, 30, [("a", "2"), ("b", None), ("d", "1"), ("a", "3")])
    world.schedule_writes(1800 + 120, 20, [("e", "1"), ("c", "2"), ("d", None)])

    arn = world.start(TARGET, "restore-1")
    world.wait_parked()
    record = world.record()
    assert record.target_table == TARGET
    assert record.restore_point is not None and record.replay_start == record.restore_point
    assert world.retention() == 1_209_600, "retention raised to 14 days while the restore is in flight"
    assert world.replay_enabled()
    settings_calls = [c["phase"] for c in world.settings.calls]
    assert settings_calls == ["restore"]
    assert world.settings.calls[0]["exclude_mapping_uuids"] == ["stream-mapping-uuid"]
    assert world.settings.calls[0]["target_table"] == TARGET

    # Replay was enabled within the cap of the table becoming ACTIVE (the fake clock moves only in
    # the waiter's sleeps; the 5 s margin pays for the real steps in between).
    active_at = world.restores.by_target[TARGET].active_at
    assert active_at - restore_point == 1800
    exited = next(
        e for e in world.history(arn) if e.get("stateExitedEventDetails", {}).get("name") == "EnableReplay"
    )
    enabled_at = parse_time(
        json.loads(exited["stateExitedEventDetails"]["output"])["replay"]["value"]["enabled_at"]
    )
    assert 0 <= enabled_at.timestamp() - active_at <= world.waiter_cfg.active_poll_cap_seconds - 5

    # More live writes, then the operator pauses writes and cuts over.
    world.schedule_writes(5, 5, [("f", "1"), ("e", "2")])
    world.fake.advance(30)
    # The last write before the pause is still on its way through the stream when the operator
    # cuts over: the drain's quiet period must wait for it.
    world.write_delivered_late("g", "1", delay=20)
    world.answer("cutover")
    done = world.finished(arn)
    assert done["status"] == "SUCCEEDED", world.history_names()
    outcome = json.loads(done["output"])
    assert outcome["outcome"] == "cut_over" and outcome["switch_now"] is True
    assert outcome["settings"]["restore"]["counts"]["applied"] == 7
    assert outcome["settings"]["cutover"]["counts"]["applied"] == 2
    assert [c["phase"] for c in world.settings.calls] == ["restore", "cutover"]

    assert world.items(TARGET) == world.items(SOURCE), "the restored table equals the source at cut-over"
    assert set(world.items(SOURCE)) == {"a", "c", "e", "f", "g"}
    assert not world.replay_enabled(), "replay disabled after cut-over"
    assert world.retention() == STANDBY_RETENTION, "retention back to the standby value"
    assert world.record() is None, "restore record released"
    kept = json.loads(world.ssm.get_parameter(Name=COVERAGE)["Parameter"]["Value"])
    assert kept["replay_ended_at"], "the next restore's coverage starts after this replay"

    types = world.detail_types()
    assert types == [
        "Restore Started",
        "Restore Table Active",
        "Restore Caught Up",
        "Restore Cut Over",
    ]
    cut = world.notifications()[-1]["detail"]
    assert cut["source_table"] == SOURCE and cut["target_table"] == TARGET
    assert cut["restore_id"] == "restore-1"
    assert cut["restore_point"] == record.restore_point and cut["replay_start"] == record.replay_start
    assert cut["settings"]["cutover"]["counts"]["applied"] == 2
    assert len(world.sns_messages()) == 4


def test_abort_while_mirroring_releases_everything(world_factory) -> None:
    world: World = world_factory()
    world.settings.failures = [{"setting": "ttl", "reason": "AccessDenied: dynamodb:UpdateTimeToLive"}]
    world.simulate_restore(TARGET, takes_seconds=120)
    arn = world.start(TARGET, "restore-abort", by_arn=True)
    world.wait_parked()
    world.wait_for(lambda: "Restore Caught Up" in world.detail_types(), "the caught-up notification")
    caught_up = world.notifications()[-1]
    assert caught_up["detail-type"] == "Restore Caught Up"
    assert caught_up["detail"]["counts"]["failed"] == 1, "settings failures are reported, not fatal"
    assert caught_up["detail"]["failures"][0]["setting"] == "ttl"
    world.answer("abort")
    done = world.finished(arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["outcome"] == "aborted"
    assert [c["phase"] for c in world.settings.calls] == ["restore"], "abort runs no cut-over settings"
    assert world.left_enabled() == []
    assert world.detail_types()[-1] == "Restore Aborted"


def test_reminds_the_operator_until_answered(world_factory) -> None:
    # On AWS a heartbeat timeout goes through the Catch (States.HeartbeatTimeout); moto passes it on
    # as the task's output instead, which the StillWaiting state turns into the same reminder.
    world: World = world_factory(reminder_seconds=1)
    arn = world.start_parked(TARGET, "restore-remind")
    world.wait_for(lambda: world.detail_types().count("Restore Caught Up") >= 2, "a reminder", timeout=20)
    reminder = [e for e in world.notifications() if e["detail-type"] == "Restore Caught Up"][1]
    assert reminder["detail"]["reminder"] is True
    assert world.execution(arn)["status"] == "RUNNING", "a reminder never cuts over by itself"
    world.wait_parked()
    assert world.abort(arn)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_duplicate_start_for_the_same_target_ends_quietly(world_factory) -> None:
    world: World = world_factory()
    first = world.start_parked(TARGET, "restore-first")
    before = world.detail_types()
    duplicate = world.start(TARGET, "restore-duplicate")
    done = world.finished(duplicate)
    assert done["status"] == "SUCCEEDED"
    assert world.detail_types() == before, "a duplicate start notifies nothing"
    record = world.record()
    assert record is not None and record.execution_arn == first and record.status == "caught_up"
    assert world.replay_enabled() and world.retention() == 1_209_600, "the first restore is untouched"
    assert world.abort(first)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_concurrent_restore_of_another_target_is_refused_and_notified(world_factory) -> None:
    world: World = world_factory()
    first = world.start_parked(TARGET, "restore-first")
    other = "orders-restored-other"
    world.simulate_restore(other, takes_seconds=60)
    second = world.start(other, "restore-second")
    done = world.finished(second)
    assert done["status"] == "FAILED" and done.get("error") == "RestoreRefused"
    refused = world.notifications()[-1]
    assert refused["detail-type"] == "Restore Refused"
    assert refused["detail"]["target_table"] == other and TARGET in refused["detail"]["reason"]
    record = world.record()
    assert record is not None and record.execution_arn == first, "the restore in flight keeps its claim"
    assert world.replay_enabled() and world.retention() == 1_209_600
    assert world.abort(first)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_target_outside_the_pattern_is_left_alone(world_factory) -> None:
    world: World = world_factory()
    world.simulate_restore("orders-copy", takes_seconds=60)
    arn = world.start("orders-copy", "restore-outside")
    done = world.finished(arn)
    assert done["status"] == "SUCCEEDED"
    assert world.detail_types() == ["Restore Refused"]
    assert "does not match" in world.notifications()[0]["detail"]["reason"]
    assert world.left_enabled() == []
    assert world.settings.calls == []


def test_restore_that_never_becomes_active_fails_with_the_reason(world_factory) -> None:
    world: World = world_factory(max_restore_wait_seconds=3600)
    world.simulate_restore(TARGET, takes_seconds=None)
    arn = world.start(TARGET, "restore-stuck")
    done = world.finished(arn)
    assert done["status"] == "FAILED" and done.get("error") == "RestoreFailed"
    failed = world.notifications()[-1]
    assert failed["detail-type"] == "Restore Failed"
    assert "RestoreDeadlinePassedError" in failed["detail"]["reason"]
    assert "still CREATING" in failed["detail"]["reason"]
    assert world.left_enabled() == []
    # Waiting happened inside the waiter: a few invocations for an hour, each returning before its budget.
    waits = [
        e for e in world.history(arn) if e.get("stateEnteredEventDetails", {}).get("name") == "WaitActive"
    ]
    assert 4 <= len(waits) <= 6
    assert max(world.fake.sleeps) <= world.waiter_cfg.active_poll_cap_seconds


def test_missing_target_fails_with_the_reason(world_factory) -> None:
    world: World = world_factory()
    arn = world.start(TARGET, "restore-missing")
    done = world.finished(arn)
    assert done["status"] == "FAILED"
    assert "does not exist" in world.notifications()[-1]["detail"]["reason"]
    assert world.left_enabled() == []


def test_coverage_gap_is_reported_before_replay_and_the_operator_decides(world_factory) -> None:
    world: World = world_factory()
    # Restore point 6 hours back, buffer standby retention 4 hours: the oldest changes may be gone.
    world.simulate_restore(TARGET, takes_seconds=60, restore_point=world.fake.clock() - 6 * 3600)
    arn = world.start(TARGET, "restore-gap")
    world.wait_parked(status="restoring")
    assert not world.replay_enabled(), "no replay before the operator decides"
    gap = world.notifications()[-1]
    assert gap["detail-type"] == "Coverage Gap"
    assert gap["detail"]["gap_from"] == gap["detail"]["replay_start"]
    # covered_since = retention raised + 15 min - 4 h standby retention: 2 h 15 min of possible loss.
    assert gap["detail"]["gap_seconds"] == pytest.approx(6 * 3600 - (4 * 3600 - 900), abs=5)
    world.answer("continue")
    world.wait_parked()
    assert world.replay_enabled()
    assert world.abort(arn)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []
    assert world.detail_types()[:4] == [
        "Restore Started",
        "Coverage Gap",
        "Restore Table Active",
        "Restore Caught Up",
    ]


def test_a_discarded_stream_batch_before_the_restore_is_a_coverage_gap_the_operator_decides(
    world_factory,
) -> None:
    world: World = world_factory()
    now = world.fake.clock()
    # Well inside the standby retention: only the discarded batch (arrived 10 to 5 minutes ago) breaks it.
    world.discard_stream_batch(first=now - 600, last=now - 300)
    world.simulate_restore(TARGET, takes_seconds=60, restore_point=now - 900)
    arn = world.start(TARGET, "restore-break")
    world.wait_parked(status="restoring")
    assert not world.replay_enabled(), "no replay before the operator decides"
    gap = world.notifications()[-1]
    assert gap["detail-type"] == "Coverage Gap"
    assert parse_time(gap["detail"]["gap_from"]).timestamp() == now - 900
    assert parse_time(gap["detail"]["gap_to"]).timestamp() == now - 300 + 1, (
        "until the second after the batch"
    )
    assert json.loads(world.ssm.get_parameter(Name=COVERAGE)["Parameter"]["Value"])["coverage_break_at"]
    assert world.abort(arn)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []
    assert world.detail_types()[:2] == ["Restore Started", "Coverage Gap"]


def test_settings_failure_fails_the_restore_and_leaves_nothing_enabled(world_factory) -> None:
    world: World = world_factory()
    world.settings.raise_error = "settings_sync crashed: KeyError 'TableDescription'"
    world.simulate_restore(TARGET, takes_seconds=60)
    arn = world.start(TARGET, "restore-settings")
    done = world.finished(arn)
    assert done["status"] == "FAILED"
    failed = world.notifications()[-1]
    assert failed["detail-type"] == "Restore Failed"
    assert "settings_sync crashed" in failed["detail"]["reason"]
    assert world.detail_types() == ["Restore Started", "Restore Table Active", "Restore Failed"]
    assert world.left_enabled() == []


def _entries(history: list[dict], state: str) -> list[int]:
    return [i for i, e in enumerate(history) if e.get("stateEnteredEventDetails", {}).get("name") == state]


HISTORY_QUOTA = 25_000  # "25,000 events in a single state machine execution history" (SFN quotas)


def _largest_accepted_wait_hours() -> int:
    """The upper bound of max_restore_wait_hours, read from the variable's validation."""
    text = (REPO / "variables.tf").read_text()
    block = text[text.index('variable "max_restore_wait_hours"') :]
    return int(re.search(r"var\.max_restore_wait_hours <= (\d+)", block).group(1))


def _waiter_invocations(schedule: Backoff, budget_seconds: float, wait_seconds: float) -> int:
    """Invocations the real waiter makes for a wait that never ends before the deadline."""
    now = [0.0]
    rt = Runtime(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s), rand=lambda: 0.999)
    deadline, attempt, invocations = wait_seconds, 0, 0
    while True:
        invocations += 1
        try:
            result = restore_waiter.poll_until(
                lambda: restore_waiter.Poll(False, {}),
                schedule,
                rt,
                budget_seconds=budget_seconds,
                attempt=attempt,
                deadline=deadline,
                on_deadline=lambda _p: RuntimeError("deadline"),
            )
        except RuntimeError:
            return invocations
        attempt = result["attempt"]


def test_history_at_the_largest_accepted_wait_fits_the_quota(world_factory) -> None:
    """Counts the events of one waiting loop and one reminder in moto, then the waiter invocations of
    the real schedule for the largest accepted max_restore_wait_hours.

    Waiting for ACTIVE and for caught up share one deadline (max_restore_wait from the claim) and
    every waiter invocation but the last uses its whole budget, so the waiting loops of one restore
    are at most wait / budget + 1 (the other loop's last call), whatever the poll settings.
    """
    world: World = world_factory(reminder_seconds=1)
    world.simulate_restore(TARGET, takes_seconds=3 * 3600)  # several waiter invocations
    arn = world.start(TARGET, "restore-budget")
    world.wait_parked()
    world.wait_for(lambda: world.detail_types().count("Restore Caught Up") >= 3, "two reminders", timeout=20)
    world.wait_parked()
    assert world.abort(arn)["status"] == "SUCCEEDED"
    history = world.history(arn)

    waits = _entries(history, "WaitActive")
    assert len(waits) >= 5, "the restore took several waiter invocations"
    per_iteration = {b - a for a, b in itertools.pairwise(waits[1:])}
    assert len(per_iteration) == 1, f"every iteration costs the same number of events: {per_iteration}"
    per_iteration_events = per_iteration.pop()
    parks = _entries(history, "AwaitCutover")
    per_reminder_events = max(b - a for a, b in itertools.pairwise(parks))
    # 3 h of CREATING took ceil(3 h / budget) invocations: each used its whole budget.
    assert len(waits) == math.ceil(3 * 3600 / world.waiter_cfg.invocation_budget_seconds)

    hours = _largest_accepted_wait_hours()
    wait = hours * 3600
    worst = 0
    budget = world.waiter_cfg.invocation_budget_seconds
    caught_up = _waiter_invocations(restore_waiter.CAUGHT_UP_SCHEDULE, budget, wait)
    for cap in (10, 30, 300):  # active_poll_cap_seconds: its whole accepted range
        active = _waiter_invocations(restore_waiter.active_schedule(cap), budget, wait)
        worst = max(worst, active + 1, caught_up + 1)
    assert worst <= math.ceil(wait / budget) + 1
    total = len(history) + worst * per_iteration_events  # this whole execution as the fixed part
    reminders_left = (HISTORY_QUOTA - total) // per_reminder_events
    print(
        f"history at max_restore_wait_hours={hours}: {total} events ({worst} waiter invocations x "
        f"{per_iteration_events} + {len(history)}); room for {reminders_left} reminders"
    )
    assert per_iteration_events <= 8
    assert total < HISTORY_QUOTA
    # Then mirroring: a week of reminders at the shortest cutover_reminder_hours (1 h; 168 days at the
    # default 24 h) still fits. Beyond, the quota ends the execution: `pitrctl abort` releases it.
    assert reminders_left >= 7 * 24


def test_recover_replays_only_changes_after_the_restore_request(world_factory) -> None:
    world: World = world_factory(replay_from="restore_request")
    world.subscriber.write("a", "good")
    world.simulate_restore(TARGET, takes_seconds=900)  # restore point: before the incident
    world.fake.advance(300)
    world.subscriber.write("a", "incident")  # the incident's write, between restore point and request
    world.fake.advance(300)
    requested_at = world.cloudtrail_event(TARGET)["detail"]["eventTime"]
    arn = world.start(TARGET, "restore-recover")  # requested now
    world.schedule_writes(60, 10, [("b", "after-request")])
    world.wait_parked()
    record = world.record()
    assert record.replay_from == "restore_request"
    assert record.replay_start == requested_at
    assert record.replay_start > record.restore_point
    world.answer("cutover")
    assert world.finished(arn)["status"] == "SUCCEEDED"
    target = world.items(TARGET)
    assert target["a"]["v"]["S"] == "good", "the incident's write stays discarded"
    assert target["b"]["v"]["S"] == "after-request", "writes made during the restore are kept"
