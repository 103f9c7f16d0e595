"""pitrctl verify: digests, the comparison, paced parallel scans of moto tables with planted differences."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from moto_world import EXECUTION, REGION, deploy, manifest, put_manifest, put_record, record

from pitrctl import commands, verify
from pitrctl.cli import main
from pitrctl.errors import PitrctlError
from pitrctl.options import Comparison, CutoverOptions
from pitrctl.ui import Ui

LARGE = 380 * 1024  # near DynamoDB's 400 KB item limit


################################################################################
# Pure functions
################################################################################


def test_digest_ignores_set_order_and_number_spelling() -> None:
    a = {"pk": {"S": "x"}, "tags": {"SS": ["b", "a"]}, "n": {"N": "1.50"}, "ns": {"NS": ["2", "10"]}}
    b = {"n": {"N": "1.5"}, "ns": {"NS": ["10", "2.0"]}, "tags": {"SS": ["a", "b"]}, "pk": {"S": "x"}}
    assert verify.digest(a) == verify.digest(b)
    assert verify.digest(a) != verify.digest({**a, "n": {"N": "1.51"}})
    assert verify.digest(a) != verify.digest({**a, "extra": {"NULL": True}})
    assert verify.digest({"b": {"B": b"\x00\x01"}}) != verify.digest({"b": {"B": b"\x00\x02"}})


def test_compare_names_missing_extra_and_different() -> None:
    source = {"a": "1", "b": "2", "c": "3"}
    target = {"b": "2", "c": "X", "d": "4"}
    found = {(d.key, d.kind) for d in verify.compare(source, target)}
    assert found == {("a", "missing"), ("c", "different"), ("d", "extra")}
    assert {(d.key, d.kind) for d in verify.compare(source, target, extras=False)} == {
        ("a", "missing"),
        ("c", "different"),
    }
    assert verify.summary(verify.compare(source, target), compared=3) == {
        "missing": 1,
        "extra": 1,
        "different": 1,
        "equal": 1,
    }


def test_compare_items_lists_the_differing_attributes() -> None:
    keys = ["pk"]
    expected = [{"pk": {"S": "a"}, "v": {"N": "1"}, "w": {"S": "same"}}, {"pk": {"S": "b"}}]
    actual = [{"pk": {"S": "a"}, "v": {"N": "2"}, "w": {"S": "same"}, "new": {"S": "x"}}]
    differences = verify.compare_items(expected, actual, keys)
    assert differences == [
        {"key": '{"pk": {"S": "a"}}', "kind": "different", "problem": "differs", "attributes": ["new", "v"]},
        {
            "key": '{"pk": {"S": "b"}}',
            "kind": "missing",
            "problem": "missing in the restored table",
            "attributes": [],
        },
    ]


def test_request_key_gives_binaries_back() -> None:
    key = verify.key_of({"pk": {"B": b"\xff\x00"}, "sk": {"N": "1.0"}}, ["pk", "sk"])
    assert verify.request_key(key) == {"pk": {"B": b"\xff\x00"}, "sk": {"N": "1"}}


@pytest.mark.parametrize(
    ("total", "fraction", "expected"), [(8, 0.25, [0, 4]), (4, 0.01, [0]), (4, 1, [0, 1, 2, 3])]
)
def test_sampled_segments_spread_evenly(total: int, fraction: float, expected: list[int]) -> None:
    assert verify.sampled_segments(total, fraction) == expected


def test_read_pacer_keeps_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = verify.ReadPacer(50.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        pacer.pay(25.0)  # 250 units at 50/s: 5 s, one of them burst
    assert pacer.consumed == 250
    assert now[0] == pytest.approx(4.0)
    unlimited = verify.ReadPacer(None, clock=lambda: 0.0, sleep=sleep)
    slept.clear()
    unlimited.pay(1e6)
    assert slept == []


################################################################################
# Against moto tables with planted differences
################################################################################


def _client() -> Any:
    return boto3.client("dynamodb", region_name=REGION)


def _table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _item(i: int) -> dict[str, Any]:
    item = {"pk": {"S": f"order-{i:04d}"}, "sk": {"N": str(i % 3)}, "total": {"N": str(i * 7)}}
    item["tags"] = {"SS": [f"t{i % 5}", "all"]}
    if i % 50 == 0:
        item["blob"] = {"B": bytes([i % 251]) * LARGE}
    return item


@pytest.fixture
def planted(aws: None) -> dict[str, set[str]]:
    return _plant(_client())


@pytest.fixture
def planted_deployed(aws: None) -> dict[str, set[str]]:
    """The planted tables under a deployment's manifest (its own orders table replaced)."""
    deploy()
    _client().delete_table(TableName="orders")
    return _plant(_client())


