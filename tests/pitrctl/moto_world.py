"""What the pitrctl tests set up in moto: the source table, a deployment's manifest, a restore record.

Plain functions, not fixtures: the live-progress driver, a script of its own, uses them too. (No
conftest.py here: it would hide the suite's ``conftest`` module from the tests that import it.)
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3

from pitr.restore_record import RestoreRecord
from pitrctl.options import RestoreOptions
from pitrctl.sim import tables

REGION = "eu-west-1"
MANIFEST = "/dynamodb-pitr/orders/manifest"
RECORD = "/dynamodb-pitr/orders/restore"
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:pitr-orders-restore:r"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def create_table(name: str = "orders", **spec: Any) -> None:
    """A pay-per-request table keyed by ``pk`` with a NEW_AND_OLD_IMAGES stream (``spec`` adds to or
    overrides the ``CreateTable`` parameters)."""
    tables.create_table(client("dynamodb"), name, stream="NEW_AND_OLD_IMAGES", **spec)


def put_manifest(**parts: Any) -> dict[str, Any]:
    """The manifest of the deployment protecting ``orders``, with ``parts`` (``cdc_buffer``...)."""
    manifest = {
        "source_table_name": "orders",
        "target_table_name_pattern": "orders-restored-*",
        "replay_from": "restore_point",
        "restore_record_parameter": RECORD,
        "region": REGION,
    } | parts
    client("ssm").put_parameter(Name=MANIFEST, Value=json.dumps(manifest), Type="String", Overwrite=True)
    return manifest


def manifest() -> dict[str, Any]:
    return dict(json.loads(client("ssm").get_parameter(Name=MANIFEST)["Parameter"]["Value"]))


CAUGHT_UP = RestoreRecord(
    restore_id="r", target_table="orders-restored-9", status="caught_up", replay_from="restore_point"
)


def record(**fields: Any) -> RestoreRecord:
    """A restore of ``orders`` into ``orders-restored-9``, caught up (``fields`` override)."""
    return dataclasses.replace(CAUGHT_UP, **fields)


def put_record(restore: RestoreRecord) -> RestoreRecord:
    client("ssm").put_parameter(Name=RECORD, Value=restore.to_json(), Type="String", Overwrite=True)
    return restore


def restore_orders(**overrides: Any) -> RestoreOptions:
    """What the tests restore: ``orders`` into ``orders-restored-1``, confirmed, not followed."""
    return RestoreOptions(
        **{"table": "orders", "target": "orders-restored-1", "yes": True, "follow": False} | overrides
    )


def retention(queue_url: str) -> str:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["MessageRetentionPeriod"]
    )
    return str(attributes["Attributes"]["MessageRetentionPeriod"])


def deploy() -> dict[str, str]:
    """A source table with PITR, a trail, a buffer, a state machine and the manifest; the buffer's
    queue URL and the state machine's ARN."""
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
