"""Contract tests of the Lambda fault classes (``faults.MappingConflict``,
``faults.EncryptedFilterCriteria``): the kit's layer over moto answers as AWS does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pitr import clients
from pitrctl.sim import lambda_layer, moto_patches
from pitrctl.sim.tables import create_table

FILTER = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}


@pytest.fixture
def world() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        clients.reset()
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda")
        for name in ("f", "g"):
            moto_patches.create_function(lam, name, role)
        stream = create_table(boto3.client("dynamodb"), "t", stream="NEW_IMAGE")["LatestStreamArn"]
        yield lam, stream, role
    clients.reset()


def test_a_second_mapping_of_one_function_on_one_stream_is_a_conflict(world: tuple[Any, str, str]) -> None:
    lam, stream, _ = world
    lambda_layer.attach(lam)
    first = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName="f", StartingPosition="LATEST"
    )
    with pytest.raises(lam.exceptions.ResourceConflictException, match=first["UUID"]):
        lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName=first["FunctionArn"], StartingPosition="LATEST"
        )
    # another function on the same stream is allowed
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="g", StartingPosition="LATEST")
    assert len(lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]) == 2


def test_moto_alone_allows_the_duplicate(world: tuple[Any, str, str]) -> None:
    """Why the layer exists (moto.md): without it the second mapping is accepted."""
    lam, stream, _ = world
    for _ in range(2):
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="f", StartingPosition="LATEST")
    assert len(lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]) == 2


def test_an_encrypted_filter_is_null_in_list_and_shown_by_get(world: tuple[Any, str, str]) -> None:
    lam, stream, _ = world
    lambda_layer.attach(lam)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="f",
        StartingPosition="LATEST",
        FilterCriteria=FILTER,
        KMSKeyArn="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )["UUID"]
    plain = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName="g", StartingPosition="LATEST", FilterCriteria=FILTER
    )["UUID"]
    listed = {
        m["UUID"]: m for m in lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    }
    assert "FilterCriteria" not in listed[uuid], "encrypted: null in ListEventSourceMappings"
    assert listed[plain]["FilterCriteria"] == FILTER, "a filter without a customer key stays visible"
    assert lam.get_event_source_mapping(UUID=uuid)["FilterCriteria"] == FILTER


def test_the_rate_encrypts_filters_without_a_key(world: tuple[Any, str, str]) -> None:
    lam, stream, _ = world
    lambda_layer.attach(lam, encrypt_filters=lambda: True)
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName="f", StartingPosition="LATEST", FilterCriteria=FILTER
    )
    (listed,) = lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    assert "FilterCriteria" not in listed


# ---- end to end: settings_sync's trigger copy under the classes -----------------------------------


@pytest.fixture
def settings_world(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    from pitrctl.sim import worlds

    monkeypatch.setenv("SOURCE_TABLE_NAME", worlds.SOURCE)
    monkeypatch.setenv("TARGET_TABLE_NAME_PATTERN", worlds.PATTERN)
    monkeypatch.setenv("SETTINGS_SWITCHES", "{}")
    monkeypatch.setenv("SETTINGS_OPTIONS", "{}")
    lambda_layer.attach(clients.client("lambda"), encrypt_filters=lambda: True)
    return worlds.build()


def _audit_on(stream: str) -> dict[str, Any]:
    lam = clients.client("lambda")
    (listed,) = [
        m
        for m in lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
        if m["FunctionArn"].endswith(":audit")
    ]
    return lam.get_event_source_mapping(UUID=listed["UUID"])


def test_cutover_copies_an_encrypted_trigger_filter(settings_world: Any) -> None:
    from pitr.settings_sync import handler
    from pitrctl.sim import worlds

    handler(settings_world.event("restore"))
    handler(settings_world.event("cutover"))
    target_stream = clients.client("dynamodb").describe_table(TableName=worlds.TARGET)["Table"][
        "LatestStreamArn"
    ]
    assert (
        _audit_on(target_stream).get("FilterCriteria")
        == _audit_on(settings_world.source_stream)["FilterCriteria"]
    )


def test_a_second_cutover_creates_no_second_trigger(settings_world: Any) -> None:
    from pitr.settings_sync import handler
    from pitrctl.sim import worlds

    handler(settings_world.event("restore"))
    handler(settings_world.event("cutover"))
    again = handler(settings_world.event("cutover"))
    assert "failed" not in again["settings"]["triggers"], again["failures"]
    stream = clients.client("dynamodb").describe_table(TableName=worlds.TARGET)["Table"]["LatestStreamArn"]
    functions = [
        m["FunctionArn"]
        for m in clients.client("lambda").list_event_source_mappings(EventSourceArn=stream)[
            "EventSourceMappings"
        ]
    ]
    assert functions and len(functions) == len(set(functions)), "one mapping per function on the stream"
