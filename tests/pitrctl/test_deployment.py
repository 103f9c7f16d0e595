from __future__ import annotations

import json

import boto3
import pytest

from pitrctl import deployment
from pitrctl.errors import PitrctlError

MANIFEST = {
    "version": 1,
    "source_table_name": "orders",
    "target_table_name_pattern": "orders-restored-*",
    "replay_from": "restore_point",
    "restore_record_parameter": "/dynamodb-pitr/orders/restore",
    "cdc_buffer": {"buffer_queue_url": "https://sqs/q.fifo"},
}


def test_load_finds_the_deployment(aws: None) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/dynamodb-pitr/orders/manifest", Value=json.dumps(MANIFEST), Type="String")
    found = deployment.load(ssm, "orders")
    assert found.target_pattern == "orders-restored-*"
    assert found.require("cdc_buffer", "buffer_queue_url") == "https://sqs/q.fifo"


def test_custom_prefix(aws: None) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/team/orders/manifest", Value=json.dumps(MANIFEST), Type="String")
    assert deployment.load(ssm, "orders", ssm_prefix="/team/orders/").source_table == "orders"


def test_missing_deployment_says_what_to_do(aws: None) -> None:
    with pytest.raises(PitrctlError, match="no deployment") as info:
        deployment.load(boto3.client("ssm"), "orders")
    assert "module block" in info.value.hint


def test_manifest_of_another_table_is_refused(aws: None) -> None:
    ssm = boto3.client("ssm")
    other = dict(MANIFEST, source_table_name="payments")
    ssm.put_parameter(Name="/dynamodb-pitr/orders/manifest", Value=json.dumps(other), Type="String")
    with pytest.raises(PitrctlError, match="belongs to 'payments'"):
        deployment.load(ssm, "orders")


@pytest.mark.parametrize("text", ["{", "[]", json.dumps({"source_table_name": "orders"})])
def test_malformed_manifest(text: str) -> None:
    with pytest.raises(PitrctlError):
        deployment.parse_manifest("/p", text)


def test_missing_part_entry() -> None:
    found = deployment.parse_manifest("/p", json.dumps(MANIFEST))
    with pytest.raises(PitrctlError, match="restore_watcher"):
        found.part("restore_watcher")
    with pytest.raises(PitrctlError, match=r"cdc_buffer\.spill_bucket"):
        found.require("cdc_buffer", "spill_bucket")
