"""The pure parts of settings_sync: ARN rewriting, alarm naming and selection, IAM evaluation for
the trigger role check, mapping settings, the summary's bounds and input parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr.environment import ConfigurationError
from pitr.patterns import PatternError
from pitr.settings_sync import parse
from pitr.settings_sync.alarms import MAX_NAME, put_arguments, target_name, watches_table
from pitr.settings_sync.report import FAILED, MAX_LISTED, Result, summarize
from pitr.settings_sync.resource_policy import rewrite_arns
from pitr.settings_sync.triggers import STREAM_READ_ACTIONS, evaluate, mapping_settings, needed_policy

PREFIX = "arn:aws:dynamodb:eu-west-1:123456789012:table/"
SRC, TGT = PREFIX + "orders", PREFIX + "orders-restored-1"
SRC_STREAM, TGT_STREAM = SRC + "/stream/2026-01-01T00:00:00.000", TGT + "/stream/2026-02-02T00:00:00.000"

# ---- resource policy ARNs ----------------------------------------------------------------------

_others = st.sampled_from(
    [
        PREFIX + "orders-archive",
        PREFIX + "orders2/index/x",
        PREFIX + "ordersX",
        "arn:aws:iam::123456789012:role/orders",
        "orders",
        "*",
        "table/orders",
    ]
)
_own = st.sampled_from([SRC, SRC + "/index/gsi1", SRC + "/index/*", SRC + "/stream/*", SRC_STREAM])
_strings = st.one_of(_own, _others)
_documents = st.recursive(
    _strings,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["Resource", "Condition", "x"]), children, max_size=3),
    ),
    max_leaves=12,
)


def _leaves(document: Any) -> list[str]:
    if isinstance(document, dict):
        return [leaf for v in document.values() for leaf in _leaves(v)]
    if isinstance(document, list):
        return [leaf for v in document for leaf in _leaves(v)]
    return [document]


@given(_documents)
def test_rewrite_touches_exactly_the_source_arns(document: Any) -> None:
    rewritten = rewrite_arns(document, SRC, TGT, SRC_STREAM, TGT_STREAM)
    for before, after in zip(_leaves(document), _leaves(rewritten), strict=True):
        if before == SRC_STREAM:
            assert after == TGT_STREAM
        elif before == SRC or before.startswith(SRC + "/"):
            assert after == TGT + before[len(SRC) :]
        else:
            assert after == before  # other tables (even with the source's name as prefix) stay
    # Same shape: keys and nesting are kept.
    assert json.dumps(rewrite_arns(rewritten, TGT, SRC, TGT_STREAM, SRC_STREAM)) == json.dumps(document)


def test_stream_arn_without_a_target_stream_becomes_a_wildcard() -> None:
    assert rewrite_arns([SRC_STREAM], SRC, TGT, SRC_STREAM, None) == [TGT + "/stream/*"]


# ---- alarms ------------------------------------------------------------------------------------


def test_target_name() -> None:
    assert target_name("orders-throttles", "orders", "orders-restored-1") == "orders-restored-1-throttles"
    assert target_name("high latency", "orders", "orders-restored-1") == "high latency (orders-restored-1)"
    long = target_name("x" * 250, "orders", "orders-restored-1")
    assert len(long) == MAX_NAME
    assert long != target_name("x" * 249 + "y", "orders", "orders-restored-1")  # hashed, still distinct


def _alarm(**extra: Any) -> dict[str, Any]:
    return {
        "AlarmName": "a",
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ThrottledRequests",
        "Dimensions": [{"Name": "TableName", "Value": "orders"}],
        "Metrics": [],
        **extra,
    }


def test_watches_table_is_exact() -> None:
    assert watches_table(_alarm(), "orders")
    assert not watches_table(_alarm(), "orders-restored-1")
    assert not watches_table(_alarm(Namespace="Custom"), "orders")
    math = _alarm(
        MetricName=None,
        Dimensions=[],
        Metrics=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/DynamoDB",
                        "Dimensions": [{"Name": "TableName", "Value": "orders"}],
                    }
                },
            }
        ],
    )
    assert watches_table(math, "orders")


def test_put_arguments_rewrite_dimensions_and_drop_empty_lists() -> None:
    args = put_arguments(_alarm(OKActions=[], StateValue="ALARM"), "orders", "orders-restored-1")
    assert args["Dimensions"] == [{"Name": "TableName", "Value": "orders-restored-1"}]
    assert "Metrics" not in args and "OKActions" not in args and "StateValue" not in args


# ---- trigger role check ------------------------------------------------------------------------

STREAM = TGT_STREAM


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_evaluate_allows_wildcards_and_the_needed_policy() -> None:
    assert (
        evaluate(
            [_doc({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})], STREAM_READ_ACTIONS, STREAM
        )
        == []
    )
    assert evaluate([_doc(needed_policy(STREAM))], STREAM_READ_ACTIONS, STREAM) == []
    lower = {
        "Effect": "Allow",
        "Action": [a.lower() for a in STREAM_READ_ACTIONS],
        "Resource": PREFIX + "orders*",
    }
    assert evaluate([_doc(lower)], STREAM_READ_ACTIONS, STREAM) == []


def test_evaluate_reports_what_is_missing() -> None:
    only_source = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": SRC + "/stream/*"}
    assert evaluate([_doc(only_source)], STREAM_READ_ACTIONS, STREAM) == list(STREAM_READ_ACTIONS)
    partial = {
        "Effect": "Allow",
        "Action": ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        "Resource": "*",
    }
    assert evaluate([_doc(partial)], STREAM_READ_ACTIONS, STREAM) == [
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    ]


def test_evaluate_explicit_deny_wins_and_not_action() -> None:
    allow = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "dynamodb:GetRecords", "Resource": TGT + "/*"}
    assert evaluate([_doc(allow), _doc(deny)], STREAM_READ_ACTIONS, STREAM) == ["dynamodb:GetRecords"]
    not_action = {"Effect": "Allow", "NotAction": "dynamodb:GetRecords", "Resource": "*"}
    assert evaluate([_doc(not_action)], STREAM_READ_ACTIONS, STREAM) == ["dynamodb:GetRecords"]
    not_resource = {"Effect": "Allow", "Action": "dynamodb:*", "NotResource": TGT + "/*"}
    assert evaluate([_doc(not_resource)], STREAM_READ_ACTIONS, STREAM) == list(STREAM_READ_ACTIONS)
    single = {"Version": "2012-10-17", "Statement": allow}  # a lone statement object is allowed
    assert evaluate([single], STREAM_READ_ACTIONS, STREAM) == []


def test_mapping_settings_keeps_what_create_takes() -> None:
    mapping = {
        "UUID": "u",
        "FunctionArn": "f",
        "State": "Disabled",
        "BatchSize": 10,
        "StartingPosition": "TRIM_HORIZON",
        "DestinationConfig": {"OnFailure": {}},
        "FilterCriteria": {"Filters": []},
        "FunctionResponseTypes": [],
        "LastModified": "x",
    }
    assert mapping_settings(mapping) == {"BatchSize": 10, "Enabled": False}
    assert mapping_settings({**mapping, "State": "Enabled"})["Enabled"] is True
    assert mapping_settings({**mapping, "State": "Disabling"})["Enabled"] is False


# ---- summary -----------------------------------------------------------------------------------


def test_summary_is_bounded() -> None:
    results = [Result("alarms", f"alarm-{i}-" + "n" * 500, FAILED, "r" * 5000) for i in range(1000)]
    summary = summarize(results, source_table="s", target_table="t", phase="restore", complete=True)
    assert summary["counts"][FAILED] == 1000
    assert len(summary["failures"]) == MAX_LISTED and summary["failures_not_listed"] == 1000 - MAX_LISTED
    assert len(json.dumps(summary)) < 20_000


def test_result_refuses_an_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="outcome"):
        Result("ttl", "ttl", "done")


# ---- input -------------------------------------------------------------------------------------

ENV = {
    "SOURCE_TABLE_NAME": "orders",
    "TARGET_TABLE_NAME_PATTERN": "orders-restored-*",
    "SETTINGS_SWITCHES": "{}",
    "SETTINGS_OPTIONS": "{}",
}


def test_parse_merges_switches() -> None:
    env = {**ENV, "SETTINGS_SWITCHES": json.dumps({"alarms": False, "ttl": False})}
    request = parse({"target_table": "orders-restored-1", "phase": "cutover", "settings": {"ttl": True}}, env)
    assert (
        request.switches["alarms"] is False and request.switches["ttl"] is True and request.switches["tags"]
    )
    assert request.source_table == "orders" and request.exclude_mapping_uuids == frozenset()


def test_parse_refuses_a_pattern_that_matches_the_source() -> None:
    with pytest.raises(PatternError, match="matches the source"):
        parse(
            {"target_table": "orders-restored-1", "phase": "restore"},
            {**ENV, "TARGET_TABLE_NAME_PATTERN": "orders*"},
        )


def test_parse_refuses_unknown_switches_in_the_environment() -> None:
    with pytest.raises(ConfigurationError, match=r"SETTINGS_SWITCHES is invalid .*names unknown"):
        parse(
            {"target_table": "orders-restored-1", "phase": "restore"},
            {**ENV, "SETTINGS_SWITCHES": '{"x": true}'},
        )


def test_summary_lists_a_bounded_number_of_reported_values() -> None:
    results = [
        Result("replicas", f"region-{i}", "deferred", report={"replica": "CREATING"}) for i in range(50)
    ]
    summary = summarize(results, source_table="s", target_table="t", phase="cutover", complete=True)
    assert len(summary["reported"]) == MAX_LISTED and summary["reported_not_listed"] == 50 - MAX_LISTED
    assert summary["reported"][0] == {"setting": "replicas", "item": "region-0", "replica": "CREATING"}


# ---- triggers: updates in place ------------------------------------------------------------------


def test_update_arguments_change_and_remove() -> None:
    from pitr.settings_sync.triggers import update_arguments

    current = {
        "BatchSize": 10,
        "FilterCriteria": {"Filters": [{"Pattern": "{}"}]},
        "KMSKeyArn": "k",
        "DestinationConfig": {"OnFailure": {"Destination": "q"}},
        "MetricsConfig": {"Metrics": ["EventCount"]},
        "Enabled": True,
    }
    wanted = {"BatchSize": 20, "Enabled": True}
    assert update_arguments(wanted, current) == {
        "BatchSize": 20,
        "FilterCriteria": {},
        "KMSKeyArn": "",
        "DestinationConfig": {"OnFailure": {}},
        "MetricsConfig": {"Metrics": []},
    }
    assert update_arguments(current, current) == {}
    assert "StartingPosition" not in update_arguments({**wanted, "Enabled": False}, current)


# ---- warm throughput -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "current", "backlog", "expected"),
    [
        (
            {"ReadUnitsPerSecond": 30, "WriteUnitsPerSecond": 12},
            {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5},
            0,
            {"ReadUnitsPerSecond": 30, "WriteUnitsPerSecond": 12},
        ),
        (
            {"ReadUnitsPerSecond": 30, "WriteUnitsPerSecond": 12},
            {"ReadUnitsPerSecond": 40, "WriteUnitsPerSecond": 5},
            0,
            {"WriteUnitsPerSecond": 12},
        ),
        (
            {"ReadUnitsPerSecond": 30, "WriteUnitsPerSecond": 12},
            {"ReadUnitsPerSecond": 40, "WriteUnitsPerSecond": 50},
            0,
            {},
        ),
        ({"WriteUnitsPerSecond": 12}, {"WriteUnitsPerSecond": 5}, 100, {"WriteUnitsPerSecond": 100}),
        ({}, {"WriteUnitsPerSecond": 5}, 0, {}),
    ],
)
def test_wanted_warm_only_raises(
    source: dict[str, int], current: dict[str, int], backlog: int, expected: dict[str, int]
) -> None:
    from pitr.settings_sync.warm_throughput import wanted_warm

    assert wanted_warm(source, current, backlog) == expected


# ---- IAM policies naming the source ----------------------------------------------------------------

SOURCE_ARN = "arn:aws:dynamodb:eu-west-1:1:table/orders"
TARGET_ARN = "arn:aws:dynamodb:eu-west-1:1:table/orders-restored-1"


def test_statements_naming_the_source_are_re_pointed() -> None:
    from pitr.settings_sync.iam_policies import missing_statements

    policy = {
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": [SOURCE_ARN, f"{SOURCE_ARN}/index/*"],
            },
            {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": SOURCE_ARN},
            {
                "Effect": "Allow",
                "Action": "dynamodb:*",
                "Resource": "arn:aws:dynamodb:eu-west-1:1:table/orders-archive",
            },
        ]
    }
    assert missing_statements(policy, SOURCE_ARN, TARGET_ARN) == [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": [TARGET_ARN, f"{TARGET_ARN}/index/*"]},
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TARGET_ARN},
    ]


def test_a_pattern_with_the_same_actions_already_covers_the_target() -> None:
    from pitr.settings_sync.iam_policies import missing_statements

    covered = {
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": SOURCE_ARN},
            {
                "Effect": "Allow",
                "Action": "dynamodb:Get*",
                "Resource": "arn:aws:dynamodb:eu-west-1:1:table/orders-*",
            },
        ]
    }
    assert missing_statements(covered, SOURCE_ARN, TARGET_ARN) == []
    # A "*" resource granting other actions does not cover the table's statement.
    other = {
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": SOURCE_ARN},
            {"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"},
        ]
    }
    assert missing_statements(other, SOURCE_ARN, TARGET_ARN) == [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TARGET_ARN}
    ]


def test_replica_command() -> None:
    from pitr.settings_sync.replicas import add_command, replica_regions

    command = add_command("t", "us-east-1")
    assert command.startswith("aws dynamodb update-table --table-name t --replica-updates ")
    assert json.loads(command.split(" --replica-updates ", 1)[1].strip("'")) == [
        {"Create": {"RegionName": "us-east-1"}}
    ]
    described = {"Replicas": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]}
    assert replica_regions(described, "eu-west-1") == ["us-east-1"]
