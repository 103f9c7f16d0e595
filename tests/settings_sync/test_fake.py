"""The stateful fake behaves like the AWS APIs it stands in for (as far as the tests rely on it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from pitrctl.sim.dynamodb_extras import DynamoDBExtrasFake, LambdaMappingsFake, paginate
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


# ---- warm throughput and replicas ----------------------------------------------------------------


def test_warm_throughput_is_asynchronous_and_never_lowered(ddb: Any) -> None:
    ddb.update_table(
        TableName="t1", WarmThroughput={"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 9000}
    )
    first = ddb.describe_table(TableName="t1")["Table"]
    assert first["TableStatus"] == "ACTIVE"  # pre-warming does not block the table
    assert first["WarmThroughput"] == {
        "ReadUnitsPerSecond": 20000,
        "WriteUnitsPerSecond": 9000,
        "Status": "UPDATING",
    }
    assert ddb.describe_table(TableName="t1")["Table"]["WarmThroughput"]["Status"] == "ACTIVE"
    with pytest.raises(ClientError) as lowered:
        ddb.update_table(TableName="t1", WarmThroughput={"WriteUnitsPerSecond": 10})
    assert _code(lowered) == "ValidationException"
    ddb.update_table(
        TableName="t1",
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "gsi1", "WarmThroughput": {"ReadUnitsPerSecond": 15000}}}
        ],
    )
    index = ddb.describe_table(TableName="t1")["Table"]["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == "gsi1" and index["WarmThroughput"]["ReadUnitsPerSecond"] == 15000


def test_replicas_need_new_and_old_images_and_come_one_at_a_time(ddb: Any) -> None:
    create = [{"Create": {"RegionName": "us-east-1"}}]
    with pytest.raises(ClientError) as wrong_stream:
        ddb.update_table(TableName="t1", ReplicaUpdates=create)
    assert _code(wrong_stream) == "ValidationException"
    ddb.create_table(
        TableName="t2",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **KEYS,
    )
    ddb.update_table(TableName="t2", ReplicaUpdates=create)
    with pytest.raises(ClientError) as busy:
        ddb.update_table(TableName="t2", ReplicaUpdates=[{"Create": {"RegionName": "ap-south-1"}}])
    assert _code(busy) == "ResourceInUseException"
    shown = ddb.describe_table(TableName="t2")["Table"]
    assert shown["TableStatus"] == "UPDATING"
    assert shown["Replicas"] == [{"RegionName": "us-east-1", "ReplicaStatus": "CREATING"}]
    assert ddb.describe_table(TableName="t2")["Table"]["Replicas"][0]["ReplicaStatus"] == "ACTIVE"


# ---- Lambda event source mappings ----------------------------------------------------------------

KEY = "arn:aws:kms:eu-west-1:123456789012:key/k1"


@pytest.fixture
def lam(ddb: Any) -> Any:
    import io
    import zipfile

    client = c("lambda")
    fake = LambdaMappingsFake(undecryptable_keys=("arn:aws:kms:eu-west-1:123456789012:key/locked",))
    fake.install(client)
    role = c("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def handler(e, c):\n    return None\n")
    for name in ("f1", "f2"):
        client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler="h.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    return client


def _table_stream(ddb: Any) -> str:
    return ddb.describe_table(TableName="t1")["Table"]["LatestStreamArn"]


def test_encrypted_filters_are_null_in_the_list_and_shown_by_get(lam: Any, ddb: Any) -> None:
    stream = _table_stream(ddb)
    filters = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}
    readable = lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="f1",
        StartingPosition="LATEST",
        FilterCriteria=filters,
        KMSKeyArn=KEY,
    )
    locked = lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="f2",
        StartingPosition="LATEST",
        FilterCriteria=filters,
        KMSKeyArn="arn:aws:kms:eu-west-1:123456789012:key/locked",
    )
    listed = lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    assert [m.get("FilterCriteria") for m in listed] == [None, None]
    assert lam.get_event_source_mapping(UUID=readable["UUID"])["FilterCriteria"] == filters
    got = lam.get_event_source_mapping(UUID=locked["UUID"])
    assert "FilterCriteria" not in got and got["FilterCriteriaError"]["ErrorCode"]
    assert "Tags" not in got


def test_removed_settings_are_absent_after_an_update(lam: Any, ddb: Any) -> None:
    stream = _table_stream(ddb)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="f1",
        StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": "{}"}]},
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:eu-west-1:123456789012:q"}},
        MetricsConfig={"Metrics": ["EventCount"]},
        Tags={"a": "1"},
    )
    assert lam.list_tags(Resource=mapping["EventSourceMappingArn"])["Tags"] == {"a": "1"}
    updated = lam.update_event_source_mapping(
        UUID=mapping["UUID"],
        FilterCriteria={},
        DestinationConfig={"OnFailure": {}},
        MetricsConfig={"Metrics": []},
    )
    for key in ("FilterCriteria", "DestinationConfig", "MetricsConfig"):
        assert key not in updated and key not in lam.get_event_source_mapping(UUID=mapping["UUID"])
    with pytest.raises(ParamValidationError):
        lam.update_event_source_mapping(UUID=mapping["UUID"], StartingPosition="TRIM_HORIZON")
