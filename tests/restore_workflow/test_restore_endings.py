"""Every way a restore execution can end, on the real definition in moto.

AWS behaviours simulated here, each as documented:
- "StopExecution" (and a timeout, or the history quota) end an execution as a whole; "Step Functions
  catchers are available for Task, Parallel and Map states, but not for top-level state machine
  execution failures" (Step Functions developer guide, "Handling errors"): no Cleanup runs.
- SendTaskSuccess to a closed execution answers ``TaskTimedOut``: "The task token has either expired or
  the task associated with the token has already been closed" (SFN API reference; moto answers
  InvalidToken, so pitrctl never relies on which).
- SSM PutParameter "TooManyUpdates": "There are concurrent updates for a resource that supports one
  update at a time." (two claims racing on the restore record).
- DescribeTable "might return a ResourceNotFoundException" right after the table is created.
- A Lambda function timeout: "Unhandled errors in Lambda are reported as Lambda.Unknown ... These
  include out-of-memory errors and function timeouts" (newer runtimes name it ``Sandbox.Timedout``).
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pytest

from pitr import clients
from pitrctl import commands
from pitrctl.options import AbortOptions
from pitrctl.sim.faults import Faults, FlakySsm
from pitrctl.sim.workflow_world import COVERAGE, RECORD, REGION, SOURCE, STANDBY_RETENTION, World
from pitrctl.ui import Ui

pytestmark = pytest.mark.slow

TARGET = "orders-restored-20300317"
RAISED = 1_209_600


def _deploy_manifest(world: World) -> None:
    """The manifest pitrctl reads (docs/interfaces.md), pointing at the world's resources."""
    steps = world.lam.get_function(FunctionName="pitr-orders-restore-steps")["Configuration"]["FunctionArn"]
    manifest = {
        "source_table_name": SOURCE,
        "target_table_name_pattern": "orders-restored-*",
        "replay_from": "restore_point",
        "restore_record_parameter": RECORD,
        "region": REGION,
        "cdc_buffer": {
            "buffer_queue_url": world.queue_url,
            "buffer_standby_retention_seconds": STANDBY_RETENTION,
        },
        "restore_watcher": {
            "state_machine_arn": world.machine_arn,
            "steps_function_arn": steps,
            "coverage_parameter": COVERAGE,
        },
    }
    world.ssm.put_parameter(Name="/dynamodb-pitr/orders/manifest", Value=json.dumps(manifest), Type="String")


def _aws(world: World) -> Any:
    made = {
        "ssm": world.ssm,
        "stepfunctions": world.sfn,
        "lambda": world.lam,
        "sqs": world.sqs,
        "dynamodb": world.ddb,
        "cloudwatch": world.cw,
    }
    return lambda service: made[service]


def _abort(world: World) -> dict[str, Any]:
    _deploy_manifest(world)
    args = AbortOptions(table=SOURCE, interval=0.0, yes=True)
    return commands.abort(args, _aws(world), Ui(json_mode=True), sleep=time.sleep, stop_wait_seconds=60)


def _stop_by_hand(world: World, arn: str) -> str:
    """StopExecution, as an operator does in the console: the execution ends at once (ABORTED).

    moto marks the execution stopped but keeps a parked callback task waiting for its timeout
    (60 s when unset) before the execution ends, and then reports FAILED; failing the parked task
    lets moto end it now. No state runs after the stop either way (no Catch, no Cleanup), as on AWS.
    """
    record = world.record()
    world.sfn.stop_execution(executionArn=arn, error="ByHand", cause="an operator in the console")
    if record is not None and record.task_token:
        with contextlib.suppress(world.sfn.exceptions.InvalidToken, world.sfn.exceptions.TaskTimedOut):
            world.sfn.send_task_failure(taskToken=record.task_token, error="Stopped", cause="moto")
    status = world.finished(arn)["status"]
    assert status != "RUNNING"
    return status


def _replay_ended_at(world: World) -> str | None:
    try:
        kept = json.loads(world.ssm.get_parameter(Name=COVERAGE)["Parameter"]["Value"])
    except world.ssm.exceptions.ParameterNotFound:
        return None
    return kept.get("replay_ended_at")