def _plant(ddb: Any) -> dict[str, set[str]]:
    """orders (source) and orders-restored-1 with 2 missing, 1 extra, 3 different (1 large) items."""
    _table(ddb, "orders")
    _table(ddb, "orders-restored-1")
    source: list[dict[str, Any]] = []
    target: list[dict[str, Any]] = []
    for i in range(240):
        source.append(_item(i))
        if i in (7, 130):
            continue  # missing in the restored table
        copy = _item(i)
        copy["tags"] = {"SS": list(reversed(copy["tags"]["SS"]))}  # same set, other order
        if i == 11:
            copy["total"] = {"N": "-1"}
        if i == 12:
            del copy["tags"]
        if i == 100:  # a large item that differs in its last byte
            copy["blob"] = {"B": bytes([100 % 251]) * (LARGE - 1) + b"\x00"}
        target.append(copy)
    target.append(_item(999))
    for table, items in (("orders", source), ("orders-restored-1", target)):
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            ddb.batch_write_item(RequestItems={table: batch})
    return {
        "missing": {verify.key_of(_item(i), ["pk", "sk"]) for i in (7, 130)},
        "extra": {verify.key_of(_item(999), ["pk", "sk"])},
        "different": {verify.key_of(_item(i), ["pk", "sk"]) for i in (11, 12, 100)},
    }


def _options(**overrides: Any) -> Comparison:
    return Comparison(**{"segments": 3, "read_rate": None, "page_size": 25, "settle_seconds": 0} | overrides)


def test_full_compare_finds_every_planted_difference(planted: dict[str, set[str]]) -> None:
    report = verify.compare_tables(_client(), "orders", "orders-restored-1", options=_options())
    assert not report["passed"]
    assert report["summary"] == {"missing": 2, "extra": 1, "different": 3, "equal": 235}
    assert report["items_read"] == {"source": 240, "target": 239}
    by_kind: dict[str, set[str]] = {"missing": set(), "extra": set(), "different": set()}
    for difference in report["differences"]:
        by_kind[difference["kind"]].add(difference["key"])
    assert by_kind == planted
    attributes = {d["key"]: d["attributes"] for d in report["differences"] if d["kind"] == "different"}
    assert sorted(attributes.values()) == [["blob"], ["tags"], ["total"]]


def test_equal_tables_pass(aws: None) -> None:
    ddb = _client()
    _table(ddb, "a")
    _table(ddb, "b")
    for i in range(60):
        ddb.put_item(TableName="a", Item=_item(i))
        ddb.put_item(TableName="b", Item=_item(i))
    report = verify.compare_tables(ddb, "a", "b", options=_options(segments=4))
    assert report["passed"]
    assert report["summary"]["equal"] == 60


def test_sample_reads_part_of_the_source_and_reports_only_true_differences(
    planted: dict[str, set[str]],
) -> None:
    report = verify.compare_tables(
        _client(), "orders", "orders-restored-1", options=_options(segments=8, sample=0.25)
    )
    assert report["mode"] == "sample"
    assert report["extras_checked"] is False
    assert 0 < report["items_read"]["source"] < 240
    true = planted["missing"] | planted["different"]
    assert {d["key"] for d in report["differences"]} <= true
    assert report["summary"]["extra"] == 0


def test_a_change_still_in_flight_settles(planted: dict[str, set[str]]) -> None:
    ddb = _client()

    def replay_catches_up(_seconds: float) -> None:  # the buffer delivers the change during the pause
        ddb.put_item(TableName="orders-restored-1", Item=_item(11))

    report = verify.compare_tables(
        ddb, "orders", "orders-restored-1", options=_options(settle_seconds=1), sleep=replay_catches_up
    )
    assert report["summary"]["different"] == 2
    assert verify.key_of(_item(11), ["pk", "sk"]) not in {d["key"] for d in report["differences"]}


