"""pitrctl commands against moto: happy paths and the errors an operator meets."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from moto_world import (
    EXECUTION,
    REGION,
    client,
    deploy,
    manifest,
    put_manifest,
    put_record,
    record,
    restore_orders,
    retention,
)

from pitrctl import commands, preflight
from pitrctl.cli import main
from pitrctl.errors import PitrctlError
from pitrctl.options import AbortOptions, CutoverOptions, Deployed, StatusOptions
from pitrctl.sim import tables
from pitrctl.ui import Ui


def _aws(service: str) -> Any:
    return client(service)


ORDERS = Deployed(table="orders", interval=0.0)


@pytest.fixture
def deployed(aws: None) -> dict[str, str]:
    return deploy()


def test_restore_raises_retention_restores_and_starts_the_workflow(deployed: dict[str, str]) -> None:
    result = commands.restore(restore_orders(), _aws, Ui(json_mode=True))
    assert result["target_table"] == "orders-restored-1"
    assert all(check["ok"] for check in result["checks"])
    assert retention(deployed["queue"]) == str(14 * 24 * 3600)
    assert _aws("dynamodb").describe_table(TableName="orders-restored-1")["Table"]["TableName"]
    executions = _aws("stepfunctions").list_executions(stateMachineArn=deployed["machine"])["executions"]
    assert len(executions) == 1 and executions[0]["name"].startswith("pitrctl-orders-restored-1-")
    assert result["execution_arn"] == executions[0]["executionArn"]
    started = _aws("stepfunctions").describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(started["input"])["target_table"] == "orders-restored-1"


def test_restore_refuses_target_outside_pattern_and_changes_nothing(deployed: dict[str, str]) -> None:
    with pytest.raises(PitrctlError, match="does not match") as info:
        commands.restore(restore_orders(target="orders-copy"), _aws, Ui(json_mode=True))
    assert info.value.hint
    assert retention(deployed["queue"]) == "14400"
    assert _aws("stepfunctions").list_executions(stateMachineArn=deployed["machine"])["executions"] == []


def test_restore_without_trail_is_refused(deployed: dict[str, str]) -> None:
    _aws("cloudtrail").stop_logging(Name="main")
    with pytest.raises(PitrctlError, match="CloudTrail"):
        commands.restore(restore_orders(), _aws, Ui(json_mode=True))


def test_restore_needs_confirmation_without_terminal(deployed: dict[str, str]) -> None:
    with pytest.raises(PitrctlError, match="confirmation"):
        commands.restore(restore_orders(yes=False), _aws, Ui(json_mode=True))


def test_restore_refused_while_another_is_in_flight(deployed: dict[str, str]) -> None:
    sfn = _aws("stepfunctions")
    running = sfn.start_execution(stateMachineArn=deployed["machine"], name="r", input="{}")["executionArn"]
    put_record(record(target_table="orders-restored-0", status="replaying", execution_arn=running))
    with pytest.raises(PitrctlError, match="already in flight"):
        commands.restore(restore_orders(), _aws, Ui(json_mode=True))
    sfn.stop_execution(executionArn=running)
    with pytest.raises(PitrctlError, match="ended") as info:
        commands.restore(restore_orders(), _aws, Ui(json_mode=True))
    assert "pitrctl abort" in info.value.hint


def test_status_idle_and_active(deployed: dict[str, str]) -> None:
    options = StatusOptions(table="orders", interval=0.0)
    assert commands.status(options, _aws, Ui(json_mode=True))["active"] is False
    put_record(record(status="restoring", task_token="secret"))
    result = commands.status(options, _aws, Ui(json_mode=True))
    assert result["active"] is True
    assert result["target_status"] == "NOT_FOUND"
    assert "task_token" not in result["restore"]


def test_cutover_only_when_caught_up(deployed: dict[str, str]) -> None:
    put_record(record(status="replaying", task_token="t"))
    with pytest.raises(PitrctlError, match="not waiting for cutover"):
        commands.cutover(CutoverOptions(table="orders", interval=0.0), _aws, Ui(json_mode=True))


def test_abort_with_nothing_in_flight(deployed: dict[str, str]) -> None:
    with pytest.raises(PitrctlError, match="no restore"):
        commands.abort(AbortOptions(table="orders", interval=0.0), _aws, Ui(json_mode=True))


def test_import_block_names_the_table() -> None:
    assert commands.import_block("orders-restored-1") == (
        'import {\n  to = aws_dynamodb_table.orders_restored_1\n  id = "orders-restored-1"\n}\n'
    )


def test_cli_prints_error_not_traceback(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--table", "nope", "--json", "--region", REGION])
    out = capsys.readouterr().out
    assert code == 1
    assert json.loads(out)["error"].startswith("no deployment of the module protects 'nope'")


def test_cutover_stops_when_the_workflow_goes_back_to_mirroring(deployed: dict[str, str]) -> None:
    """The drain timed out and the workflow parked again (new token): cutover says so, not loops."""
    sfn = _aws("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=deployed["machine"], name="x", input="{}")["executionArn"]
    old = record(task_token="old-token", execution_arn=execution)
    new = put_record(record(task_token="new-token", execution_arn=execution))

    class Running:
        def describe_execution(self, **_: Any) -> dict[str, str]:
            return {"status": "RUNNING"}

    aws = lambda service: Running() if service == "stepfunctions" else _aws(service)  # noqa: E731
    found = commands._deployment(ORDERS, _aws)
    with pytest.raises(PitrctlError, match="went back to mirroring"):
        commands._wait_for_end(found, old, aws, Ui(json_mode=True), interval=0, sleep=lambda _s: None)
    with pytest.raises(PitrctlError, match="still running"):
        commands._wait_for_end(
            found, new, aws, Ui(json_mode=True), interval=1, sleep=lambda _s: None, max_wait_seconds=3
        )


def test_execution_names_are_unique_per_restore_and_fit_80_characters() -> None:
    """StartExecution: the name "must be unique for your AWS account and region for 90 days" and "When
    the original execution is closed, the ExecutionAlreadyExists message is returned regardless of
    input": a target reused after an abort needs a new name, and a long target keeps the unique part."""
    at = datetime(2030, 3, 17, 12, 0, tzinfo=UTC)
    assert commands.execution_name("orders-restored-1", at) != commands.execution_name(
        "orders-restored-1", at
    )
    long_source = "s" * 49
    target = preflight.default_target_name(long_source, at)
    name = commands.execution_name(target, at, token="abc123")
    assert len(name) <= 80 and name.endswith("-20300317T120000Z-abc123")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    names = {commands.execution_name(target, at) for _ in range(50)}
    assert len(names) == 50


