"""The EventBridge rule's pattern, rendered from the module's own template, against CloudTrail events.

The module renders ``event_pattern.json.tftpl`` with templatefile (its terraform test asserts the
rule uses exactly that); here the same file is rendered with the same map (``pitrctl.workflow``)
and evaluated by moto's EventBridge matcher, which implements ``$or``, ``exists`` and friends.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from pitrctl.workflow import TEMPLATE

ACCOUNT, REGION = "123456789012", "eu-west-1"
SOURCE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
PATTERN_TEMPLATE = TEMPLATE.parent / "event_pattern.json.tftpl"


def _pattern() -> EventPattern:
    from pitrctl.workflow import render_text

    text = render_text(
        PATTERN_TEMPLATE.read_text(),
        {
            "account_id": ACCOUNT,
            "region": REGION,
            "source_table_name": "orders",
            "source_table_arn": SOURCE_ARN,
        },
    )
    return EventPattern.load(json.dumps(json.loads(text)))


def _event(account: str = ACCOUNT, region: str = REGION, **params: Any) -> dict[str, Any]:
    """A CloudTrail RestoreTableToPointInTime record as EventBridge delivers it."""
    request = {"targetTableName": "orders-restored-1", "useLatestRestorableTime": True, **params}
    return {
        "version": "0",
        "id": "c1a6bcd9-1b0e-4f36-9d8d-aa7a2f1a0c3e",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.dynamodb",
        "account": account,
        "time": "2026-11-22T10:00:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "accountId": account},
            "eventTime": "2026-11-22T10:00:00Z",
            "eventSource": "dynamodb.amazonaws.com",
            "eventName": "RestoreTableToPointInTime",
            "awsRegion": region,
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.17",
            "requestParameters": request,
            "responseElements": {"tableDescription": {"tableName": request["targetTableName"]}},
            "requestID": "8Q2K3MNO",
            "eventID": "0f6f6c8e-0c8e-4d0f-9a88-2b1f5e7e7c55",
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        },
    }


def _failed(event: dict[str, Any]) -> dict[str, Any]:
    failed = copy.deepcopy(event)
    failed["detail"]["errorCode"] = "TableAlreadyExistsException"
    failed["detail"]["errorMessage"] = "Table already exists: orders-restored-1"
    failed["detail"]["responseElements"] = None
    return failed


def _from_backup() -> dict[str, Any]:
    event = _event()
    event["detail"]["eventName"] = "RestoreTableFromBackup"
    event["detail"]["requestParameters"] = {
        "targetTableName": "orders-restored-1",
        "backupArn": f"{SOURCE_ARN}/backup/01700000000000-abcdef12",
    }
    return event


CASES = {
    "by name": (_event(sourceTableName="orders"), True),
    "by ARN": (_event(sourceTableArn=SOURCE_ARN), True),
    "name given as the ARN": (_event(sourceTableName=SOURCE_ARN), True),
    "another table": (_event(sourceTableName="invoices"), False),
    "a name that starts with ours": (_event(sourceTableName="orders-archive"), False),
    "a name that ends with ours": (_event(sourceTableName="old-orders"), False),
    "a name that contains ours": (_event(sourceTableName="xordersx"), False),
    "the ARN of a prefix-similar table": (_event(sourceTableArn=SOURCE_ARN + "-archive"), False),
    "same name in another account": (_event(account="210987654321", sourceTableName="orders"), False),
    "same name in another region": (_event(region="us-east-1", sourceTableName="orders"), False),
    "same name, ARN of another account": (
        _event(sourceTableArn=SOURCE_ARN.replace(ACCOUNT, "210987654321")),
        False,
    ),
    "same name, ARN of another region": (
        _event(sourceTableArn=SOURCE_ARN.replace(REGION, "us-east-1")),
        False,
    ),
    "a failed call (errorCode)": (_failed(_event(sourceTableName="orders")), False),
    "a failed call by ARN": (_failed(_event(sourceTableArn=SOURCE_ARN)), False),
    "RestoreTableFromBackup": (_from_backup(), False),
}


@pytest.mark.parametrize(("event", "expected"), list(CASES.values()), ids=list(CASES))
def test_rule_pattern(event: dict[str, Any], expected: bool) -> None:
    assert _pattern().matches_event(event) is expected


def test_pattern_is_not_vacuous() -> None:
    # A pattern that matched nothing would pass every "False" case above.
    assert sum(_pattern().matches_event(e) for e, _ in CASES.values()) == 3
