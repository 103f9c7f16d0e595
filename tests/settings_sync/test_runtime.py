"""settings_sync under load and trouble: hundreds of alarms, the time limit, tables that are not
ACTIVE yet, throttling. A lighter scenario than the full one, so each case stays quick."""

from __future__ import annotations

import json
import time
from itertools import count
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pitr.settings_sync import handler
from pitr.settings_sync.context import SyncContext
from pitr.settings_sync.runner import NAMES, sync
from pitrctl.sim.dynamodb_extras import DynamoDBExtrasFake, paginate
from pitrctl.sim.worlds import KEYS, SOURCE, TARGET, all_pages, c, create_target

ONLY_ALARMS = {n: n == "alarms" for n in NAMES}


def _alarms(n: int) -> None:
    cw = c("cloudwatch")
    for i in range(n):
        cw.put_metric_alarm(
            AlarmName=f"{SOURCE}-alarm-{i:04d}-" + "x" * 120,  # long names: the output must stay small
            MetricName="ThrottledRequests",
            Namespace="AWS/DynamoDB",
            Statistic="Sum",
            Dimensions=[{"Name": "TableName", "Value": SOURCE}],
            Period=60,
            EvaluationPeriods=1,
            Threshold=float(i),
            ComparisonOperator="GreaterThanThreshold",
        )


@pytest.fixture
def tables(aws: None, env: None) -> None:
    ddb = c("dynamodb")
    DynamoDBExtrasFake().install(ddb)
    paginate(c("cloudwatch"), "describe_alarms", "MetricAlarms", page_size=100)
    ddb.create_table(
        TableName=SOURCE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}, **KEYS
    )
    ddb.tag_resource(
        ResourceArn=ddb.describe_table(TableName=SOURCE)["Table"]["TableArn"],
        Tags=[{"Key": "a", "Value": "b"}],
    )
    ddb.update_table(TableName=SOURCE, DeletionProtectionEnabled=True)
    create_target()


def _event(**extra: Any) -> dict[str, Any]:
    return {"source_table": SOURCE, "target_table": TARGET, "phase": "restore", **extra}


def test_500_alarms_copied_with_a_small_output(tables: None, logged: list[dict[str, Any]]) -> None:
    _alarms(500)
    started = time.monotonic()
    summary = handler(_event(settings=ONLY_ALARMS))
    elapsed = time.monotonic() - started
    assert summary["counts"]["applied"] == 500, summary["counts"]
    copies = [
        a for a in all_pages(c("cloudwatch").describe_alarms, "MetricAlarms") if TARGET in a["AlarmName"]
    ]
    assert len(copies) == 500
    assert {d["Value"] for a in copies for d in a["Dimensions"]} == {TARGET}
    size = len(json.dumps(summary))
    assert size < 4_000, size  # Step Functions allows 256 KB; counts do not grow with alarms
    assert (
        len([r for r in logged if r["message"] == "settings_sync result" and r["setting"] == "alarms"]) == 500
    )
    # Against moto this takes about a second; recorded so a slowdown shows in the test output.
    print(f"500 alarms copied in {elapsed:.2f} s, summary {size} bytes")
    assert not any(a["ActionsEnabled"] for a in copies)  # silent until cut-over

    cw = c("cloudwatch")
    batches: list[list[str]] = []
    real_enable = cw.enable_alarm_actions

    def enable(**kwargs: Any) -> Any:
        batches.append(kwargs["AlarmNames"])
        return real_enable(**kwargs)

    cw.enable_alarm_actions = enable
    cut = handler({**_event(settings=ONLY_ALARMS), "phase": "cutover"})
    assert cut["settings"]["alarms"] == {"applied": 500}
    assert [len(b) for b in batches] == [100] * 5  # batched: the write pause stays short
    copies = [a for a in all_pages(cw.describe_alarms, "MetricAlarms") if TARGET in a["AlarmName"]]
    assert all(a["ActionsEnabled"] for a in copies)


def test_500_failing_alarms_still_give_a_small_output(tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _alarms(500)

    def refuse(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "x" * 2000}}, "PutMetricAlarm")

    monkeypatch.setattr(c("cloudwatch"), "put_metric_alarm", refuse)
    summary = handler(_event(settings=ONLY_ALARMS))
    assert summary["counts"]["failed"] == 500
    assert len(summary["failures"]) == 20 and summary["failures_not_listed"] == 480
    assert len(json.dumps(summary)) < 20_000


def _context(**kwargs: Any) -> SyncContext:
    return SyncContext(source_table=SOURCE, target_table=TARGET, phase="restore", **kwargs)


