"""Canonical AWS-shaped events, kept as data files (``events/*.json``), and builders on top of them.

The files hold the shapes AWS documents; the builders change only the fields a simulation varies.

- ``cloudtrail_restore_table_to_point_in_time``: the EventBridge event of a CloudTrail-recorded
  ``RestoreTableToPointInTime`` call;
- ``dynamodb_stream_insert``: a DynamoDB stream record as Lambda passes it to a function;
- ``dynamodb_stream_ttl_delete``: a TTL delete, a ``REMOVE`` whose ``userIdentity`` is DynamoDB;
- ``sqs_fifo_record``: an SQS FIFO message as Lambda passes it to a function;
- ``lambda_stream_failure_record``: a discarded stream batch as Lambda sends it to an on-failure
  destination;
- ``step_functions_execution_status_change``: what Step Functions sends to the default bus when an
  execution's status changes ("Status changes in state machine executions are sent to EventBridge
  automatically", Step Functions developer guide, "Automating Step Functions event delivery with
  EventBridge"; delivery type "Best effort", EventBridge events reference, "AWS Step Functions
  events").

AWS on TTL deletes (DynamoDB developer guide, "DynamoDB Streams and Time to Live"): "Items that are
deleted by the Time to Live process after expiration have the following fields: Records[<index>].
userIdentity.type "Service" Records[<index>].userIdentity.principalId "dynamodb.amazonaws.com"".
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"

# What a TTL delete's stream record carries (moto never sets it; the stream driver can stamp it).
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


@cache
def _text(name: str) -> str:
    return resources.files("pitrctl.sim").joinpath("events", f"{name}.json").read_text()


def load(name: str) -> dict[str, Any]:
    """A fresh copy of one canonical event (``name`` without ``.json``)."""
    return copy.deepcopy(json.loads(_text(name)))


def iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def table_arn(table: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}"


def cloudtrail_restore(
    *,
    source: str,
    target: str,
    at: float,
    restore_point: float | None = None,
    by_arn: bool = False,
    event_id: str | None = None,
    account: str = ACCOUNT,
    region: str = REGION,
) -> dict[str, Any]:
    """The event CloudTrail delivers to EventBridge for a successful ``RestoreTableToPointInTime``.

    ``restore_point`` None: ``useLatestRestorableTime``; else ``restoreDateTime`` as CloudTrail
    prints it (``Jan 1, 2030, 12:00:00 AM``). ``by_arn``: the caller named ``sourceTableArn``.
    """
    event = load("cloudtrail_restore_table_to_point_in_time")
    when = iso_seconds(at)
    parameters: dict[str, Any] = {"targetTableName": target}
    if by_arn:
        parameters["sourceTableArn"] = table_arn(source, account, region)
    else:
        parameters["sourceTableName"] = source
    if restore_point is None:
        parameters["useLatestRestorableTime"] = True
    else:
        parameters["restoreDateTime"] = datetime.fromtimestamp(restore_point, tz=UTC).strftime(
            "%b %d, %Y, %I:%M:%S %p"
        )
    event.update(account=account, region=region, time=when)
    if event_id is not None:
        event["id"] = event_id
    detail = event["detail"]
    detail.update(eventTime=when, awsRegion=region, recipientAccountId=account, requestParameters=parameters)
    detail["userIdentity"]["accountId"] = account
    return event


def stream_failure_record(last: str, first: str | None = None, source: str = "orders") -> str:
    """A discarded stream batch as Lambda sends it to an SQS on-failure destination (AWS Lambda
    developer guide, "Retaining discarded records for a DynamoDB event source in Lambda")."""
    record = load("lambda_stream_failure_record")
    info = record["DDBStreamBatchInfo"]
    info["approximateArrivalOfFirstRecord"] = first or last
    info["approximateArrivalOfLastRecord"] = last
    info["streamArn"] = f"{table_arn(source)}/stream/2030-01-01T00:00:00.000"
    return json.dumps(record)


def execution_status_change(
    *,
    execution_arn: str,
    state_machine_arn: str,
    status: str,
    started: float,
    stopped: float | None,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """The "Step Functions Execution Status Change" event of one execution (times in epoch seconds;
    the detail's dates are epoch milliseconds, as Step Functions sends them)."""
    event = load("step_functions_execution_status_change")
    _, _, _, region, account, *_ = execution_arn.split(":")
    event.update(
        account=account, region=region, time=iso_seconds(stopped or started), resources=[execution_arn]
    )
    event["detail"].update(
        executionArn=execution_arn,
        stateMachineArn=state_machine_arn,
        name=execution_arn.rsplit(":", 1)[-1],
        status=status,
        startDate=int(started * 1000),
        stopDate=None if stopped is None else int(stopped * 1000),
        error=error,
        cause=cause,
    )
    return event


def _path(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for key in path.removeprefix("$.").split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def transform_input(event: dict[str, Any], input_paths: dict[str, str], input_template: str) -> str:
    """An EventBridge input transformer: each ``<name>`` of the template replaced by the value at
    ``input_paths[name]``. Outside a JSON string a value goes in as JSON (a string gets its quotes);
    inside a string, as its text (EventBridge user guide, "Amazon EventBridge input transformation")."""
    values = {name: _path(event, path) for name, path in input_paths.items()}
    out: list[str] = []
    in_string, i = False, 0
    while i < len(input_template):
        char = input_template[i]
        end = input_template.find(">", i) if char == "<" else -1
        name = input_template[i + 1 : end] if end > 0 else None
        if name in values:
            value = values[name]
            if in_string:
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(json.dumps(text)[1:-1])
            else:
                out.append(json.dumps(value))
            i = end + 1
            continue
        if char == '"' and (i == 0 or input_template[i - 1] != "\\"):
            in_string = not in_string
        out.append(char)
        i += 1
    return "".join(out)
