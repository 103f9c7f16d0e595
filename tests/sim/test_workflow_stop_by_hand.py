"""The workflow when an operator stops its execution by hand (``faults.StopExecutionByHand``), on the
kit's Step Functions layer (``sfn_layer``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from pitr import clients, coverage, notify, restore_steps
from pitr.restore_record import format_time
from pitrctl.sim import events, sfn_layer
from pitrctl.sim.workflow_world import COVERAGE, STANDBY_RETENTION, World

TARGET = "orders-restored-1"


@pytest.fixture
def world() -> Iterator[World]:
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        clients.reset()
        stack.callback(clients.reset)
        yield World(stack)


def _stopped_while_caught_up(world: World) -> tuple[sfn_layer.ExecutionRules, str]:
    rules = sfn_layer.attach(world.sfn, world.fake.clock)
    world.subscriber.write("a", "1")
    world.simulate_restore(TARGET, takes_seconds=120)
    arn = world.start(TARGET, "restore-stopped-by-hand")
    world.wait_for(
        lambda: (r := world.record()) and r.status == "caught_up" and r.task_token, "parked in caught_up"
    )
    world.wait_for(lambda: world.history(arn)[-1]["type"] == "TaskSubmitted", "the task to be parked")
    rules.stop_by_hand(arn)
    return rules, arn


def test_the_operator_answer_after_a_stop_by_hand_times_out(world: World) -> None:
    _, arn = _stopped_while_caught_up(world)
    assert world.execution(arn)["status"] == "ABORTED"
    record = world.record()
    assert record is not None and record.task_token
    with pytest.raises(world.sfn.exceptions.TaskTimedOut):  # what pitrctl cutover would send
        world.sfn.send_task_success(taskToken=record.task_token, output='{"action": "cutover"}')


def test_a_stop_by_hand_is_notified(world: World) -> None:
    _, arn = _stopped_while_caught_up(world)
    world.wait_for(
        lambda: {notify.ABORTED, notify.FAILED} & set(world.detail_types()),
        "a notification that the restore stopped",
        timeout=3.0,
    )
    assert world.execution(arn)["status"] == "ABORTED"


def test_a_stop_by_hand_returns_the_deployment_to_standby_once(world: World) -> None:
    _, arn = _stopped_while_caught_up(world)
    assert world.replay_enabled() and world.retention() == coverage.RESTORE_RETENTION_SECONDS
    world.wait_for(lambda: notify.ABORTED in world.detail_types(), "the Restore Aborted notification")

    assert world.record() is None
    assert not world.replay_enabled()
    assert world.retention() == STANDBY_RETENTION
    kept = json.loads(world.ssm.get_parameter(Name=COVERAGE)["Parameter"]["Value"])
    assert kept["replay_ended_at"] == format_time(world.rt.now())
    aborted = [e for e in world.notifications() if e["detail-type"] == notify.ABORTED]
    assert len(aborted) == 1
    detail = aborted[0]["detail"]
    assert detail["target_table"] == TARGET and "execution ABORTED" in detail["reason"]
    assert "stopped" in detail["mirroring"] and COVERAGE in detail["mirroring"]
    assert any(
        m.get("MessageAttributes", {}).get("detail_type", {}).get("Value") == notify.ABORTED
        for m in world.sns_messages()
    )

    # Delivered again (EventBridge delivers at least once): nothing left to release, nothing notified.
    event = world.status_changes[arn]
    steps_input = json.loads(
        events.transform_input(event, world.ended_rule["input_paths"], world.ended_rule["input_template"])
    )
    assert world.handlers["pitr-orders-restore-steps"](steps_input)["released"] is False
    assert [e["detail-type"] for e in world.notifications()].count(notify.ABORTED) == 1

    # And the next restore claims.
    world.simulate_restore("orders-restored-2", takes_seconds=60)
    world.start("orders-restored-2", "restore-after-the-stop")
    world.wait_for(lambda: (r := world.record()) and r.target_table == "orders-restored-2", "the next claim")


def test_a_failed_execution_released_by_its_catch_is_not_released_twice(world: World) -> None:
    arn = world.start(TARGET, "restore-missing")  # no restore: the waiter fails, the Catch releases
    assert world.finished(arn)["status"] == "FAILED"
    world.wait_for(lambda: arn in world.status_changes, "the FAILED status change")

    steps_input, result = world.releases[-1]
    assert steps_input["execution_arn"] == arn and steps_input["execution_status"] == "FAILED"
    # The rule's release found nothing held and returned before notifying.
    assert result["released"] is False and result["outcome"] is None
    # Counted for this restore only: moto's worker of a previous test's stopped execution may still
    # run that execution's Catch and publish into this test's bus.
    failed = [
        e
        for e in world.notifications()
        if e["detail-type"] == notify.FAILED and e["detail"].get("restore_id") == "restore-missing"
    ]
    assert len(failed) == 1 and "TargetTableMissingError" in failed[0]["detail"]["reason"]
    assert world.record() is None and not world.replay_enabled()


def test_the_rule_matches_only_this_workflows_ended_executions(world: World) -> None:
    def change(status: str, machine: str = world.machine_arn) -> dict:
        return events.execution_status_change(
            execution_arn=machine.replace(":stateMachine:", ":execution:") + ":x",
            state_machine_arn=machine,
            status=status,
            started=1.0,
            stopped=2.0,
        )

    assert all(world.ended_pattern.matches_event(change(s)) for s in ("ABORTED", "TIMED_OUT", "FAILED"))
    assert not world.ended_pattern.matches_event(change("SUCCEEDED"))
    assert not world.ended_pattern.matches_event(change("RUNNING"))
    other = world.machine_arn.replace("pitr-orders-restore", "pitr-other-restore")
    assert not world.ended_pattern.matches_event(change("ABORTED", other))


def test_a_timed_out_execution_is_a_failure_and_a_stop_an_abort() -> None:
    assert restore_steps.ended_outcome("ABORTED") == "aborted"
    assert restore_steps.ended_outcome("TIMED_OUT") == "failed"
    assert restore_steps.ended_outcome("FAILED") == "failed"
    with pytest.raises(ValueError):
        restore_steps.ended_outcome("SUCCEEDED")
