"""Restore overrides: indexes left out, throughput overrides, the plan, and a restore that honours them.

moto's RestoreTableToPointInTime ignores every override (docs: moto.md), so the restore here is
simulated as AWS documents it: the request goes through botocore's validation and moto, then the
restored table is rebuilt with the key, indexes, billing mode and capacity the overrides ask for.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto_world import REGION, client, create_table, deploy, restore_orders

from pitrctl import commands, restore_options
from pitrctl.cli import main
from pitrctl.errors import PitrctlError
from pitrctl.restore_options import Choices
from pitrctl.ui import Ui

GSI = [
    {
        "IndexName": "by-customer",
        "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    },
    {
        "IndexName": "by-status",
        "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
]
LSI = [
    {
        "IndexName": "by-date",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "day", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
]


def _description(mode: str = "PAY_PER_REQUEST") -> dict[str, Any]:
    provisioned = mode == "PROVISIONED"
    throughput = {"ReadCapacityUnits": 7 if provisioned else 0, "WriteCapacityUnits": 3 if provisioned else 0}
    return {
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "customer", "state", "day")
        ],
        "BillingModeSummary": {"BillingMode": mode},
        "ProvisionedThroughput": throughput | {"NumberOfDecreasesToday": 0},
        "GlobalSecondaryIndexes": [
            g | {"ProvisionedThroughput": throughput, "IndexStatus": "ACTIVE"} for g in GSI
        ],
        "LocalSecondaryIndexes": LSI,
    }


def test_no_choices_no_overrides() -> None:
    assert restore_options.build(_description(), Choices()).request == {}
    assert restore_options.build(_description("PROVISIONED"), Choices()).request == {}


def test_leaving_out_a_gsi_lists_the_others_and_says_what_is_lacking() -> None:
    built = restore_options.build(_description(), Choices(without_indexes=("by-status", "by-date")))
    assert [g["IndexName"] for g in built.request["GlobalSecondaryIndexOverride"]] == ["by-customer"]
    assert built.request["LocalSecondaryIndexOverride"] == []
    assert "ProvisionedThroughput" not in built.request["GlobalSecondaryIndexOverride"][0]
    assert built.left_out == {"global": ["by-status"], "local": ["by-date"]}
    assert any("by-status" in lack and "skipped, not copied" in lack for lack in built.lacks)
    assert any("by-date" in lack for lack in built.lacks)


def test_unknown_index_is_refused_naming_the_real_ones() -> None:
    with pytest.raises(PitrctlError, match="no index by-nothing") as info:
        restore_options.build(_description(), Choices(without_indexes=("by-nothing",)))
    assert "by-customer" in info.value.hint


def test_provisioned_override_from_on_demand_needs_capacity_and_gives_it_to_every_gsi() -> None:
    with pytest.raises(PitrctlError, match="needs its read and write capacity"):
        restore_options.build(_description(), Choices(billing_mode="PROVISIONED"))
    built = restore_options.build(
        _description(), Choices(billing_mode="PROVISIONED", read_capacity=50, write_capacity=20)
    )
    assert built.request["BillingModeOverride"] == "PROVISIONED"
    assert built.request["ProvisionedThroughputOverride"] == {
        "ReadCapacityUnits": 50,
        "WriteCapacityUnits": 20,
    }
    for index in built.request["GlobalSecondaryIndexOverride"]:
        assert index["ProvisionedThroughput"] == {"ReadCapacityUnits": 50, "WriteCapacityUnits": 20}
    assert built.lacks == [
        "on-demand capacity: the restored table has 50 read and 20 write units until you change them"
    ]
    to_on_demand = restore_options.build(_description("PROVISIONED"), Choices(billing_mode="PAY_PER_REQUEST"))
    assert to_on_demand.request == {"BillingModeOverride": "PAY_PER_REQUEST"}
    assert "auto scaling" in to_on_demand.lacks[0]


def test_provisioned_source_keeps_its_index_capacity_when_one_is_left_out() -> None:
    built = restore_options.build(
        _description("PROVISIONED"), Choices(without_indexes=("by-customer",), read_capacity=100)
    )
    assert built.request["ProvisionedThroughputOverride"] == {
        "ReadCapacityUnits": 100,
        "WriteCapacityUnits": 3,
    }
    (kept,) = built.request["GlobalSecondaryIndexOverride"]
    assert kept["ProvisionedThroughput"] == {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}


def test_throughput_options_must_fit_the_billing_mode() -> None:
    with pytest.raises(PitrctlError, match="need a PROVISIONED"):
        restore_options.build(_description(), Choices(read_capacity=5))
    with pytest.raises(PitrctlError, match="on-demand"):
        restore_options.build(_description("PROVISIONED"), Choices(max_read_units=5))
    built = restore_options.build(_description(), Choices(max_read_units=500, max_write_units=100))
    assert built.request["OnDemandThroughputOverride"] == {
        "MaxReadRequestUnits": 500,
        "MaxWriteRequestUnits": 100,
    }


def test_restored_shape_drops_the_left_out_index_and_its_attributes() -> None:
    description = _description()
    built = restore_options.build(description, Choices(without_indexes=("by-status",)))
    shape = restore_options.restored_shape(description, built.request)
    assert [g["IndexName"] for g in shape["GlobalSecondaryIndexes"]] == ["by-customer"]
    assert {d["AttributeName"] for d in shape["AttributeDefinitions"]} == {"pk", "sk", "customer", "day"}


################################################################################
# Against a restore that honours the overrides (moto's ignores them)
################################################################################


_aws = client


class HonouringRestore:
    """The DynamoDB client, with a RestoreTableToPointInTime that builds what AWS builds."""

    def __init__(self) -> None:
        self.client = _aws("dynamodb")
        self.requests: list[dict[str, Any]] = []

    def restore_table_to_point_in_time(self, **request: Any) -> Any:
        answer = self.client.restore_table_to_point_in_time(**request)  # botocore validates the request
        self.requests.append(request)
        source = self.client.describe_table(TableName=request["SourceTableName"])["Table"]
        items = self.client.scan(TableName=request["TargetTableName"])["Items"]
        self.client.delete_table(TableName=request["TargetTableName"])
        shape = restore_options.restored_shape(source, request)
        self.client.create_table(TableName=request["TargetTableName"], **shape)
        for item in items:
            self.client.put_item(TableName=request["TargetTableName"], Item=item)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def indexed(aws: None) -> HonouringRestore:
    deploy()
    ddb = _aws("dynamodb")
    ddb.delete_table(TableName="orders")  # moto's UpdateTable forgets the key's attributes: create anew
    create_table(
        "orders",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "customer", "state")
        ],
        GlobalSecondaryIndexes=GSI,
    )
    ddb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "customer": {"S": "c"}, "state": {"S": "new"}})
    return HonouringRestore()


def test_restore_without_an_index_builds_a_table_without_it(indexed: HonouringRestore) -> None:
    honouring = indexed
    aws = lambda service: honouring if service == "dynamodb" else _aws(service)  # noqa: E731
    plan = commands.restore(
        restore_orders(overrides=Choices(without_indexes=("by-status",))), aws, Ui(json_mode=True)
    )
    assert plan["left_out_indexes"] == {"global": ["by-status"], "local": []}
    assert any("by-status" in lack for lack in plan["restored_table_lacks"])
    assert (plan["account"], plan["region"]) == ("123456789012", REGION)
    (request,) = honouring.requests
    assert [g["IndexName"] for g in request["GlobalSecondaryIndexOverride"]] == ["by-customer"]
    restored = _aws("dynamodb").describe_table(TableName="orders-restored-1")["Table"]
    assert [g["IndexName"] for g in restored["GlobalSecondaryIndexes"]] == ["by-customer"]
    assert _aws("dynamodb").scan(TableName="orders-restored-1")["Count"] == 1


def test_restore_to_provisioned_with_capacity(indexed: HonouringRestore) -> None:
    honouring = indexed
    aws = lambda service: honouring if service == "dynamodb" else _aws(service)  # noqa: E731
    overrides = Choices(billing_mode="PROVISIONED", read_capacity=40, write_capacity=10)
    plan = commands.restore(restore_orders(overrides=overrides), aws, Ui(json_mode=True))
    assert plan["billing_mode"] == "PROVISIONED"
    restored = _aws("dynamodb").describe_table(TableName="orders-restored-1")["Table"]
    assert restored["ProvisionedThroughput"]["ReadCapacityUnits"] == 40
    assert {g["ProvisionedThroughput"]["WriteCapacityUnits"] for g in restored["GlobalSecondaryIndexes"]} == {
        10
    }


def test_cli_restore_plan_in_json_names_account_region_and_overrides(
    indexed: HonouringRestore, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            *(
                "restore",
                "--table",
                "orders",
                "--target",
                "orders-restored-2",
                "--without-index",
                "by-customer",
            ),
            *("--yes", "--no-follow", "--json", "--region", REGION),
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 0, document
    assert document["aws"]["account"] == document["account"] == "123456789012"
    assert document["region"] == REGION
    assert [g["IndexName"] for g in document["overrides"]["GlobalSecondaryIndexOverride"]] == ["by-status"]