def test_execution_already_exists_is_an_error_unless_a_running_execution_serves_the_target(
    deployed: dict[str, str],
) -> None:
    sfn = _aws("stepfunctions")
    mine = {"target_table": "orders-restored-1", "requested_at": "2030-03-17T12:00:00Z"}
    arn = commands.start_workflow(sfn, deployed["machine"], "pitrctl-x", mine)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    # The same name for the same target while it runs (a retried start): that execution is followed.
    again = {**mine, "requested_at": "2030-03-17T12:00:01Z"}
    assert commands.start_workflow(sfn, deployed["machine"], "pitrctl-x", again) == arn
    other = {**mine, "target_table": "orders-restored-2"}
    with pytest.raises(PitrctlError, match="not started") as info:
        commands.start_workflow(sfn, deployed["machine"], "pitrctl-x", other)
    assert "start-execution" in info.value.hint
    sfn.stop_execution(executionArn=arn)
    with pytest.raises(PitrctlError, match="ABORTED"):
        commands.start_workflow(sfn, deployed["machine"], "pitrctl-x", again)


def test_a_refused_restore_call_puts_retention_back(deployed: dict[str, str]) -> None:
    tables.create_table(_aws("dynamodb"), "orders-restored-1")  # the target name is taken
    with pytest.raises(PitrctlError, match="refused the restore") as info:
        commands.restore(restore_orders(), _aws, Ui(json_mode=True))
    assert "retention is back" in info.value.hint
    assert retention(deployed["queue"]) == "14400"
    assert _aws("stepfunctions").list_executions(stateMachineArn=deployed["machine"])["executions"] == []