def test_time_limit_stops_cleanly_and_a_rerun_finishes(tables: None) -> None:
    _alarms(60)
    ticks = count()
    first = sync(_context(clock=lambda: float(next(ticks)), deadline=40.0, sleep=lambda s: None), ONLY_ALARMS)
    assert first["complete"] is False
    done = first["settings"]["alarms"].get("applied", 0)
    assert 0 < done < 60, first["settings"]
    assert any("time limit" in f["reason"] for f in first["failures"])

    second = sync(_context(), ONLY_ALARMS)
    assert second["complete"] is True
    assert second["settings"]["alarms"] == {"applied": 60 - done, "unchanged": done}


def test_waits_for_active_between_table_updates(tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = c("dynamodb")
    real_describe, real_update = ddb.describe_table, ddb.update_table
    busy = {"left": 0}

    def update(**kwargs: Any) -> Any:
        assert busy["left"] == 0, "UpdateTable called while the table was still UPDATING"
        busy["left"] = 3  # AWS keeps the table UPDATING for a while after each update
        return real_update(**kwargs)

    def describe(**kwargs: Any) -> Any:
        response = real_describe(**kwargs)
        if kwargs["TableName"] == TARGET and busy["left"]:
            busy["left"] -= 1
            response["Table"]["TableStatus"] = "UPDATING"
        return response

    monkeypatch.setattr(ddb, "update_table", update)
    monkeypatch.setattr(ddb, "describe_table", describe)
    sleeps: list[float] = []
    summary = sync(_context(sleep=sleeps.append), {n: n in ("streams", "deletion_protection") for n in NAMES})
    assert summary["failures"] == []
    assert summary["settings"]["streams"] == {"applied": 1}
    assert summary["settings"]["deletion_protection"] == {"applied": 1}
    assert len(sleeps) >= 6  # three polls after each of the two updates


def test_target_never_active_fails_that_setting_only(tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = c("dynamodb")
    real_describe = ddb.describe_table

    def describe(**kwargs: Any) -> Any:
        response = real_describe(**kwargs)
        if kwargs["TableName"] == TARGET:
            response["Table"]["TableStatus"] = "UPDATING"
        return response

    monkeypatch.setattr(ddb, "describe_table", describe)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    ctx = _context(sleep=sleep, clock=lambda: now[0], active_wait_seconds=60.0)
    summary = sync(ctx, {n: n in ("deletion_protection", "tags") for n in NAMES})
    assert [f["setting"] for f in summary["failures"]] == ["deletion_protection"]
    assert "run the phase again when it is ACTIVE" in summary["failures"][0]["reason"]
    assert summary["settings"]["tags"] == {"applied": 1}
    assert now[0] >= 60.0


def test_a_busy_resource_is_retried(tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = c("dynamodb")
    real = ddb.tag_resource
    failures = iter([True, True, False])

    def tag(**kwargs: Any) -> Any:
        if next(failures):
            raise ClientError(
                {"Error": {"Code": "ResourceInUseException", "Message": "table is UPDATING"}}, "TagResource"
            )
        return real(**kwargs)

    monkeypatch.setattr(ddb, "tag_resource", tag)
    sleeps: list[float] = []
    summary = sync(_context(sleep=sleeps.append), {n: n == "tags" for n in NAMES})
    assert summary["settings"]["tags"] == {"applied": 1}
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "LimitExceededException", "ResourceConflictException"]
)
def test_one_retry_policy_per_error(tables: None, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Throttling reaches this loop only once botocore's standard mode has given up on it (retrying it
    again would multiply the attempts); a mapping conflict is not transient at all."""
    calls = []

    def tag(**kwargs: Any) -> Any:
        calls.append(kwargs)
        raise ClientError({"Error": {"Code": code, "Message": "no"}}, "TagResource")

    monkeypatch.setattr(c("dynamodb"), "tag_resource", tag)
    summary = sync(_context(sleep=lambda s: None), {n: n == "tags" for n in NAMES})
    assert summary["settings"]["tags"] == {"failed": 1}
    assert len(calls) == 1
    assert c("dynamodb").meta.config.retries["mode"] == "standard"


def test_a_persistent_error_is_not_retried(tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def tag(**kwargs: Any) -> Any:
        calls.append(kwargs)
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "TagResource")

    monkeypatch.setattr(c("dynamodb"), "tag_resource", tag)
    summary = sync(_context(sleep=lambda s: None), {n: n == "tags" for n in NAMES})
    assert summary["settings"]["tags"] == {"failed": 1}
    assert len(calls) == 1
