"""A source table with every setting a restore drops, and a target as AWS's restore leaves it.

Built against moto plus ``dynamodb_extras.DynamoDBExtrasFake`` (Kinesis destinations, Contributor
Insights and stream resource policies, which moto lacks). ``build_source`` makes the source (the
settings tests and ``pitrctl rehearse`` share it); ``build`` adds a neighbour table and the
target. ``settings_of`` reads every setting back from AWS for
either table with the table's own names replaced by placeholders, so the source and the target
compare equal exactly when every setting was copied.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pitr import clients
from pitr.settings_sync import alarms as alarm_setting
from pitr.settings_sync import autoscaling as scaling_setting
from pitr.settings_sync import scheduled_scaling as scheduling_setting
from pitr.settings_sync import triggers as trigger_setting
from pitrctl.sim.dynamodb_extras import DynamoDBExtrasFake, LambdaMappingsFake, paginate
from pitrctl.sim.events import ACCOUNT, REGION
from pitrctl.sim.moto_patches import create_function

SOURCE = "orders"
TARGET = "orders-restored-1"
PATTERN = "orders-restored-*"
NEIGHBOUR = "orders-archive"  # a name the source's is a prefix of: nothing of it may be copied
REPLICA_REGIONS = ["eu-central-1", "us-east-1"]
WARM = {
    "table": {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 12000},
    "gsi1": {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 9000},
    "gsi2": {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 5000},
}
FILTER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"

KEYS = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g1", "g2", "l1")
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": name,
            "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        }
        for name, attr in (("gsi1", "g1"), ("gsi2", "g2"))
    ],
    "LocalSecondaryIndexes": [
        {
            "IndexName": "lsi1",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "l1", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ],
    "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
}


@dataclass
class World:
    fake: DynamoDBExtrasFake
    lambda_fake: LambdaMappingsFake
    source_stream: str
    subscriber_uuid: str | None  # this module's own stream mapping (None: the caller makes it)
    kinesis_active: str
    kinesis_disabled: str

    def event(self, phase: str, **extra: Any) -> dict[str, Any]:
        return {
            "source_table": SOURCE,
            "target_table": TARGET,
            "phase": phase,
            "exclude_mapping_uuids": [self.subscriber_uuid],
            **extra,
        }


def c(service: str) -> Any:
    return clients.client(service)


def _role(name: str, statements: list[dict[str, Any]]) -> str:
    iam = c("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="streams",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return arn


def _function(name: str, role: str) -> str:
    return create_function(c("lambda"), name, role)


def _alarm(name: str, table: str, **extra: Any) -> None:
    args: dict[str, Any] = {
        "AlarmName": name,
        "MetricName": "ThrottledRequests",
        "Namespace": "AWS/DynamoDB",
        "Statistic": "Sum",
        "Dimensions": [{"Name": "TableName", "Value": table}, {"Name": "Operation", "Value": "PutItem"}],
        "Period": 60,
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 1,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [f"arn:aws:sns:{REGION}:{ACCOUNT}:ops"],
        "AlarmDescription": f"throttles on {table}",
        "Tags": [{"Key": "team", "Value": "payments"}],
    }
    args.update(extra)
    c("cloudwatch").put_metric_alarm(**args)


def create_target(name: str = TARGET) -> dict[str, Any]:
    """The table AWS's restore creates: keys, indexes and capacity; none of the other settings."""
    return c("dynamodb").create_table(TableName=name, **KEYS)["TableDescription"]


def build(neighbour: bool = True) -> World:
    """The source, optionally a neighbour table whose name the source's is a prefix of, the target."""
    world = build_source()
    if neighbour:
        ddb, aas = c("dynamodb"), c("application-autoscaling")
        ddb.create_table(TableName=NEIGHBOUR, **KEYS)
        aas.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=f"table/{NEIGHBOUR}",
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            MinCapacity=1,
            MaxCapacity=9,
        )
        _alarm(f"{NEIGHBOUR}-throttles", NEIGHBOUR)
    create_target()
    return world