def test_a_stopped_execution_keeps_its_claim_until_pitrctl_abort_releases_it(world_factory) -> None:
    # The restore-ended rule's event is lost (Step Functions delivers it best effort): the manual path.
    world: World = world_factory(status_changes_delivered=False)
    arn = world.start_parked(TARGET, "restore-stopped", takes_seconds=120)
    status = _stop_by_hand(world, arn)
    # What the stop leaves (no Catch ran): replay on, retention raised, the record claimed.
    assert world.replay_enabled() and world.retention() == RAISED and world.record() is not None
    # The parked token is dead (AWS answers TaskTimedOut): abort sees the execution closed and releases.
    world.fake.advance(30)
    result = _abort(world)
    assert result["released_by"] == "pitrctl" and result["execution_status"] == status
    assert world.left_enabled() == []
    assert _replay_ended_at(world), "the abandoned replay's end is recorded, so coverage starts after it"
    aborted = world.notifications()[-1]
    assert aborted["detail-type"] == "Restore Aborted" and aborted["detail"]["target_table"] == TARGET
    assert status in aborted["detail"]["reason"]
    # The deployment is back to standby and the next restore works. Started again for the same
    # restored table (same restore point), it reports the gap the abandoned replay left: that replay
    # consumed the buffer up to its recorded end, so the changes since the restore point are gone.
    again = world.start(TARGET, "restore-again")
    world.wait_parked(status="restoring", arn=again)
    assert world.record().execution_arn == again
    assert world.notifications()[-1]["detail-type"] == "Coverage Gap"
    assert world.abort(again)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []
    # A restore to a point after that end is fully covered: no gap, it mirrors and waits for cut-over.
    world.fake.advance(60)
    fresh = "orders-restored-fresh"
    world.simulate_restore(fresh, takes_seconds=60)
    third = world.start(fresh, "restore-fresh")
    world.wait_parked(arn=third)
    assert world.record().execution_arn == third and world.replay_enabled()
    assert world.abort(third)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_abort_while_the_table_is_still_restoring_stops_then_releases(world_factory) -> None:
    world: World = world_factory()
    world.simulate_restore(TARGET, takes_seconds=None)  # a mistaken restore that takes hours
    arn = world.start(TARGET, "restore-mistaken")
    world.wait_for(lambda: (r := world.record()) and r.status == "restoring", "the restore in progress")
    assert world.record().task_token is None, "nothing to answer: abort must stop the execution"
    result = _abort(world)
    assert result["released_by"] == "pitrctl"
    assert result["execution_status"] == world.execution(arn)["status"] != "RUNNING"
    assert world.left_enabled() == []
    assert _replay_ended_at(world) is None, "replay never ran: coverage keeps the previous replay's end"
    assert world.detail_types()[-1] == "Restore Aborted"


def test_abort_of_a_parked_restore_goes_through_the_workflow(world_factory) -> None:
    world: World = world_factory()
    arn = world.start_parked(TARGET, "restore-parked")
    result = _abort(world)
    assert result["released_by"] == "workflow" and result["execution_status"] == "SUCCEEDED"
    assert json.loads(world.execution(arn)["output"])["outcome"] == "aborted"
    assert world.left_enabled() == []