def test_follow_waits_for_the_claim_while_the_execution_runs(deployed: dict[str, str]) -> None:
    sfn = _aws("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=deployed["machine"], name="e1", input="{}")["executionArn"]
    found = commands._deployment(ORDERS, _aws)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:  # the workflow claims after a few polls
            put_record(record(restore_id="e1", target_table="orders-restored-1", execution_arn=arn))

    status = commands.follow(
        found, _aws, Ui(json_mode=True), until=("caught_up",), interval=1, sleep=sleep, execution_arn=arn
    )
    assert status.active and status.restore["status"] == "caught_up"
    assert len(sleeps) == 3
    # An execution that ended without claiming (refused, duplicate) ends the follow at once.
    ended = sfn.start_execution(stateMachineArn=deployed["machine"], name="e2", input="{}")["executionArn"]
    sfn.stop_execution(executionArn=ended)
    _aws("ssm").delete_parameter(Name="/dynamodb-pitr/orders/restore")
    status = commands.follow(
        found, _aws, Ui(json_mode=True), interval=1, sleep=sleeps.append, execution_arn=ended
    )
    assert not status.active and len(sleeps) == 3


def test_cutover_checks_before_it_asks_to_pause_writes(
    deployed: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    put_record(record(status="restoring"))
    options = CutoverOptions(table="orders", interval=0.0, yes=False)
    with pytest.raises(PitrctlError, match="not waiting for cutover"):
        commands.cutover(options, _aws, Ui(json_mode=False))
    assert "pause writes" not in capsys.readouterr().out.lower()
    put_record(record(task_token="t"))
    with pytest.raises(PitrctlError, match="confirmation"):
        commands.cutover(options, _aws, Ui(json_mode=True))  # no terminal: --yes needed, nothing sent


def test_cutover_and_abort_take_yes() -> None:
    from pitrctl.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["cutover", "--table", "orders", "--yes"]).yes is True
    assert parser.parse_args(["abort", "--table", "orders", "--yes"]).yes is True


class _ClosedSfn:
    """Step Functions as AWS answers for an execution in ``status``: SendTaskSuccess to a closed
    execution's token raises TaskTimedOut ("The task token has either expired or the task associated
    with the token has already been closed", SFN API reference)."""

    def __init__(self, real: Any, status: str) -> None:
        self.real, self.status, self.exceptions = real, status, real.exceptions
        self.stopped: list[str] = []

    def send_task_success(self, **_: Any) -> None:
        raise self.real.exceptions.TaskTimedOut(
            {"Error": {"Code": "TaskTimedOut", "Message": "Task Timed Out"}}, "SendTaskSuccess"
        )

    def describe_execution(self, executionArn: str) -> dict[str, str]:  # noqa: N803 (boto3's name)
        return {"executionArn": executionArn, "status": self.status}

    def stop_execution(self, executionArn: str, **_: Any) -> None:  # noqa: N803 (boto3's name)
        self.stopped.append(executionArn)
        self.status = "ABORTED"


class _StepsLambda:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, Payload: bytes, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.payloads.append(json.loads(Payload))
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps({"released": True}).encode())}


def _with_steps() -> None:
    workflow = manifest()["restore_watcher"] | {
        "steps_function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:steps"
    }
    put_manifest(**manifest() | {"restore_watcher": workflow})


def _parked_record() -> None:
    put_record(record(task_token="dead-token", execution_arn=EXECUTION))


def _abort_parked(sfn: _ClosedSfn, lam: _StepsLambda) -> dict[str, Any]:
    """``pitrctl abort --yes`` of a parked restore, with these Step Functions and Lambda clients."""
    _with_steps()
    _parked_record()
    fakes: dict[str, Any] = {"stepfunctions": sfn, "lambda": lam}
    return commands.abort(
        AbortOptions(table="orders", interval=0.0, yes=True),
        lambda service: fakes.get(service) or _aws(service),
        Ui(json_mode=True),
        sleep=lambda _s: None,
    )


@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT", "FAILED"])
def test_abort_releases_an_execution_that_ended_without_its_catch(
    deployed: dict[str, str], status: str
) -> None:
    sfn, lam = _ClosedSfn(_aws("stepfunctions"), status), _StepsLambda()
    result = _abort_parked(sfn, lam)
    assert result["released_by"] == "pitrctl" and result["execution_status"] == status
    assert sfn.stopped == [], "an ended execution is not stopped again"
    (payload,) = lam.payloads
    assert payload["action"] == "release" and payload["holder_ended"] is True
    assert payload["outcome"] == "aborted" and payload["execution_arn"].endswith(":r")


def test_abort_of_a_running_execution_whose_token_died_stops_it_then_releases(
    deployed: dict[str, str],
) -> None:
    """A reminder replaced the token just before the answer: TaskTimedOut, the execution still runs."""
    sfn, lam = _ClosedSfn(_aws("stepfunctions"), "RUNNING"), _StepsLambda()
    result = _abort_parked(sfn, lam)
    assert sfn.stopped and result["execution_status"] == "ABORTED"
    assert lam.payloads[0]["holder_ended"] is True


def test_cutover_of_an_ended_execution_says_to_abort(deployed: dict[str, str]) -> None:
    _parked_record()
    sfn = _ClosedSfn(_aws("stepfunctions"), "ABORTED")
    with pytest.raises(PitrctlError, match="no longer running") as info:
        commands.cutover(
            CutoverOptions(table="orders", interval=0.0, yes=True),
            lambda service: sfn if service == "stepfunctions" else _aws(service),
            Ui(json_mode=True),
        )
    assert "pitrctl abort" in info.value.hint


def test_abort_needs_confirmation_and_changes_nothing_without_it(deployed: dict[str, str]) -> None:
    _parked_record()
    with pytest.raises(PitrctlError, match="confirmation"):
        commands.abort(AbortOptions(table="orders", interval=0.0), _aws, Ui(json_mode=True))
    assert _aws("ssm").get_parameter(Name="/dynamodb-pitr/orders/restore")