def test_different_keys_are_refused(aws: None) -> None:
    ddb = _client()
    _table(ddb, "orders")
    ddb.create_table(
        TableName="other",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(PitrctlError, match="has the key"):
        verify.compare_tables(ddb, "orders", "other")


def test_the_read_rate_limit_paces_the_scans(planted: dict[str, set[str]]) -> None:
    slept: list[float] = []
    report = verify.compare_tables(
        _client(), "orders", "orders-restored-1", options=_options(read_rate=1.0), sleep=slept.append
    )
    assert report["read_capacity_units"] > 1
    assert sum(slept) >= report["read_capacity_units"] - 1 - 1e-6 - 2 * 1.0  # bursts of a second per caller


################################################################################
# The command and cut-over
################################################################################


def test_cli_verify_json_and_exit_status(
    planted_deployed: dict[str, set[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            *("verify", "--table", "orders", "--target", "orders-restored-1", "--json", "--region", REGION),
            *("--settle", "0", "--segments", "2"),
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["summary"]["missing"] == 2
    assert document["aws"]["region"] == REGION


def test_cli_verify_defaults_to_the_restore_in_flight(
    planted_deployed: dict[str, set[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    put_record(record(target_table="orders-restored-1"))
    code = main(["verify", "--table", "orders", "--region", REGION, "--settle", "0"])
    out = capsys.readouterr().out
    assert code == 1
    assert "the tables differ" in out
    assert "missing in the restored table" in out


# cutover --verify yes, with a quick comparison
COMPARE_FIRST = CutoverOptions(
    table="orders",
    interval=0.0,
    verify="yes",
    yes=True,
    comparison=Comparison(segments=2, settle_seconds=0.0),
)


def test_cutover_with_verify_refuses_on_differences_before_answering(
    planted_deployed: dict[str, set[str]],
) -> None:
    put_record(record(target_table="orders-restored-1", task_token="token"))
    answered: list[Any] = []

    class Sfn:
        def send_task_success(self, **kwargs: Any) -> None:
            answered.append(kwargs)

    aws = lambda s: Sfn() if s == "stepfunctions" else boto3.client(s, region_name=REGION)  # noqa: E731
    with pytest.raises(PitrctlError, match="not cutting over") as info:
        commands.cutover(COMPARE_FIRST, aws, Ui(json_mode=True, stream=io.StringIO()))
    assert "2 missing, 1 extra, 3 different" in info.value.message
    assert answered == []


def test_restore_request_mode_explains_differences_and_does_not_block_the_cut_over(
    planted_deployed: dict[str, set[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    put_manifest(**manifest() | {"replay_from": "restore_request"})
    code = main(["verify", "--table", "orders", "--target", "orders-restored-1", "--json", "--settle", "0"])
    assert code == 1
    assert "by design" in json.loads(capsys.readouterr().out)["note"]
    put_record(
        record(
            target_table="orders-restored-1",
            replay_from="restore_request",
            task_token="token",
            execution_arn=EXECUTION,
        )
    )
    answered: list[Any] = []

    class Sfn:
        exceptions = boto3.client("stepfunctions", region_name=REGION).exceptions

        def send_task_success(self, **kwargs: Any) -> None:
            answered.append(kwargs)
            raise self.exceptions.TaskTimedOut({"Error": {"Code": "TaskTimedOut"}}, "SendTaskSuccess")

        def describe_execution(self, **_: Any) -> dict[str, str]:
            return {"status": "RUNNING"}

    aws = lambda s: Sfn() if s == "stepfunctions" else boto3.client(s, region_name=REGION)  # noqa: E731
    with pytest.raises(PitrctlError, match="did not take the answer"):
        commands.cutover(COMPARE_FIRST, aws, Ui(json_mode=True, stream=io.StringIO()))
    assert len(answered) == 1  # no comparison stood in the way of the answer


class _Stingy:
    """BatchGetItem that answers one key per call and leaves the rest unprocessed."""

    def __init__(self, items: dict[str, dict[str, Any]], always: bool = False) -> None:
        self.items = items
        self.always = always
        self.calls = 0

    def batch_get_item(self, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        served = [] if self.always else keys[:1]
        rest = keys[len(served) :]
        return {
            "Responses": {table: [self.items[k["pk"]["S"]] for k in served if k["pk"]["S"] in self.items]},
            "UnprocessedKeys": {table: {**request, "Keys": rest}} if rest else {},
            "ConsumedCapacity": [{"TableName": table, "CapacityUnits": 0.5}],
        }


def test_batch_get_asks_again_for_unprocessed_keys_with_backoff() -> None:
    items = {f"k{i}": {"pk": {"S": f"k{i}"}} for i in range(3)}
    slept: list[float] = []
    client = _Stingy(items)
    found = verify.batch_get(
        client, "t", [{"pk": {"S": k}} for k in items], verify.ReadPacer(None), sleep=slept.append
    )
    assert sorted(i["pk"]["S"] for i in found) == ["k0", "k1", "k2"]
    assert slept == [0.05, 0.1]
    with pytest.raises(PitrctlError, match="unprocessed 10 times"):
        verify.batch_get(
            _Stingy(items, always=True),
            "t",
            [{"pk": {"S": "k0"}}],
            verify.ReadPacer(None),
            sleep=slept.append,
        )
