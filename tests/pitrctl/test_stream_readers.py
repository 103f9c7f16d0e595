"""The stream's reader slots: more than two Lambda mappings on the source stream is a warning."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto_world import REGION, client, deploy, restore_orders

from pitrctl import commands, stream_readers
from pitrctl.cli import main
from pitrctl.sim.moto_patches import lambda_zip
from pitrctl.ui import Ui


def _mapping(name: str, state: str = "Enabled") -> dict[str, Any]:
    return {"FunctionArn": f"arn:aws:lambda:eu-west-1:123456789012:function:{name}", "State": state}


def test_two_readers_fit() -> None:
    finding = stream_readers.check([_mapping("pitr-orders-cdc-subscriber"), _mapping("audit")])
    assert finding.ok
    assert not finding.hint
    assert "2 of 2" in finding.message


def test_three_readers_warn_with_consequence_and_fix() -> None:
    finding = stream_readers.check(
        [_mapping("pitr-orders-cdc-subscriber"), _mapping("audit"), _mapping("search")]
    )
    assert finding.ok  # a warning: the restore can go on
    assert finding.message.startswith("WARNING: 3 Lambda mappings")
    assert "throttled" in finding.message
    assert "24 hours" in finding.message
    assert "Kinesis" in finding.hint


def test_disabled_mappings_do_not_read() -> None:
    mappings = [_mapping("a"), _mapping("b"), _mapping("c", state="Disabled")]
    assert stream_readers.readers(mappings) == ["a", "b"]
    assert not stream_readers.check(mappings).hint


def test_no_stream_is_a_failed_check() -> None:
    finding = stream_readers.finding(lambda _s: None, {"StreamSpecification": {"StreamEnabled": False}})
    assert not finding.ok


_aws = client


@pytest.fixture
def crowded(aws: None) -> None:
    """Three functions read the source stream: ours and two of the application's."""
    deploy()
    role = _aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    stream = _aws("dynamodb").describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    lam = _aws("lambda")
    for name in ("pitr-orders-cdc-subscriber", "audit", "search-indexer"):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": lambda_zip()},
        )
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST")


def test_restore_plan_shows_the_warning(crowded: None) -> None:
    plan = commands.restore(restore_orders(), _aws, Ui(json_mode=True))
    (check,) = [c for c in plan["checks"] if c["check"] == "stream readers"]
    assert check["ok"]
    assert "WARNING: 3 Lambda mappings" in check["message"]
    assert "audit" in check["message"]


def test_status_warns_too(crowded: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--table", "orders", "--json", "--region", REGION]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stream_readers"]["ok"] is False
    assert "3 Lambda mappings" in document["stream_readers"]["message"]
    main(["status", "--table", "orders", "--region", REGION])
    assert "reads get throttled" in capsys.readouterr().out
