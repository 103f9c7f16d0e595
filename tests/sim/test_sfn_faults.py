"""Contract tests of the Step Functions fault classes (``faults.StopExecutionByHand``,
``TaskTokenClosed``, ``ExecutionNameTaken``, ``HistoryLimit``): the kit's layer over moto answers as
the AWS sentences in their docstrings say."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pitr import clients
from pitrctl.sim import moto_patches, sfn_layer

PARKED = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}
STEPS = {
    "StartAt": "P1",
    "States": {
        **{f"P{n}": {"Type": "Pass", "Next": f"P{n + 1}"} for n in range(1, 8)},
        "P8": {"Type": "Pass", "End": True},
    },
}


class World:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.now = 1_900_000_000.0
        iam = boto3.client("iam")
        self.role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        moto_patches.create_function(boto3.client("lambda"), "ask", self.role)
        self.sfn = boto3.client("stepfunctions")

    def machine(self, definition: dict[str, Any], name: str = "m") -> str:
        return self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=self.role)[
            "stateMachineArn"
        ]

    def clock(self) -> float:
        return self.now

    def wait(self, condition: Any, what: str) -> Any:
        for _ in range(500):
            value = condition()
            if value:
                return value
            time.sleep(0.01)
        raise AssertionError(f"{what} did not happen")


@pytest.fixture
def world() -> Iterator[World]:
    tokens: list[str] = []
    with (
        moto_patches.offline_environment(),
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        moto_patches.route_lambda({"ask": lambda event: tokens.append(event["token"]) or {}}),
    ):
        clients.reset()
        yield World(tokens)
    clients.reset()


def _code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return raised.value.response["Error"]["Code"]


def test_stop_by_hand_aborts_a_parked_execution_and_its_token_times_out(world: World) -> None:
    rules = sfn_layer.attach(world.sfn, world.clock)
    arn = world.sfn.start_execution(stateMachineArn=world.machine(PARKED), name="run-1", input="{}")[
        "executionArn"
    ]
    world.wait(lambda: world.tokens, "the task token")
    rules.stop_by_hand(arn)
    described = world.sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED" and described["stopDate"]
    assert [
        e["status"]
        for e in world.sfn.list_executions(stateMachineArn=described["stateMachineArn"])["executions"]
    ] == ["ABORTED"]
    with pytest.raises(ClientError) as raised:
        world.sfn.send_task_success(taskToken=world.tokens[0], output="{}")
    assert _code(raised) == "TaskTimedOut"


def test_moto_alone_keeps_a_stopped_parked_execution_running(world: World) -> None:
    """Why the layer exists: moto's answer differs from AWS's."""
    arn = world.sfn.start_execution(stateMachineArn=world.machine(PARKED), name="run-1", input="{}")[
        "executionArn"
    ]
    world.wait(lambda: world.tokens, "the task token")
    world.sfn.stop_execution(executionArn=arn)
    assert world.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"


def test_an_answer_to_a_closed_execution_times_out(world: World) -> None:
    sfn_layer.attach(world.sfn, world.clock)
    arn = world.sfn.start_execution(stateMachineArn=world.machine(PARKED), name="run-1", input="{}")[
        "executionArn"
    ]
    world.wait(lambda: world.tokens, "the task token")
    world.sfn.send_task_success(taskToken=world.tokens[0], output="{}")
    world.wait(lambda: world.sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", "success")
    for send in (
        lambda: world.sfn.send_task_success(taskToken=world.tokens[0], output="{}"),
        lambda: world.sfn.send_task_failure(taskToken=world.tokens[0], error="E"),
        lambda: world.sfn.send_task_heartbeat(taskToken=world.tokens[0]),
    ):
        with pytest.raises(ClientError) as raised:
            send()
        assert _code(raised) == "TaskTimedOut"


def test_a_name_is_taken_for_90_days(world: World) -> None:
    rules = sfn_layer.attach(world.sfn, world.clock)
    machine = world.machine(PARKED)
    first = world.sfn.start_execution(stateMachineArn=machine, name="rule-e1", input='{"a": 1}')
    world.wait(lambda: world.tokens, "the task token")
    again = world.sfn.start_execution(stateMachineArn=machine, name="rule-e1", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"], "open and identical input: the first's answer"
    with pytest.raises(ClientError) as raised:
        world.sfn.start_execution(stateMachineArn=machine, name="rule-e1", input='{"a": 2}')
    assert _code(raised) == "ExecutionAlreadyExists", "open, another input"
    rules.stop_by_hand(first["executionArn"])
    world.now += 89 * 86_400
    with pytest.raises(ClientError) as raised:
        world.sfn.start_execution(stateMachineArn=machine, name="rule-e1", input='{"a": 1}')
    assert _code(raised) == "ExecutionAlreadyExists", "closed: refused whatever the input, for 90 days"
    world.now += 2 * 86_400
    assert rules.before_start({"pitr_params": {"stateMachineArn": machine, "name": "rule-e1"}}) is None, (
        "after 90 days the layer no longer refuses the name"
    )


def test_an_execution_reaching_the_history_limit_fails(world: World) -> None:
    sfn_layer.attach(world.sfn, world.clock, history_limit=5)
    machine = world.machine(PARKED)
    arn = world.sfn.start_execution(stateMachineArn=machine, name="long", input="{}")["executionArn"]
    world.wait(lambda: world.tokens, "the task token")  # parked: ExecutionStarted ... TaskSubmitted
    assert world.sfn.describe_execution(executionArn=arn)["status"] == "FAILED"
    short = world.sfn.start_execution(stateMachineArn=world.machine(STEPS, "steps"), name="s", input="{}")
    status = world.wait(
        lambda: (
            (s := world.sfn.describe_execution(executionArn=short["executionArn"])["status"]) != "RUNNING"
            and s
        ),
        "the end",
    )
    assert status == "FAILED", "event 5 of 8 Pass states is not ExecutionSucceeded"
