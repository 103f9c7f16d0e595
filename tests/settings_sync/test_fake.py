"""The stateful fake behaves like the AWS APIs it stands in for (as far as the tests rely on it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from pitrctl.sim.dynamodb_extras import DynamoDBExtrasFake, paginate
from pitrctl.sim.worlds import KEYS, c


@pytest.fixture
def ddb(aws: None) -> Any:
    client = c("dynamodb")
    DynamoDBExtrasFake(kinesis=c("kinesis"), page_size=1).install(client)
    client.create_table(
        TableName="t1", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}, **KEYS
    )
    c("kinesis").create_stream(StreamName="s1", ShardCount=1)
    return client


def _stream() -> str:
    return c("kinesis").describe_stream_summary(StreamName="s1")["StreamDescriptionSummary"]["StreamARN"]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def test_kinesis_destination_lifecycle(ddb: Any) -> None:
    arn = _stream()
    enabled = ddb.enable_kinesis_streaming_destination(
        TableName="t1",
        StreamArn=arn,
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert enabled["DestinationStatus"] == "ENABLING"
    statuses = [
        ddb.describe_kinesis_streaming_destination(TableName="t1")["KinesisDataStreamDestinations"][0][
            "DestinationStatus"
        ]
        for _ in range(2)
    ]
    assert statuses == ["ENABLING", "ACTIVE"]
    with pytest.raises(ClientError) as again:
        ddb.enable_kinesis_streaming_destination(TableName="t1", StreamArn=arn)
    assert _code(again) == "ResourceInUseException"
    ddb.update_kinesis_streaming_destination(
        TableName="t1",
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MILLISECOND"},
    )
    ddb.describe_kinesis_streaming_destination(TableName="t1")
    ddb.disable_kinesis_streaming_destination(TableName="t1", StreamArn=arn)
    ddb.describe_kinesis_streaming_destination(TableName="t1")
    final = ddb.describe_kinesis_streaming_destination(TableName="t1")["KinesisDataStreamDestinations"][0]
    assert (final["DestinationStatus"], final["ApproximateCreationDateTimePrecision"]) == (
        "DISABLED",
        "MILLISECOND",
    )


def test_kinesis_destination_needs_a_table_and_a_stream(ddb: Any) -> None:
    with pytest.raises(ClientError) as no_stream:
        ddb.enable_kinesis_streaming_destination(TableName="t1", StreamArn=_stream() + "x")
    assert _code(no_stream) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as no_table:
        ddb.describe_kinesis_streaming_destination(TableName="nope")
    assert _code(no_table) == "ResourceNotFoundException"
    with pytest.raises(ParamValidationError):
        ddb.enable_kinesis_streaming_destination(TableName="t1", StreamArn=_stream(), Precision="X")


def test_contributor_insights_lifecycle_and_pages(ddb: Any) -> None:
    ddb.update_contributor_insights(TableName="t1", IndexName="gsi2", ContributorInsightsAction="ENABLE")
    first = ddb.describe_contributor_insights(TableName="t1", IndexName="gsi2")
    second = ddb.describe_contributor_insights(TableName="t1", IndexName="gsi2")
    assert (first["ContributorInsightsStatus"], second["ContributorInsightsStatus"]) == (
        "ENABLING",
        "ENABLED",
    )
    assert ddb.describe_contributor_insights(TableName="t1")["ContributorInsightsStatus"] == "DISABLED"
    with pytest.raises(ClientError) as missing:
        ddb.update_contributor_insights(TableName="t1", IndexName="nope", ContributorInsightsAction="ENABLE")
    assert _code(missing) == "ResourceNotFoundException"
    page = ddb.list_contributor_insights(TableName="t1")
    assert len(page["ContributorInsightsSummaries"]) == 1 and page["NextToken"]
    seen, token = [], None
    while True:
        page = ddb.list_contributor_insights(TableName="t1", **({"NextToken": token} if token else {}))
        seen += page["ContributorInsightsSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    assert [(s.get("IndexName"), s["ContributorInsightsStatus"]) for s in seen] == [
        (None, "DISABLED"),
        ("gsi1", "DISABLED"),
        ("gsi2", "ENABLED"),
    ]


def test_stream_policies_are_kept_and_table_policies_go_to_moto(ddb: Any) -> None:
    table = ddb.describe_table(TableName="t1")["Table"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ClientError) as none:
        ddb.get_resource_policy(ResourceArn=table["LatestStreamArn"])
    assert _code(none) == "PolicyNotFoundException"
    ddb.put_resource_policy(ResourceArn=table["LatestStreamArn"], Policy=policy)
    assert ddb.get_resource_policy(ResourceArn=table["LatestStreamArn"])["Policy"] == policy
    with pytest.raises(ClientError) as stale:
        ddb.put_resource_policy(ResourceArn=table["TableArn"] + "/stream/old", Policy=policy)
    assert _code(stale) == "ResourceNotFoundException"
    ddb.put_resource_policy(ResourceArn=table["TableArn"], Policy=policy)
    assert json.loads(ddb.get_resource_policy(ResourceArn=table["TableArn"])["Policy"]) == json.loads(policy)


def test_paginate_hands_out_pages(aws: None) -> None:
    cw = c("cloudwatch")
    for i in range(5):
        cw.put_metric_alarm(
            AlarmName=f"a{i}", MetricName="m", Namespace="n", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    paginate(cw, "describe_alarms", "MetricAlarms", page_size=2)
    first = cw.describe_alarms()
    assert len(first["MetricAlarms"]) == 2
    second = cw.describe_alarms(NextToken=first["NextToken"])
    third = cw.describe_alarms(NextToken=second["NextToken"])
    assert "NextToken" not in third
    names = [a["AlarmName"] for page in (first, second, third) for a in page["MetricAlarms"]]
    assert names == [f"a{i}" for i in range(5)]
