"""Canonical AWS-shaped events, kept as data files (``events/*.json``), and builders on top of them.

The files hold the shapes AWS documents; the builders change only the fields a simulation varies.

- ``cloudtrail_restore_table_to_point_in_time``: the EventBridge event of a CloudTrail-recorded
  ``RestoreTableToPointInTime`` call;
- ``dynamodb_stream_insert``: a DynamoDB stream record as Lambda passes it to a function;
- ``dynamodb_stream_ttl_delete``: a TTL delete, a ``REMOVE`` whose ``userIdentity`` is DynamoDB;
- ``sqs_fifo_record``: an SQS FIFO message as Lambda passes it to a function;
- ``lambda_stream_failure_record``: a discarded stream batch as Lambda sends it to an on-failure
  destination.

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
