"""Step Functions rules over moto's (``faults.StopExecutionByHand``, ``faults.TaskTokenClosed``,
``faults.ExecutionNameTaken``, ``faults.HistoryLimit``), as a botocore layer on one client.

What moto does differently (measured with moto 5.2.5, ``execute_state_machine``): ``StopExecution``
of an execution parked on a task token leaves it ``RUNNING``; ``SendTaskSuccess`` with the token of
a closed execution answers ``InvalidToken`` or resumes it; a name is free again once its execution
looks closed; histories have no limit. Here, on the simulation's clock:

- a stopped execution is ``ABORTED`` (``DescribeExecution``, ``ListExecutions``), whatever moto's
  worker still does;
- ``SendTaskSuccess``/``SendTaskFailure``/``SendTaskHeartbeat`` with a token of a closed execution
  answer ``TaskTimedOut``;
- ``StartExecution`` with a name used on that state machine in the last 90 days answers
  ``ExecutionAlreadyExists``, except for the same input while the first is still running (the first
  execution's answer); after 90 days the layer lets the call through (moto may still refuse it);
- with ``history_limit``, an execution whose event number ``history_limit`` is not
  ``ExecutionSucceeded`` reads ``FAILED`` (checked when described; the limit is 25,000 on AWS,
  smaller in tests; moto's worker is stopped as far as it can be, the error name is not set: the
  documentation quoted in ``faults.HistoryLimit`` does not give it).

Usage::

    rules = attach(sfn_client, clock)
    rules.stop_by_hand(execution_arn)       # the operator's StopExecution
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from pitrctl.sim import botocore_layer

NAME_RESERVED_SECONDS = 90 * 86_400
HISTORY_LIMIT = 25_000


class ExecutionRules:
    def __init__(self, client: Any, clock: Callable[[], float], history_limit: int | None = None) -> None:
        self.client = client
        self.clock = clock
        self.history_limit = history_limit
        self.names: dict[tuple[str, str], tuple[float, str, dict[str, Any]]] = {}
        self.closed: dict[str, dict[str, Any]] = {}  # execution ARN -> what DescribeExecution shows

    # -- the operator's action ---------------------------------------------------------------------

    def stop_by_hand(self, execution_arn: str, cause: str = "stopped by hand") -> None:
        """``StopExecution`` as an operator runs it in the console or CLI."""
        self.client.stop_execution(executionArn=execution_arn, error="Operator", cause=cause)

    # -- handlers ----------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def before_start(self, context: dict[str, Any], **_: Any) -> Any:
        params = context["pitr_params"]
        name = params.get("name")
        if not name:
            return None
        used = self.names.get((params["stateMachineArn"], name))
        if used is None or self.clock() - used[0] >= NAME_RESERVED_SECONDS:
            return None
        _, first_input, response = used
        arn = response["executionArn"]
        if params.get("input", "{}") == first_input and self._status(arn) == "RUNNING":
            return botocore_layer.answer(response)
        return botocore_layer.error("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")

    def after_start(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("pitr_params") or {}
        if params.get("name") and "executionArn" in parsed:
            key = (params["stateMachineArn"], params["name"])
            if key not in self.names or self.clock() - self.names[key][0] >= NAME_RESERVED_SECONDS:
                answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
                self.names[key] = (self.clock(), params.get("input", "{}"), answer)

    def before_stop(self, context: dict[str, Any], **_: Any) -> Any:
        params = context["pitr_params"]
        arn = params["executionArn"]
        if arn in self.closed:
            return None
        self.closed[arn] = {
            "status": "ABORTED",
            "stopDate": self._now(),
            **({"error": params["error"]} if params.get("error") else {}),
            **({"cause": params["cause"]} if params.get("cause") else {}),
        }
        return None  # moto stops its worker as far as it can; the layer shows ABORTED from now on

    def after_describe(self, parsed: dict[str, Any], **_: Any) -> None:
        arn = parsed.get("executionArn")
        if arn is None:
            return
        if arn not in self.closed and self.history_limit:
            events = self._history(arn)
            if len(events) >= self.history_limit and events[self.history_limit - 1]["type"] != (
                "ExecutionSucceeded"
            ):
                self.closed[arn] = {"status": "FAILED", "stopDate": self._now()}
                with contextlib.suppress(ClientError):  # moto may have closed it already
                    self.client.stop_execution(executionArn=arn)
        parsed.update(self.closed.get(arn, {}))

    def after_list(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        wanted = (context.get("pitr_params") or {}).get("statusFilter")
        executions = []
        for execution in parsed.get("executions", []):
            overlay = self.closed.get(execution["executionArn"], {})
            execution.update({k: overlay[k] for k in ("status", "stopDate") if k in overlay})
            if wanted is None or execution["status"] == wanted:
                executions.append(execution)
        parsed["executions"] = executions

    def before_task_answer(self, context: dict[str, Any], **_: Any) -> Any:
        token = context["pitr_params"].get("taskToken", "")
        for arn in self._closed_executions():
            if token and token in json.dumps(self._history(arn), default=str):
                return botocore_layer.error(
                    "TaskTimedOut", "The task token has either expired or the task was already closed."
                )
        return None

    # -- reading moto ------------------------------------------------------------------------------

    def _status(self, arn: str) -> str:
        return self.client.describe_execution(executionArn=arn)["status"]

    def _history(self, arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = self.client.get_execution_history(**kwargs)
            events += page["events"]
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def _closed_executions(self) -> list[str]:
        arns = list(self.closed)
        for machine in self.client.list_state_machines()["stateMachines"]:
            for execution in self.client.list_executions(stateMachineArn=machine["stateMachineArn"])[
                "executions"
            ]:
                if execution["status"] != "RUNNING" and execution["executionArn"] not in arns:
                    arns.append(execution["executionArn"])
        return arns


def attach(client: Any, clock: Callable[[], float], history_limit: int | None = None) -> ExecutionRules:
    """Keep AWS's execution rules on ``client`` (a boto3 Step Functions client)."""
    rules = ExecutionRules(client, clock, history_limit)
    for operation in ("StartExecution", "StopExecution", "ListExecutions", "SendTaskSuccess"):
        botocore_layer.keep_params(client, operation)
    for operation in ("SendTaskFailure", "SendTaskHeartbeat"):
        botocore_layer.keep_params(client, operation)
        botocore_layer.on(client, "before-call", operation, rules.before_task_answer)
    botocore_layer.on(client, "before-call", "SendTaskSuccess", rules.before_task_answer)
    botocore_layer.on(client, "before-call", "StartExecution", rules.before_start)
    botocore_layer.on(client, "after-call", "StartExecution", rules.after_start)
    botocore_layer.on(client, "before-call", "StopExecution", rules.before_stop)
    botocore_layer.on(client, "after-call", "DescribeExecution", rules.after_describe)
    botocore_layer.on(client, "after-call", "ListExecutions", rules.after_list)
    return rules