def test_the_next_restores_claim_releases_a_stopped_holder(world_factory) -> None:
    # The restore-ended rule's event is lost (best effort): the next claim releases the holder.
    world: World = world_factory(status_changes_delivered=False)
    first = world.start_parked(TARGET, "restore-first")
    status = _stop_by_hand(world, first)
    other = "orders-restored-other"
    world.simulate_restore(other, takes_seconds=60)
    second = world.start(other, "restore-second")
    world.wait_parked(arn=second)
    record = world.record()
    assert record.execution_arn == second and record.target_table == other
    released = next(e for e in world.notifications() if e["detail-type"] == "Restore Failed")
    assert (
        released["detail"]["target_table"] == TARGET and f"ended ({status})" in released["detail"]["reason"]
    )
    assert _replay_ended_at(world), "the stopped replay's end is recorded before the new plan"
    assert world.abort(second)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_a_settings_failure_at_cutover_still_says_switch_now_with_the_failure(world_factory) -> None:
    world: World = world_factory()
    standin = world.settings

    def settings(event: dict[str, Any]) -> Any:
        if event["phase"] == "cutover":
            raise RuntimeError("AccessDenied: dynamodb:CreateTrigger (injected)")
        return standin(event)

    world.handlers["pitr-orders-settings-sync"] = settings
    arn = world.start_parked(TARGET, "restore-cutover-settings")
    world.answer("cutover")
    done = world.finished(arn)
    assert done["status"] == "SUCCEEDED", world.history_names()
    outcome = json.loads(done["output"])
    assert outcome["outcome"] == "cut_over" and outcome["switch_now"] is True
    assert "AccessDenied" in json.dumps(outcome["settings"]["cutover"]["error"])
    assert outcome["settings"]["restore"]["counts"]["applied"] == 7
    cut = world.notifications()[-1]
    assert cut["detail-type"] == "Restore Cut Over"
    assert "AccessDenied" in json.dumps(cut["detail"]["settings"])
    assert "Restore Failed" not in world.detail_types()
    assert world.left_enabled() == []


def test_a_claim_losing_a_race_with_too_many_updates_ends_as_a_quiet_duplicate(world_factory) -> None:
    """The rule and pitrctl start two executions for one restore; the loser's create-if-absent
    answers TooManyUpdates. It must end as a duplicate, not as "Restore Failed" with an alarm."""
    world: World = world_factory()
    first = world.start_parked(TARGET, "restore-rule")
    before = world.detail_types()
    steps = world.handlers["pitr-orders-restore-steps"]
    contended = FlakySsm(world.ssm, Faults(too_many_updates=1.0), failures=1)

    def racing(event: dict[str, Any]) -> Any:
        if event.get("action") == "claim" and event.get("restore_id") == "restore-pitrctl":
            clients.override("ssm", contended)
            try:
                return steps(event)
            finally:
                clients.override("ssm", world.ssm)
        return steps(event)

    world.handlers["pitr-orders-restore-steps"] = racing
    second = world.start(TARGET, "restore-pitrctl")
    done = world.finished(second)
    assert done["status"] == "SUCCEEDED", world.history_names()
    assert contended.failures == 0, "the claim met TooManyUpdates"
    failures = [e for e in world.history(second) if e["type"] == "TaskFailed"]
    assert failures and failures[0]["taskFailedEventDetails"]["error"] == "AwsTransientError"
    assert world.detail_types() == before, "the duplicate notifies nothing"
    assert world.record().execution_arn == first
    assert world.abort(first)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_a_waiter_invocation_that_times_out_is_retried(world_factory) -> None:
    world: World = world_factory()
    waiter = world.handlers["pitr-orders-restore-waiter"]
    timeouts = {"left": 1}
    timed_out = type("Sandbox.Timedout", (Exception,), {})  # the error name Step Functions reports

    def flaky(event: dict[str, Any]) -> Any:
        if event.get("action") == "wait_active" and timeouts["left"]:
            timeouts["left"] -= 1
            raise timed_out("Task timed out after 900.00 seconds")
        return waiter(event)

    world.handlers["pitr-orders-restore-waiter"] = flaky
    arn = world.start_parked(TARGET, "restore-timeout")
    failed = [e for e in world.history(arn) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["Sandbox.Timedout"]
    assert world.abort(arn)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []


def test_a_restored_table_not_found_right_after_the_restore_call_is_waited_for(world_factory) -> None:
    world: World = world_factory()
    # The workflow starts before DescribeTable knows the table (eventual consistency); it appears a
    # minute later and is ACTIVE two minutes after that.
    appear_at = world.fake.clock() + 60
    appeared: list[bool] = []

    def appear() -> None:
        if not appeared and world.fake.clock() >= appear_at:
            appeared.append(True)
            world.simulate_restore(TARGET, takes_seconds=120, restore_point=appear_at - 60)

    world.fake.hooks.insert(0, lambda _seconds: appear())
    arn = world.start(TARGET, "restore-not-yet")
    world.wait_parked()
    assert appeared and world.record().execution_arn == arn
    assert world.abort(arn)["status"] == "SUCCEEDED"
    assert world.left_enabled() == []
