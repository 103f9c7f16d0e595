"""settings_sync against AWS's documented behaviour where moto differs (simulated by the fakes in
pitrctl/sim/dynamodb_extras.py): one mapping per function and stream, encrypted filters hidden
from ListEventSourceMappings, settings removed from a trigger, scheduled scaling, warm throughput,
global table replicas and the IAM policies that name the source."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pitr.environment import ConfigurationError
from pitr.settings_sync import NAMES, InputError, handler
from pitrctl.sim.worlds import (
    FILTER_KEY,
    REPLICA_REGIONS,
    SOURCE,
    TARGET,
    WARM,
    World,
    all_pages,
    c,
    differences,
    settings_of,
)


def outcomes(summary: dict[str, Any], setting: str) -> dict[str, int]:
    return summary["settings"].get(setting, {})


def _mappings(stream: str) -> list[dict[str, Any]]:
    return all_pages(
        c("lambda").list_event_source_mappings,
        "EventSourceMappings",
        "Marker",
        "NextMarker",
        EventSourceArn=stream,
    )


def _target_stream() -> str:
    return c("dynamodb").describe_table(TableName=TARGET)["Table"]["LatestStreamArn"]


def _audit(stream: str) -> dict[str, Any]:
    listed = next(m for m in _mappings(stream) if m["FunctionArn"].endswith(":audit"))
    return c("lambda").get_event_source_mapping(UUID=listed["UUID"])


# ---- triggers -------------------------------------------------------------------------------------


def test_an_encrypted_filter_is_copied_although_the_list_hides_it(world: World) -> None:
    listed = next(m for m in _mappings(world.source_stream) if m["FunctionArn"].endswith(":audit"))
    assert "FilterCriteria" not in listed and listed["KMSKeyArn"] == FILTER_KEY  # null in the list
    handler(world.event("restore"))
    cut = handler(world.event("cutover"))
    assert cut["failures"] == [], cut
    copy = _audit(_target_stream())
    source = _audit(world.source_stream)
    for key in (
        "FilterCriteria",
        "KMSKeyArn",
        "MetricsConfig",
        "DestinationConfig",
        "TumblingWindowInSeconds",
    ):
        assert copy[key] == source[key], key
    assert copy["StartingPosition"] == "LATEST"
    tags = c("lambda").list_tags(Resource=copy["EventSourceMappingArn"])["Tags"]
    assert tags == {"team": "audit", "tier": "1"}


def test_a_filter_that_cannot_be_decrypted_fails_that_trigger_only(world: World) -> None:
    world.lambda_fake.undecryptable_keys.add(FILTER_KEY)
    restored = handler(world.event("restore"))
    cut = handler(world.event("cutover"))
    for summary in (restored, cut):
        failed = [f for f in summary["failures"] if f["setting"] == "triggers"]
        assert len(failed) == 1 and failed[0]["item"].startswith("audit ")
        assert f"kms:Decrypt on {FILTER_KEY}" in failed[0]["reason"]
    # No copy without its filter: the audit function would run on every change.
    functions = [m["FunctionArn"].rsplit(":", 1)[-1] for m in _mappings(_target_stream())]
    assert functions == ["search"]
    assert outcomes(cut, "triggers") == {"applied": 1, "failed": 1}


def test_a_changed_filter_updates_the_one_mapping_in_place(world: World) -> None:
    handler(world.event("restore"))
    handler(world.event("cutover"))
    before = _audit(_target_stream())
    source = _audit(world.source_stream)
    new_filter = {"Filters": [{"Pattern": json.dumps({"eventName": ["REMOVE"]})}]}
    c("lambda").update_event_source_mapping(UUID=source["UUID"], FilterCriteria=new_filter)

    again = handler(world.event("cutover"))
    assert outcomes(again, "triggers") == {"applied": 1, "unchanged": 1}, again
    assert again["failures"] == []
    audits = [m for m in _mappings(_target_stream()) if m["FunctionArn"].endswith(":audit")]
    assert [m["UUID"] for m in audits] == [before["UUID"]]  # the same mapping, not a second one
    assert _audit(_target_stream())["FilterCriteria"] == new_filter
    assert differences(["triggers"]) == {}


def test_settings_removed_on_the_source_are_removed_from_the_copy(world: World) -> None:
    handler(world.event("restore"))
    handler(world.event("cutover"))
    lam = c("lambda")
    source = _audit(world.source_stream)
    lam.update_event_source_mapping(
        UUID=source["UUID"],
        DestinationConfig={"OnFailure": {}},
        MetricsConfig={"Metrics": []},
        FilterCriteria={},
        KMSKeyArn="",
    )
    lam.untag_resource(Resource=source["EventSourceMappingArn"], TagKeys=["tier"])
    again = handler(world.event("cutover"))
    assert again["failures"] == [], again
    copy = _audit(_target_stream())
    for key in ("DestinationConfig", "MetricsConfig", "FilterCriteria", "KMSKeyArn"):
        assert key not in copy, key
    assert lam.list_tags(Resource=copy["EventSourceMappingArn"])["Tags"] == {"team": "audit"}
    assert differences(["triggers"]) == {}


def test_a_mapping_already_on_the_target_is_updated_not_duplicated(world: World) -> None:
    """Lambda allows one mapping per function and stream: a second create is a conflict."""
    handler(world.event("restore"))
    lam = c("lambda")
    audit_arn = _audit(world.source_stream)["FunctionArn"]
    by_hand = lam.create_event_source_mapping(
        EventSourceArn=_target_stream(), FunctionName=audit_arn, StartingPosition="LATEST", BatchSize=1
    )
    with pytest.raises(ClientError) as raised:
        lam.create_event_source_mapping(
            EventSourceArn=_target_stream(), FunctionName=audit_arn, StartingPosition="LATEST"
        )
    assert raised.value.response["Error"]["Code"] == "ResourceConflictException"

    cut = handler(world.event("cutover"))
    assert cut["failures"] == [], cut
    audits = [m for m in _mappings(_target_stream()) if m["FunctionArn"] == audit_arn]
    assert [m["UUID"] for m in audits] == [by_hand["UUID"]]
    assert differences(["triggers"]) == {}


# ---- scheduled scaling ----------------------------------------------------------------------------


def test_scheduled_actions_are_copied_and_follow_changes(world: World) -> None:
    restored = handler(world.event("restore"))
    assert outcomes(restored, "scheduled_scaling") == {"applied": 2}
    copies = settings_of(TARGET)["scheduled_scaling"]
    assert copies == settings_of(SOURCE)["scheduled_scaling"]
    assert copies["table dynamodb:table:WriteCapacityUnits nightly-low"]["Timezone"] == "Europe/Paris"
    assert copies["index/gsi1 dynamodb:index:ReadCapacityUnits sale"]["ScalableTargetAction"] == {
        "MinCapacity": 40,
        "MaxCapacity": 50,
    }
    c("application-autoscaling").put_scheduled_action(
        ServiceNamespace="dynamodb",
        ScheduledActionName="nightly-low",
        ResourceId=f"table/{SOURCE}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
        Schedule="cron(0 23 * * ? *)",
        Timezone="Europe/Paris",
        ScalableTargetAction={"MinCapacity": 5, "MaxCapacity": 25},
    )
    again = handler(world.event("restore"))
    assert outcomes(again, "scheduled_scaling") == {"applied": 1, "unchanged": 1}
    assert differences(["scheduled_scaling"]) == {}
    c("application-autoscaling").delete_scheduled_action(
        ServiceNamespace="dynamodb",
        ScheduledActionName="sale",
        ResourceId=f"table/{SOURCE}/index/gsi1",
        ScalableDimension="dynamodb:index:ReadCapacityUnits",
    )
    removed = handler(world.event("restore"))
    assert outcomes(removed, "scheduled_scaling") == {"applied": 1, "unchanged": 1}
    assert list(settings_of(TARGET)["scheduled_scaling"]) == [
        "table dynamodb:table:WriteCapacityUnits nightly-low"
    ]
    assert differences(["scheduled_scaling"]) == {}


# ---- warm throughput ------------------------------------------------------------------------------


def test_the_restored_table_is_pre_warmed_to_the_source_without_waiting(world: World) -> None:
    ddb = c("dynamodb")
    alone = handler(world.event("restore", settings={n: n == "warm_throughput" for n in NAMES}))
    assert outcomes(alone, "warm_throughput") == {"applied": 3}
    assert alone["failures"] == []
    # The summary says what was asked for, table and each index.
    asked = {r["item"]: r["warm_throughput"] for r in alone["reported"] if r["setting"] == "warm_throughput"}
    assert asked == {"table": WARM["table"], "index/gsi1": WARM["gsi1"], "index/gsi2": WARM["gsi2"]}
    # Asked for, not waited for: the first look after the run still sees the change in progress.
    target = ddb.describe_table(TableName=TARGET)["Table"]
    assert target["TableStatus"] == "ACTIVE"
    assert target["WarmThroughput"]["Status"] == "UPDATING"
    warm = settings_of(TARGET)["warm_throughput"]
    assert warm == {"table": WARM["table"], "gsi1": WARM["gsi1"], "gsi2": WARM["gsi2"]}
    assert differences(["warm_throughput"]) == {}
    again = handler(world.event("restore"))
    assert outcomes(again, "warm_throughput") == {"unchanged": 3}
    assert again["failures"] == []


def test_warm_throughput_follows_the_backlog_up_to_the_ceiling(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETTINGS_OPTIONS", json.dumps({"warm_throughput_max_write_units_per_second": 20000}))
    handler(world.event("restore", warm_write_units_per_second=50000))
    warm = settings_of(TARGET)["warm_throughput"]
    assert {name: w["WriteUnitsPerSecond"] for name, w in warm.items()} == dict.fromkeys(
        ("table", "gsi1", "gsi2"), 20000
    )
    assert warm["table"]["ReadUnitsPerSecond"] == WARM["table"]["ReadUnitsPerSecond"]


def test_warm_throughput_is_never_lowered(world: World) -> None:
    ddb = c("dynamodb")
    hotter = {"ReadUnitsPerSecond": 90000, "WriteUnitsPerSecond": 40000}
    ddb.update_table(TableName=TARGET, WarmThroughput=hotter)
    summary = handler(world.event("restore"))
    assert summary["failures"] == []
    assert outcomes(summary, "warm_throughput") == {"applied": 2, "unchanged": 1}
    assert settings_of(TARGET)["warm_throughput"]["table"] == hotter


@pytest.mark.parametrize("value", [-1, "many", 1.5, True])
def test_bad_backlog_input_is_refused(world: World, value: Any) -> None:
    with pytest.raises(InputError, match="warm_write_units_per_second"):
        handler(world.event("restore", warm_write_units_per_second=value))


# ---- global tables --------------------------------------------------------------------------------


def test_replica_regions_are_reported_with_the_command(world: World) -> None:
    restored = handler(world.event("restore"))
    actions = [a for a in restored["action_required"] if a["setting"] == "replicas"]
    assert [a["item"] for a in actions] == REPLICA_REGIONS
    for action, region in zip(actions, REPLICA_REGIONS, strict=True):
        assert f"--table-name {TARGET}" in action["action"]
        assert f'"RegionName":"{region}"' in action["action"]
    cut = handler(world.event("cutover"))
    assert outcomes(cut, "replicas") == {"deferred": 2}
    assert "Replicas" not in c("dynamodb").describe_table(TableName=TARGET)["Table"]  # switched off


def test_the_switch_adds_the_replicas_after_cutover_one_at_a_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETTINGS_OPTIONS", json.dumps({"add_replicas_after_cutover": True}))
    restored = handler(world.event("restore"))
    assert not [a for a in restored["action_required"] if a["setting"] == "replicas"]
    first = handler(world.event("cutover"))
    assert outcomes(first, "replicas") == {"applied": 1, "deferred": 1}, first
    second = handler(world.event("cutover"))  # the first replica is ACTIVE now: the next one goes
    assert outcomes(second, "replicas") == {"unchanged": 1, "applied": 1}, second
    progress = {r["item"]: r["replica"] for r in second["reported"] if r["setting"] == "replicas"}
    assert progress == {REPLICA_REGIONS[0]: "ACTIVE", REPLICA_REGIONS[1]: "CREATING"}
    third = handler(world.event("cutover"))
    assert outcomes(third, "replicas") == {"unchanged": 2}
    assert settings_of(TARGET)["replicas"] == REPLICA_REGIONS


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('{"add_replicas_after_cutover": "yes"}', "true or false"),
        ('{"warm_throughput_max_write_units_per_second": -5}', "whole number"),
        ("[1]", "must be an object"),
        ("{not json", "not JSON"),
    ],
)
def test_bad_options_are_refused(
    world: World, monkeypatch: pytest.MonkeyPatch, options: str, message: str
) -> None:
    monkeypatch.setenv("SETTINGS_OPTIONS", options)
    with pytest.raises(ConfigurationError, match=f"SETTINGS_OPTIONS is invalid .*{message}"):
        handler(world.event("restore"))


# ---- IAM policies ---------------------------------------------------------------------------------


def test_policies_naming_the_source_are_reported_with_the_statement(world: World) -> None:
    summary = handler(world.event("restore"))
    actions = {a["item"]: a["action"] for a in summary["action_required"] if a["setting"] == "iam_policies"}
    target_arn = c("dynamodb").describe_table(TableName=TARGET)["Table"]["TableArn"]
    managed = next(v for k, v in actions.items() if k.endswith(":policy/orders-app"))
    statement = json.loads(managed.split(": ", 1)[1])
    assert statement["Resource"] == [target_arn, f"{target_arn}/index/*"]
    assert statement["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    inline = actions["role search-role inline policy streams"]
    assert json.loads(inline.split(": ", 1)[1])["Resource"] == f"{target_arn}/stream/*"
    # The audit role's pattern (table/orders*/stream/*) already covers the restored table.
    assert not any("audit-role" in k for k in actions)


def test_policies_that_cannot_be_listed_are_not_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListPolicies")

    monkeypatch.setattr(c("iam"), "list_policies", denied)
    summary = handler(world.event("restore"))
    assert summary["failures"] == []
    logged = [a for a in summary["action_required"] if a["setting"] == "iam_policies"]
    assert [a["item"] for a in logged] == ["role search-role inline policy streams"]
    assert outcomes(summary, "iam_policies") == {"skipped": 2}


def test_policy_listing_is_bounded(world: World, monkeypatch: pytest.MonkeyPatch, logged: list) -> None:
    from pitr.settings_sync import iam_policies

    pages: list[str | None] = []

    def endless(**kwargs: Any) -> Any:
        pages.append(kwargs.get("Marker"))
        return {"Policies": [], "IsTruncated": True, "Marker": f"m{len(pages)}"}

    monkeypatch.setattr(c("iam"), "list_policies", endless)
    summary = handler(world.event("restore", settings={n: n == "iam_policies" for n in NAMES}))
    assert len(pages) == iam_policies.MAX_PAGES
    assert pages[1:] == [f"m{i}" for i in range(1, iam_policies.MAX_PAGES)]  # each page asks for the next
    assert summary["failures"] == []
    reasons = [r.get("reason", "") for r in logged if r.get("setting") == "iam_policies"]
    assert any(r.startswith("not checked beyond the first 10 pages") for r in reasons), reasons
