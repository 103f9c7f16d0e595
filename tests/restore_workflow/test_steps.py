"""The restore steps against moto: the claim's races, release under faults, notifications."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pitr import clients, notify, restore_steps, step_errors
from pitr.restore_record import CAUGHT_UP, RestoreRecord
from pitrctl.sim.faults import Faults, FlakySsm
from pitrctl.sim.workflow_world import RECORD, STANDBY_RETENTION, World

TARGET = "orders-restored-1"


class _Executions:
    """DescribeExecution for the made-up executions of these tests: RUNNING unless marked ended.

    AWS keeps a closed execution's status for 90 days; ``ended`` plays that.
    """

    def __init__(self, real: Any) -> None:
        self.real = real
        self.ended: dict[str, str] = {}
        self.exceptions = real.exceptions

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        return {"executionArn": executionArn, "status": self.ended.get(executionArn, "RUNNING")}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _executions(world: World) -> _Executions:
    if not hasattr(world, "executions_stub"):
        world.executions_stub = _Executions(world.sfn)  # type: ignore[attr-defined]
        clients.override("stepfunctions", world.executions_stub)  # type: ignore[attr-defined]
    return world.executions_stub  # type: ignore[attr-defined]


def _arn(execution: str) -> str:
    return f"arn:aws:states:eu-west-1:123456789012:execution:m:{execution}"


def _claim(world: World, execution: str, target: str = TARGET) -> dict[str, Any]:
    _executions(world)
    return restore_steps.handle(
        {
            "action": "claim",
            "start": {"target_table": target, "requested_at": "2030-03-17T12:00:00Z"},
            "execution_arn": f"arn:aws:states:eu-west-1:123456789012:execution:m:{execution}",
            "restore_id": execution,
        },
        world.steps_cfg,
        world.rt,
    )


def test_repeated_starts_for_one_target_have_one_winner(world_factory) -> None:
    # The create-if-absent write is SSM's (PutParameter, Overwrite=false): atomic on AWS. Sequential
    # starts are enough to check what the steps do with each outcome.
    world: World = world_factory()
    results = [_claim(world, f"e{i}") for i in range(6)]
    assert [r["outcome"] for r in results] == ["claimed"] + ["duplicate"] * 5
    assert world.record().restore_id == "e0"
    assert world.detail_types() == [], "duplicates notify nothing"


def test_a_retried_claim_of_the_same_execution_is_still_claimed(world_factory) -> None:
    world: World = world_factory()
    assert _claim(world, "e1")["outcome"] == "claimed"
    assert _claim(world, "e1")["outcome"] == "claimed", "a lost response retried by the workflow"
    assert _claim(world, "e2")["outcome"] == "duplicate"
    refused = _claim(world, "e3", target="orders-restored-2")
    assert refused["outcome"] == "refused" and "orders-restored-1" in refused["reason"]


def test_claim_refuses_the_source_and_names_outside_the_pattern(world_factory) -> None:
    world: World = world_factory()
    for target in ("orders", "orders-copy", "Orders-restored-1"):
        assert _claim(world, "e1", target=target)["outcome"] == "outside"
    assert world.record() is None
    assert world.detail_types() == ["Restore Refused"] * 3


class _FailingSqs:
    """Fault injection: SetQueueAttributes fails ``failures`` times, everything else passes through."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real, self.failures = real, failures

    def set_queue_attributes(self, **kw: Any) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("SQS throttled (injected)")
        return self.real.set_queue_attributes(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _in_flight(world: World, execution: str) -> str:
    arn = f"arn:aws:states:eu-west-1:123456789012:execution:m:{execution}"
    _claim(world, execution)
    restore_steps.handle({"action": "start", "execution_arn": arn}, world.steps_cfg, world.rt)
    restore_steps.handle(
        {
            "action": "enable_replay",
            "execution_arn": arn,
            "plan": {
                "restore_point": "2030-03-17T12:00:00Z",
                "replay_start": "2030-03-17T12:00:00Z",
                "covered_since": "2030-03-17T09:00:00Z",
            },
        },
        world.steps_cfg,
        world.rt,
    )
    return arn


def test_release_does_every_step_despite_a_failure_and_completes_on_retry(world_factory) -> None:
    world: World = world_factory()
    arn = _in_flight(world, "e1")
    assert world.replay_enabled() and world.retention() == 1_209_600
    clients.override("sqs", _FailingSqs(world.sqs, failures=1))
    with pytest.raises(restore_steps.ReleaseIncompleteError, match="lower retention"):
        restore_steps.handle(
            {"action": "release", "outcome": "failed", "execution_arn": arn}, world.steps_cfg, world.rt
        )
    assert not world.replay_enabled(), "replay is off even though lowering retention failed"
    assert world.record() is None
    # The workflow retries release: the record is gone (nothing else in flight), so it finishes the job.
    out = restore_steps.handle(
        {"action": "release", "outcome": "failed", "execution_arn": arn}, world.steps_cfg, world.rt
    )
    assert out["released"] is True
    assert world.retention() == STANDBY_RETENTION


def test_release_leaves_another_executions_restore_alone(world_factory) -> None:
    world: World = world_factory()
    _in_flight(world, "e1")
    out = restore_steps.handle(
        {
            "action": "release",
            "outcome": "failed",
            "execution_arn": "arn:aws:states:eu-west-1:123456789012:execution:m:intruder",
            "error": {
                "Error": "States.TaskFailed",
                "Cause": json.dumps({"errorType": "X", "errorMessage": "boom"}),
            },
        },
        world.steps_cfg,
        world.rt,
    )
    assert out["released"] is False
    assert world.replay_enabled() and world.retention() == 1_209_600 and world.record() is not None
    failed = world.notifications()[-1]
    assert failed["detail-type"] == "Restore Failed" and failed["detail"]["reason"] == "X: boom"
    assert "left untouched" in failed["detail"]["note"]


def test_steps_refuse_to_change_a_record_they_do_not_hold(world_factory) -> None:
    world: World = world_factory()
    _in_flight(world, "e1")
    with pytest.raises(restore_steps.RecordLostError):
        restore_steps.handle(
            {"action": "set_status", "status": CAUGHT_UP, "execution_arn": "arn:other"},
            world.steps_cfg,
            world.rt,
        )
    record = RestoreRecord.from_json(world.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"])
    assert record.status == "replaying"


def test_every_notification_carries_the_fixed_detail_keys() -> None:
    for detail_type in notify.DETAIL_TYPES:
        detail = notify.build_detail(detail_type, source_table="orders")
        assert set(detail) >= {
            "source_table",
            "target_table",
            "restore_id",
            "restore_point",
            "replay_start",
            "counts",
        }
        assert detail["next_step"]
        assert len(notify.subject(detail_type, {**detail, "target_table": "x" * 300})) <= 100
    with pytest.raises(ValueError, match="unknown notification"):
        notify.build_detail("Restore Exploded")


def test_a_refused_event_is_an_error() -> None:
    class Events:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}

    with pytest.raises(notify.NotifyError, match="InternalFailure"):
        notify.publish(
            notify.STARTED, notify.build_detail(notify.STARTED), topic_arn=None, sns=None, events=Events()
        )


@pytest.mark.parametrize("target", ["orders-restored-2", TARGET])
def test_a_claim_releases_a_holder_that_ended_without_its_catch_then_claims(
    world_factory, target: str
) -> None:
    """StopExecution, a timeout or the history quota end an execution without its Catch: the record
    stays claimed, replay on and retention raised. The next claim (another target, or the same one
    restored again) asks DescribeExecution, releases the dead holder through the release path (replay
    end recorded for coverage) and claims, instead of being refused or ignored as a duplicate."""
    world: World = world_factory()
    _in_flight(world, "e1")
    assert world.replay_enabled() and world.retention() == 1_209_600
    _executions(world).ended[_arn("e1")] = "ABORTED"
    world.fake.advance(60)
    out = _claim(world, "e2", target=target)
    assert out["outcome"] == "claimed"
    record = world.record()
    assert record is not None and record.execution_arn == _arn("e2") and record.status == "claimed"
    assert not world.replay_enabled(), "the dead holder's replay is off"
    assert world.retention() == STANDBY_RETENTION, "retention back to standby until the new restore starts"
    kept = json.loads(world.ssm.get_parameter(Name=world.steps_cfg.coverage_parameter)["Parameter"]["Value"])
    assert kept["replay_ended_at"] == "2030-03-17T17:47:40Z", "the dead replay's end counts for coverage"
    failed = world.notifications()[-1]
    assert failed["detail-type"] == "Restore Failed"
    assert failed["detail"]["target_table"] == TARGET and "ended (ABORTED)" in failed["detail"]["reason"]


def test_a_claim_against_a_running_holder_is_still_refused(world_factory) -> None:
    world: World = world_factory()
    _in_flight(world, "e1")
    refused = _claim(world, "e2", target="orders-restored-2")
    assert refused["outcome"] == "refused"
    assert world.record().execution_arn == _arn("e1") and world.replay_enabled()


def test_release_for_an_ended_holder_refuses_while_it_still_runs(world_factory) -> None:
    world: World = world_factory()
    _in_flight(world, "e1")
    event = {"action": "release", "outcome": "aborted", "execution_arn": _arn("e1"), "holder_ended": True}
    with pytest.raises(restore_steps.HolderStillRunningError, match="still running"):
        restore_steps.handle(event, world.steps_cfg, world.rt)
    assert world.replay_enabled() and world.record() is not None
    _executions(world).ended[_arn("e1")] = "TIMED_OUT"
    out = restore_steps.handle(event, world.steps_cfg, world.rt)
    assert out["released"] is True and world.record() is None and not world.replay_enabled()
    assert world.detail_types()[-1] == "Restore Aborted"


def test_a_contended_claim_is_a_transient_error_the_workflow_retries(world_factory) -> None:
    world: World = world_factory()
    assert _claim(world, "e1")["outcome"] == "claimed"
    clients.override("ssm", FlakySsm(world.ssm, Faults(too_many_updates=1.0), failures=1))
    with pytest.raises(step_errors.AwsTransientError, match="TooManyUpdates"):
        _claim(world, "e2")
    assert _claim(world, "e2")["outcome"] == "duplicate", "the retried claim finds the winner"


def _client_error(client: Any, code: str, operation: str, status: int = 400) -> Exception:
    response = {
        "Error": {"Code": code, "Message": f"{code} (injected)"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return client.exceptions.from_code(code)(response, operation)


class _Raising:
    """One operation of a real client answers an AWS error; the rest pass through."""

    def __init__(self, real: Any, operation: str, error: Exception) -> None:
        self.real, self.operation, self.error, self.exceptions = real, operation, error, real.exceptions

    def __getattr__(self, name: str) -> Any:
        if name == self.operation:

            def fail(**_: Any) -> Any:
                raise self.error

            return fail
        return getattr(self.real, name)


@pytest.mark.parametrize(
    ("service", "operation", "code", "status"),
    [
        ("sqs", "set_queue_attributes", "RequestThrottled", 403),  # SQS throttling
        ("sns", "publish", "Throttled", 400),  # SNS throttling (ThrottledException)
        ("ssm", "put_parameter", "ThrottlingException", 400),
        ("sqs", "set_queue_attributes", "ServiceUnavailable", 503),
        ("ssm", "put_parameter", "InternalServerError", 500),
    ],
)
def test_throttles_and_server_errors_reach_the_workflow_under_one_retried_name(
    world_factory, service: str, operation: str, code: str, status: int
) -> None:
    """botocore names an unmodeled error's class ClientError, which no Retry can match by name: the
    steps raise AwsTransientError (retried by every task) once the SDK's own retries are spent."""
    world: World = world_factory()
    _claim(world, "e1")
    real = {"sqs": world.sqs, "sns": world.sns, "ssm": world.ssm}[service]
    clients.override(service, _Raising(real, operation, _client_error(real, code, operation, status)))
    with pytest.raises(step_errors.AwsTransientError, match=code):
        restore_steps.handle({"action": "start", "execution_arn": _arn("e1")}, world.steps_cfg, world.rt)


def test_a_refused_call_is_not_retried(world_factory) -> None:
    world: World = world_factory()
    _claim(world, "e1")
    denied = _client_error(world.sqs, "AccessDenied", "SetQueueAttributes")
    clients.override("sqs", _Raising(world.sqs, "set_queue_attributes", denied))
    with pytest.raises(ClientError) as info:
        restore_steps.handle({"action": "start", "execution_arn": _arn("e1")}, world.steps_cfg, world.rt)
    assert not isinstance(info.value, step_errors.AwsTransientError)


class _ReleasedWhileEnabling:
    """UpdateEventSourceMapping(Enabled=True) lands while a release runs (pitrctl abort after
    StopExecution: the stopped execution's enable_replay invocation still runs to its end)."""

    def __init__(self, real: Any, release: Any, before: bool) -> None:
        self.real, self.release, self.before, self.exceptions = real, release, before, real.exceptions
        self.done = False

    def update_event_source_mapping(self, **kw: Any) -> Any:
        if kw.get("Enabled") and not self.done:
            self.done = True
            if self.before:  # the whole release ran just before this enable reached Lambda
                self.release()
                return self.real.update_event_source_mapping(**kw)
            result = self.real.update_event_source_mapping(**kw)
            self.release()  # the release ran just after it
            return result
        return self.real.update_event_source_mapping(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("before", [True, False])
def test_an_enable_racing_a_release_never_leaves_replay_on(world_factory, before: bool) -> None:
    world: World = world_factory()
    arn = _arn("e1")
    _claim(world, "e1")
    restore_steps.handle({"action": "start", "execution_arn": arn}, world.steps_cfg, world.rt)
    _executions(world).ended[arn] = "ABORTED"

    def release() -> None:
        clients.override("lambda", world.lam)
        restore_steps.handle(
            {"action": "release", "outcome": "aborted", "execution_arn": arn, "holder_ended": True},
            world.steps_cfg,
            world.rt,
        )

    clients.override("lambda", _ReleasedWhileEnabling(world.lam, release, before))
    plan = {
        "restore_point": "2030-03-17T12:00:00Z",
        "replay_start": "2030-03-17T12:00:00Z",
        "covered_since": "2030-03-17T09:00:00Z",
    }
    with pytest.raises(restore_steps.RecordLostError):
        restore_steps.handle(
            {"action": "enable_replay", "execution_arn": arn, "plan": plan}, world.steps_cfg, world.rt
        )
    clients.override("lambda", world.lam)
    assert not world.replay_enabled(), "replay left on with no restore record"
    assert world.record() is None and world.retention() == STANDBY_RETENTION


def test_a_start_racing_a_release_never_leaves_retention_raised(world_factory) -> None:
    world: World = world_factory()
    arn = _arn("e1")
    _claim(world, "e1")
    _executions(world).ended[arn] = "ABORTED"
    restore_steps.handle(
        {"action": "release", "outcome": "aborted", "execution_arn": arn, "holder_ended": True},
        world.steps_cfg,
        world.rt,
    )
    # The stopped execution's start invocation arrives after the release.
    with pytest.raises(restore_steps.RecordLostError):
        restore_steps.handle({"action": "start", "execution_arn": arn}, world.steps_cfg, world.rt)
    assert world.retention() == STANDBY_RETENTION and world.record() is None
