"""The deployment most pitrctl tests run against, in moto."""

from __future__ import annotations

import json

import pytest
from moto_world import client, create_table, put_manifest


@pytest.fixture
def deployed(aws: None) -> dict[str, str]:
    """A source table with PITR, a trail, a buffer, a state machine and the manifest."""
    create_table("orders")
    client("dynamodb").update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    client("s3").create_bucket(
        Bucket="trail-bucket", CreateBucketConfiguration={"LocationConstraint": client("s3").meta.region_name}
    )
    trail = client("cloudtrail")
    trail.create_trail(Name="main", S3BucketName="trail-bucket", IsMultiRegionTrail=True)
    # AWS answers GetEventSelectors for a new trail with its default selector (all management
    # events); moto answers with none, so set AWS's default explicitly.
    trail.put_event_selectors(
        TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    trail.start_logging(Name="main")
    queue = client("sqs").create_queue(
        QueueName="pitr-orders-buffer.fifo",
        Attributes={"FifoQueue": "true", "MessageRetentionPeriod": "14400"},
    )["QueueUrl"]
    role = client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = client("stepfunctions").create_state_machine(
        name="pitr-orders-restore", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    put_manifest(
        cdc_buffer={"buffer_queue_url": queue, "buffer_standby_retention_seconds": 14400},
        restore_watcher={"state_machine_arn": machine},
    )
    return {"queue": queue, "machine": machine}