def _allow(principal: str, actions: list[str], resource: str | list[str], sid: str | None = None) -> str:
    """A resource policy of one statement allowing ``principal`` the DynamoDB ``actions`` on ``resource``."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": [f"dynamodb:{action}" for action in actions],
        "Resource": resource,
    }
    if sid is not None:
        statement = {"Sid": sid, **statement}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def build_source(subscriber: bool = True) -> World:
    """The source table with every setting; ``subscriber``: with this module's stream mapping.

    Its stream has Lambda mappings, which make moto wipe the stream: call
    ``moto_patches.unhook_stream_mappings`` before reading records from it.
    """
    ddb, aas, lam = c("dynamodb"), c("application-autoscaling"), c("lambda")
    fake = DynamoDBExtrasFake(kinesis=c("kinesis")).install(ddb)
    lambda_fake = LambdaMappingsFake().install(lam)
    # moto ignores MaxRecords; AWS pages alarms by 100 at most.
    paginate(c("cloudwatch"), "describe_alarms", "MetricAlarms", page_size=7)
    paginate(
        lam, "list_event_source_mappings", "EventSourceMappings", 1, token_in="Marker", token_out="NextMarker"
    )

    source = ddb.create_table(
        TableName=SOURCE,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **KEYS,
    )["TableDescription"]
    arn, stream = source["TableArn"], source["LatestStreamArn"]
    ddb.update_time_to_live(
        TableName=SOURCE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    ddb.update_continuous_backups(
        TableName=SOURCE,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )
    ddb.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "team", "Value": "orders"}, {"Key": "cost-center", "Value": "42"}]
    )
    ddb.update_table(TableName=SOURCE, DeletionProtectionEnabled=True)
    # Pre-warmed source (the restored table starts cold) and a global table with two more Regions.
    ddb.update_table(
        TableName=SOURCE,
        WarmThroughput=WARM["table"],
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": name, "WarmThroughput": WARM[name]}} for name in ("gsi1", "gsi2")
        ],
    )
    fake.set_replicas(SOURCE, REPLICA_REGIONS)

    # Auto scaling: table and gsi1 (gsi2 has none); the policies make auto scaling's own alarms.
    for resource, kind, low, high in (
        (f"table/{SOURCE}", "table", 5, 100),
        (f"table/{SOURCE}/index/gsi1", "index", 5, 50),
    ):
        for unit, target_value in (("Read", 70.0), ("Write", 60.0)):
            dimension = f"dynamodb:{kind}:{unit}CapacityUnits"
            aas.register_scalable_target(
                ServiceNamespace="dynamodb",
                ResourceId=resource,
                ScalableDimension=dimension,
                MinCapacity=low,
                MaxCapacity=high,
            )
            aas.put_scaling_policy(
                PolicyName=f"{unit.lower()}-tracking",
                ServiceNamespace="dynamodb",
                ResourceId=resource,
                ScalableDimension=dimension,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": target_value,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": f"DynamoDB{unit}CapacityUtilization"
                    },
                    "ScaleInCooldown": 120,
                    "ScaleOutCooldown": 30,
                    "DisableScaleIn": kind == "index",
                },
            )

    # Scheduled scaling: the table's nightly low in a time zone, and a one-off peak on gsi1.
    nightly = {"Schedule": "cron(0 22 * * ? *)", "Timezone": "Europe/Paris"}
    sale = {
        "Schedule": "at(2027-11-27T08:00:00)",
        "StartTime": datetime(2027, 11, 1, tzinfo=UTC),
        "EndTime": datetime(2027, 12, 1, tzinfo=UTC),
    }
    for name, resource, dimension, (low, high), when in (
        ("nightly-low", f"table/{SOURCE}", "dynamodb:table:WriteCapacityUnits", (5, 20), nightly),
        ("sale", f"table/{SOURCE}/index/gsi1", "dynamodb:index:ReadCapacityUnits", (40, 50), sale),
    ):
        aas.put_scheduled_action(
            ServiceNamespace="dynamodb",
            ScheduledActionName=name,
            ResourceId=resource,
            ScalableDimension=dimension,
            ScalableTargetAction={"MinCapacity": low, "MaxCapacity": high},
            **when,
        )

    ddb.update_contributor_insights(TableName=SOURCE, ContributorInsightsAction="ENABLE")
    ddb.update_contributor_insights(
        TableName=SOURCE,
        IndexName="gsi1",
        ContributorInsightsAction="ENABLE",
        ContributorInsightsMode="THROTTLED_KEYS",
    )

    reader = f"arn:aws:iam::{ACCOUNT}:role/reporting"
    neighbour = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{NEIGHBOUR}"
    ddb.put_resource_policy(
        ResourceArn=arn,
        Policy=_allow(reader, ["GetItem", "Query"], [arn, f"{arn}/index/*", neighbour], "Reporting"),
    )
    ddb.put_resource_policy(
        ResourceArn=stream,
        Policy=_allow(reader, ["GetRecords", "GetShardIterator", "DescribeStream"], stream),
    )

    # Alarms: the table, an index, metric math, a name without the table's; plus a neighbour's.
    _alarm(f"{SOURCE}-throttles", SOURCE)
    _alarm(
        f"{SOURCE}-gsi1-reads",
        SOURCE,
        MetricName="ConsumedReadCapacityUnits",
        Dimensions=[
            {"Name": "TableName", "Value": SOURCE},
            {"Name": "GlobalSecondaryIndexName", "Value": "gsi1"},
        ],
    )
    _alarm("high-latency", SOURCE, MetricName="SuccessfulRequestLatency", Statistic="Average", Threshold=50.0)
    c("cloudwatch").put_metric_alarm(
        AlarmName="errors-ratio",
        EvaluationPeriods=1,
        Threshold=0.05,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {
                "Id": "errors",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/DynamoDB",
                        "MetricName": "SystemErrors",
                        "Dimensions": [{"Name": "TableName", "Value": SOURCE}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {"Id": "ratio", "Expression": "errors / 100", "Label": "ratio", "ReturnData": True},
        ],
    )

    # Triggers: one enabled with every setting, one disabled; and this module's own subscriber.
    can_read_restored = _role(
        "audit-role",
        [
            {
                "Effect": "Allow",
                "Action": list(trigger_setting.STREAM_READ_ACTIONS),
                "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{SOURCE}*/stream/*",
            }
        ],
    )
    source_only = _role(
        "search-role",
        [
            {
                "Effect": "Allow",
                "Action": "dynamodb:*",
                "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{SOURCE}/stream/*",
            }
        ],
    )
    iam = c("iam")
    app_policy = iam.create_policy(
        PolicyName="orders-app",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Orders",
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                        "Resource": [arn, f"{arn}/index/*"],
                    },
                    {"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"},
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="audit-role", PolicyArn=app_policy)
    audit = _function("audit", can_read_restored)
    search = _function("search", source_only)
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=audit,
        StartingPosition="TRIM_HORIZON",
        BatchSize=50,
        MaximumBatchingWindowInSeconds=5,
        ParallelizationFactor=2,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=600,
        TumblingWindowInSeconds=30,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT", "MODIFY"]})}]},
        KMSKeyArn=FILTER_KEY,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:sqs:{REGION}:{ACCOUNT}:audit-dlq"}},
        MetricsConfig={"Metrics": ["EventCount"]},
        Tags={"team": "audit", "tier": "1"},
    )
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=search, StartingPosition="LATEST", Enabled=False, BatchSize=100
    )
    subscriber_uuid = None
    if subscriber:
        subscriber_uuid = lam.create_event_source_mapping(
            EventSourceArn=stream,
            FunctionName=_function("pitr-orders-cdc-subscriber", can_read_restored),
            StartingPosition="LATEST",
            BatchSize=100,
        )["UUID"]

    kinesis = c("kinesis")
    arns = []
    for name in ("orders-changes", "orders-changes-old"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
        arns.append(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])
    ddb.enable_kinesis_streaming_destination(
        TableName=SOURCE,
        StreamArn=arns[0],
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    ddb.enable_kinesis_streaming_destination(TableName=SOURCE, StreamArn=arns[1])
    ddb.describe_kinesis_streaming_destination(TableName=SOURCE)  # both settle ACTIVE
    ddb.disable_kinesis_streaming_destination(TableName=SOURCE, StreamArn=arns[1])

    return World(fake, lambda_fake, stream, subscriber_uuid, arns[0], arns[1])


# ---- reading settings back ------------------------------------------------------------------------


def _placeholders(value: Any, table: str) -> Any:
    description = c("dynamodb").describe_table(TableName=table)["Table"]
    text = json.dumps(value, sort_keys=True, default=str)
    if description.get("LatestStreamArn"):
        text = text.replace(description["LatestStreamArn"], "<stream>")
    # Whole ARNs only: the source's ARN is a prefix of its neighbour's, which must stay as it is.
    text = re.sub(re.escape(description["TableArn"]) + r'(?=["/])', "<table-arn>", text)
    text = text.replace(f'"{table}"', '"<table>"')
    text = re.sub(f"table/{re.escape(table)}" + r'(?=["/])', "table/<table>", text)
    return json.loads(text)


def all_pages(
    method: Any, key: str, token_in: str = "NextToken", token_out: str = "NextToken", **kwargs: Any
) -> list:
    items, token = [], None
    while True:
        page = method(**kwargs, **({token_in: token} if token else {}))
        items += page.get(key, [])
        token = page.get(token_out)
        if not token:
            return items


def settings_of(table: str) -> dict[str, Any]:
    """Every setting of ``table`` read back from AWS, its own names replaced by placeholders, so a
    source and its restored copy compare equal exactly when every setting was copied."""
    ddb = c("dynamodb")
    description = ddb.describe_table(TableName=table)["Table"]
    out: dict[str, Any] = {}
    spec = description.get("StreamSpecification") or {}
    out["streams"] = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    out["ttl"] = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"
    ]
    out["pitr"] = [pitr["PointInTimeRecoveryStatus"], pitr.get("RecoveryPeriodInDays")]
    out["deletion_protection"] = bool(description.get("DeletionProtectionEnabled"))
    out["tags"] = {
        t["Key"]: t["Value"]
        for t in ddb.list_tags_of_resource(ResourceArn=description["TableArn"])["Tags"]
        if not t["Key"].startswith("aws:")
    }

    out["autoscaling"] = _scaling(table, description)
    out["scheduled_scaling"] = _scheduled(table, description)
    out["warm_throughput"] = {
        name: {k: v for k, v in (warm or {}).items() if k != "Status"}
        for name, warm in [("table", description.get("WarmThroughput"))]
        + [(g["IndexName"], g.get("WarmThroughput")) for g in description.get("GlobalSecondaryIndexes", [])]
    }
    out["replicas"] = sorted(r["RegionName"] for r in description.get("Replicas") or [])
    out["contributor_insights"] = _insights(table)
    out["resource_policy"] = _policies(table, description)
    out["alarms"] = _alarms(table)
    out["triggers"] = _triggers(description)
    destinations = ddb.describe_kinesis_streaming_destination(TableName=table)[
        "KinesisDataStreamDestinations"
    ]
    out["kinesis"] = {
        d["StreamArn"]: d["ApproximateCreationDateTimePrecision"]
        for d in destinations
        if d["DestinationStatus"] in ("ACTIVE", "ENABLING", "UPDATING")
    }
    return out


def _scaling(table: str, description: dict[str, Any]) -> dict[str, Any]:
    aas = c("application-autoscaling")
    ids = scaling_setting.resource_ids(table, [g["IndexName"] for g in description["GlobalSecondaryIndexes"]])
    scaling: dict[str, Any] = {}
    for target in aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]:
        for label, rid in ids.items():
            if target["ResourceId"] == rid:
                scaling[f"{label} {target['ScalableDimension']}"] = [
                    target["MinCapacity"],
                    target["MaxCapacity"],
                ]
    for policy in aas.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]:
        for label, rid in ids.items():
            if policy["ResourceId"] == rid:
                key = f"{label} {policy['ScalableDimension']} {policy['PolicyName']}"
                scaling[key] = scaling_setting.policy_config(policy)
    return scaling


def _scheduled(table: str, description: dict[str, Any]) -> dict[str, Any]:
    aas = c("application-autoscaling")
    ids = scaling_setting.resource_ids(table, [g["IndexName"] for g in description["GlobalSecondaryIndexes"]])
    label_of = {rid: label for label, rid in ids.items()}
    return {
        f"{label_of[a['ResourceId']]} {a['ScalableDimension']} {a['ScheduledActionName']}": _placeholders(
            json.loads(json.dumps(scheduling_setting.action_settings(a), default=str)), table
        )
        for a in aas.describe_scheduled_actions(ServiceNamespace="dynamodb")["ScheduledActions"]
        if a["ResourceId"] in label_of
    }


def _insights(table: str) -> dict[str, Any]:
    ddb = c("dynamodb")
    insights = {}
    for summary in ddb.list_contributor_insights(TableName=table, MaxResults=100)[
        "ContributorInsightsSummaries"
    ]:
        if summary["ContributorInsightsStatus"] in ("ENABLED", "ENABLING"):
            insights[summary.get("IndexName", "table")] = summary.get("ContributorInsightsMode")
    return insights


def _policies(table: str, description: dict[str, Any]) -> dict[str, Any]:
    ddb = c("dynamodb")
    policies = {}
    for item, arn in (("table", description["TableArn"]), ("stream", description.get("LatestStreamArn"))):
        if arn:
            with contextlib.suppress(ddb.exceptions.PolicyNotFoundException):
                policies[item] = json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"])
    return _placeholders(policies, table)


def _alarms(table: str) -> dict[str, Any]:
    cw = c("cloudwatch")
    alarms = {}
    for alarm in all_pages(cw.describe_alarms, "MetricAlarms", AlarmTypes=["MetricAlarm"]):
        name = alarm["AlarmName"]
        if alarm_setting.watches_table(alarm, table) and not name.startswith("TargetTracking-"):
            key = name.replace(f" ({table})", "").replace(table, "<table>")
            tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
            alarms[key] = {**alarm_setting.put_arguments(alarm), "Tags": tags}
    return _placeholders(alarms, table)


def _triggers(description: dict[str, Any]) -> list[dict[str, Any]]:
    """Each mapping as GetEventSourceMapping shows it (the list hides encrypted filters), with its tags."""
    lam = c("lambda")
    triggers = []
    if description.get("LatestStreamArn"):
        for listed in all_pages(
            lam.list_event_source_mappings,
            "EventSourceMappings",
            "Marker",
            "NextMarker",
            EventSourceArn=description["LatestStreamArn"],
        ):
            if "subscriber" not in listed["FunctionArn"]:
                mapping = lam.get_event_source_mapping(UUID=listed["UUID"])
                tags = lam.list_tags(Resource=mapping["EventSourceMappingArn"])["Tags"]
                triggers.append(
                    {
                        "function": mapping["FunctionArn"],
                        **trigger_setting.mapping_settings(mapping),
                        "Tags": tags,
                    }
                )
    return sorted(triggers, key=lambda t: t["function"])


def differences(names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Settings that differ between source and target: {name: (source, target)}."""
    source, target = settings_of(SOURCE), settings_of(TARGET)
    return {n: (source[n], target[n]) for n in names if source[n] != target[n]}
