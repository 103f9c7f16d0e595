"""settings_sync against moto (+ the stateful fake for what moto lacks): the full copy, compared
setting by setting by reading both tables back; switches; idempotency; failures; bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pitr.environment import ConfigurationError
from pitr.patterns import PatternError
from pitr.settings_sync import NAMES, InputError, catalogue, handler, runner
from pitrctl.sim.worlds import (
    NEIGHBOUR,
    SOURCE,
    TARGET,
    World,
    all_pages,
    c,
    differences,
    settings_of,
)

# Reported to the operator rather than copied (replicas are added only when switched on).
REPORTED = tuple(s.name for s in catalogue.SETTINGS if s.handling == "reported")
COPIED = [n for n in NAMES if n not in REPORTED]
RESTORE_SETTINGS = [m.NAME for m in runner.SETTINGS if m.PHASE == "restore" and m.NAME in COPIED]
CUTOVER_SETTINGS = [m.NAME for m in runner.selected("cutover")]


def outcomes(summary: dict[str, Any], setting: str) -> dict[str, int]:
    return summary["settings"].get(setting, {})


def test_full_copy_restore_then_cutover(world: World) -> None:
    before = settings_of(TARGET)
    source = settings_of(SOURCE)
    # The scenario really has every setting on the source and none on the target (whose warm
    # throughput is a new table's, below the source's).
    assert all(source[n] for n in COPIED), source
    assert not any(before[n] for n in COPIED if n not in ("pitr", "warm_throughput")), before
    for name, warm in before["warm_throughput"].items():
        assert warm["WriteUnitsPerSecond"] < source["warm_throughput"][name]["WriteUnitsPerSecond"]

    restored = handler(world.event("restore"))
    assert restored["failures"] == [], restored
    assert restored["complete"] is True
    assert differences([n for n in RESTORE_SETTINGS if n != "alarms"]) == {}
    assert outcomes(restored, "warm_throughput") == {"applied": 3}
    assert outcomes(restored, "scheduled_scaling") == {"applied": 2}
    # Alarm copies are complete but silent until cut-over (replay must not page anyone).
    source_alarms, copies = settings_of(SOURCE)["alarms"], settings_of(TARGET)["alarms"]
    assert {k: {**v, "ActionsEnabled": True} for k, v in copies.items()} == source_alarms
    # Side effects wait for cut-over: nothing on the target's stream, no Kinesis destination yet.
    assert outcomes(restored, "triggers") == {"deferred": 2}
    assert outcomes(restored, "kinesis") == {"deferred": 1, "skipped": 1}
    assert settings_of(TARGET)["triggers"] == []
    assert settings_of(TARGET)["kinesis"] == {}
    # Every alarm on the source except auto scaling's own; the neighbour's is not copied.
    assert outcomes(restored, "alarms") == {"applied": 4}
    names = {a["AlarmName"] for a in all_pages(c("cloudwatch").describe_alarms, "MetricAlarms")}
    assert {
        f"{TARGET}-throttles",
        f"{TARGET}-gsi1-reads",
        f"high-latency ({TARGET})",
        f"errors-ratio ({TARGET})",
    } <= names
    assert not any(n.startswith(NEIGHBOUR.replace("orders", TARGET)) for n in names)

    cut = handler(world.event("cutover"))
    assert cut["failures"] == [], cut
    assert set(cut["settings"]) == set(CUTOVER_SETTINGS)
    assert outcomes(cut, "alarms") == {"applied": 4}
    assert differences(COPIED) == {}

    mappings = all_pages(
        c("lambda").list_event_source_mappings,
        "EventSourceMappings",
        "Marker",
        "NextMarker",
        EventSourceArn=c("dynamodb").describe_table(TableName=TARGET)["Table"]["LatestStreamArn"],
    )
    assert len(mappings) == 2
    assert {m["StartingPosition"] for m in mappings} == {"LATEST"}
    assert {m["FunctionArn"].rsplit(":", 1)[-1]: m["State"] for m in mappings} == {
        "audit": "Enabled",
        "search": "Disabled",
    }


def test_second_run_changes_nothing(world: World) -> None:
    handler(world.event("restore"))
    handler(world.event("cutover"))
    calls_before, lambda_before = len(world.fake.calls), len(world.lambda_fake.calls)

    again = handler(world.event("restore"))
    assert again["counts"]["applied"] == 0 and again["counts"]["failed"] == 0, again
    assert again["counts"]["unchanged"] > 10
    for name in RESTORE_SETTINGS:
        assert set(outcomes(again, name)) == {"unchanged"}, (name, outcomes(again, name))

    cut_again = handler(world.event("cutover"))
    assert outcomes(cut_again, "triggers") == {"unchanged": 2}
    assert outcomes(cut_again, "kinesis") == {"unchanged": 1, "skipped": 1}
    writes = [
        op for op, _ in world.fake.calls[calls_before:] if not op.startswith(("describe", "list", "get"))
    ]
    assert writes == []
    lambda_writes = [
        op for op, _ in world.lambda_fake.calls[lambda_before:] if not op.startswith(("list", "get"))
    ]
    assert lambda_writes == []
    assert differences(COPIED) == {}


@pytest.mark.parametrize("name", NAMES)
def test_each_switch_off(world: World, name: str) -> None:
    first = handler(world.event("restore", settings={name: False}))
    second = handler(world.event("cutover", settings={name: False}))
    summary = first if name in RESTORE_SETTINGS or name == "iam_policies" else second
    assert outcomes(summary, name) == {"skipped": 1}
    if name in REPORTED:  # nothing to copy: nothing reported either
        assert not [a for a in first["action_required"] + second["action_required"] if a["setting"] == name]
        return
    # Without the target's stream, its triggers and its stream policy cannot be copied (and say so).
    dependent = {"streams": {"triggers", "resource_policy"}}.get(name, set())
    different = differences(COPIED)
    assert name in different, f"{name} was copied although switched off"
    assert set(different) - {name} == dependent
    failed = {f["setting"] for f in first["failures"] + second["failures"]}
    assert failed == dependent, (first["failures"], second["failures"])


def test_switch_defaults_from_environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETTINGS_SWITCHES", json.dumps({"alarms": False, "tags": False}))
    summary = handler(world.event("restore", settings={"tags": True}))
    assert outcomes(summary, "alarms") == {"skipped": 1}
    assert outcomes(summary, "tags") == {"applied": 1}


def test_role_that_cannot_read_the_target_stream_is_reported(world: World) -> None:
    summary = handler(world.event("restore"))
    actions = [a for a in summary["action_required"] if a["setting"] == "triggers"]
    assert [a["item"].split(" ")[0] for a in actions] == ["search"]
    policy = json.loads(actions[0]["action"].split(": ", 1)[1])
    statement = policy["Statement"][0]
    assert statement["Resource"].endswith(f"table/{TARGET}/stream/*")
    assert "dynamodb:GetRecords" in statement["Action"]


def test_one_failing_setting_does_not_stop_the_others(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    cw = c("cloudwatch")
    real_put = cw.put_metric_alarm

    def put(**kwargs: Any) -> Any:
        if kwargs["AlarmName"] == f"{TARGET}-throttles":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutMetricAlarm")
        return real_put(**kwargs)

    def ttl(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "busy"}}, "UpdateTimeToLive")

    monkeypatch.setattr(cw, "put_metric_alarm", put)
    monkeypatch.setattr(c("dynamodb"), "update_time_to_live", ttl)
    summary = handler(world.event("restore"))
    assert sorted((f["setting"], f["item"]) for f in summary["failures"]) == [
        ("alarms", f"{TARGET}-throttles"),
        ("ttl", "ttl"),
    ]
    assert "AccessDenied" in summary["failures"][0]["reason"] + summary["failures"][1]["reason"]
    assert outcomes(summary, "alarms") == {"applied": 3, "failed": 1}
    left = differences(RESTORE_SETTINGS)
    assert set(left) == {"ttl", "alarms"}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not an object", "must be an object"),
        ({"phase": "restore"}, "target_table"),
        ({"target_table": TARGET, "phase": "later"}, "phase must be one of"),
        ({"target_table": TARGET, "phase": "restore", "settings": {"alarm": False}}, "unknown settings"),
        ({"target_table": TARGET, "phase": "restore", "settings": {"alarms": "no"}}, "true or false"),
        ({"target_table": TARGET, "phase": "restore", "exclude_mapping_uuids": "x"}, "list of mapping"),
        (
            {"source_table": "other", "target_table": TARGET, "phase": "restore"},
            "copies settings of 'orders'",
        ),
        ({"target_table": TARGET, "phase": "restore", "extra": 1}, "unknown input fields"),
        ({"target_table": "orders-restored-404", "phase": "restore"}, "does not exist"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(world: World, event: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        handler(event)


@pytest.mark.parametrize("target", [SOURCE, NEIGHBOUR, "other-table"])
def test_target_outside_the_pattern_is_refused_before_any_change(world: World, target: str) -> None:
    before = settings_of(NEIGHBOUR)
    calls = len(world.fake.calls)  # calls to the fake (reads included): none may happen
    with pytest.raises(PatternError):
        handler({"target_table": target, "phase": "restore"})
    with pytest.raises(PatternError):
        handler({"target_table": target, "phase": "cutover"})
    assert len(world.fake.calls) == calls
    assert settings_of(NEIGHBOUR) == before


def test_missing_configuration_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = len(world.fake.calls)
    monkeypatch.delenv("TARGET_TABLE_NAME_PATTERN")
    with pytest.raises(ConfigurationError, match="environment variable TARGET_TABLE_NAME_PATTERN is not set"):
        handler(world.event("restore"))
    monkeypatch.setenv("TARGET_TABLE_NAME_PATTERN", "orders-restored-*")
    monkeypatch.delenv("SETTINGS_SWITCHES")
    with pytest.raises(ConfigurationError, match="environment variable SETTINGS_SWITCHES is not set"):
        handler(world.event("restore"))
    monkeypatch.setenv("SETTINGS_SWITCHES", "{not json")
    with pytest.raises(ConfigurationError, match="environment variable SETTINGS_SWITCHES is invalid"):
        handler(world.event("restore"))
    assert len(world.fake.calls) == calls  # refused before any AWS call


def test_every_result_reaches_the_logs(world: World, logged: list[dict[str, Any]]) -> None:
    summary = handler(world.event("restore"))
    results = [r for r in logged if r["message"] == "settings_sync result"]
    assert len(results) == sum(summary["counts"].values())
    assert {r["setting"] for r in results} == set(NAMES)
    done = [r for r in logged if r["message"] == "settings_sync done"]
    assert done and done[0]["counts"] == summary["counts"]


def test_simulator_answer_is_used_when_available(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def simulate(**kwargs: Any) -> Any:
        denied = "search-role" in kwargs["PolicySourceArn"]
        return {
            "EvaluationResults": [
                {"EvalActionName": a, "EvalDecision": "implicitDeny" if denied else "allowed"}
                for a in kwargs["ActionNames"]
            ]
        }

    monkeypatch.setattr(c("iam"), "simulate_principal_policy", simulate)
    summary = handler(world.event("restore"))
    actions = [a for a in summary["action_required"] if a["setting"] == "triggers"]
    assert len(actions) == 1
    assert "search-role" in actions[0]["action"]


def test_changed_trigger_and_precision_are_updated_at_the_next_cutover(world: World) -> None:
    handler(world.event("restore"))
    handler(world.event("cutover"))
    lam, ddb = c("lambda"), c("dynamodb")
    audit = next(
        m
        for m in all_pages(
            lam.list_event_source_mappings,
            "EventSourceMappings",
            "Marker",
            "NextMarker",
            EventSourceArn=world.source_stream,
        )
        if m["FunctionArn"].endswith(":audit")
    )
    lam.update_event_source_mapping(UUID=audit["UUID"], BatchSize=7, Enabled=False)
    ddb.describe_kinesis_streaming_destination(TableName=SOURCE)  # settle ACTIVE
    ddb.update_kinesis_streaming_destination(
        TableName=SOURCE,
        StreamArn=world.kinesis_active,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MILLISECOND"},
    )
    ddb.describe_kinesis_streaming_destination(TableName=TARGET)  # the target's settles ACTIVE too
    assert differences(CUTOVER_SETTINGS)  # the source changed since

    again = handler(world.event("cutover"))
    assert outcomes(again, "triggers") == {"applied": 1, "unchanged": 1}
    assert outcomes(again, "kinesis") == {"applied": 1, "skipped": 1}
    assert differences(COPIED) == {}


def test_indexes_left_out_of_the_restore_are_skipped(aws: None, env: None) -> None:
    from pitrctl.sim.worlds import KEYS, build

    world = build()
    ddb = c("dynamodb")
    ddb.delete_table(TableName=TARGET)
    keys = {
        **KEYS,
        "GlobalSecondaryIndexes": [g for g in KEYS["GlobalSecondaryIndexes"] if g["IndexName"] != "gsi1"],
        "AttributeDefinitions": [a for a in KEYS["AttributeDefinitions"] if a["AttributeName"] != "g1"],
    }
    ddb.create_table(TableName=TARGET, **keys)
    summary = handler(world.event("restore"))
    assert summary["failures"] == [], summary["failures"]
    assert outcomes(summary, "autoscaling") == {"applied": 4, "skipped": 2}
    assert outcomes(summary, "contributor_insights") == {"applied": 1, "skipped": 1}
    assert outcomes(summary, "scheduled_scaling") == {"applied": 1, "skipped": 1}
    assert outcomes(summary, "warm_throughput") == {"applied": 2, "skipped": 1}
    assert outcomes(summary, "alarms") == {"applied": 3, "skipped": 1}
    cut = handler(world.event("cutover"))
    assert cut["failures"] == [], cut["failures"]


def test_a_policy_with_deny_waits_for_cutover(world: World) -> None:
    ddb = c("dynamodb")
    arn = ddb.describe_table(TableName=SOURCE)["Table"]["TableArn"]
    policy = json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"])
    policy["Statement"].append(
        {
            "Sid": "OnlyTheAppWrites",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "dynamodb:PutItem",
            "Resource": arn,
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/app"}},
        }
    )
    ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))

    restored = handler(world.event("restore"))
    assert outcomes(restored, "resource_policy") == {"deferred": 1, "applied": 1}  # table held, stream copied
    assert "resource_policy" in differences(COPIED)
    cut = handler(world.event("cutover"))
    assert outcomes(cut, "resource_policy") == {"applied": 1, "unchanged": 1}
    assert differences(COPIED) == {}
