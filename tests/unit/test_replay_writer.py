from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pitr import codec, environment, guard, metrics, replay_writer
from pitr.backoff import Backoff
from pitr.codec import Change
from pitr.patterns import PatternError
from pitr.replay_writer import ReplayError, ReplayWriter, stale_before
from pitr.restore_record import RestoreRecord
from pitrctl.sim.functions import MetricLines
from pitrctl.sim.tables import create_table

SOURCE = "orders"
TARGET = "orders-restored-1"
PATTERN = "orders-restored-*"
START = 1_700_000_000.0
PARAMETER = "/dynamodb-pitr/orders/restore"
LEDGER = "orders-ledger"


def restore(target: str = TARGET, replay_start: str | None = "2023-11-14T22:13:20Z") -> RestoreRecord:
    return RestoreRecord(
        restore_id="r-1",
        target_table=target,
        status="replaying",
        replay_from="restore_point",
        replay_start=replay_start,
    )


def change(
    key: str, n: int, op: str = codec.PUT, t: float = START + 5, event_id: str | None = None
) -> Change:
    keys = {"pk": {"S": key}}
    return Change(
        op=op,
        key=keys,
        time=t,
        seq=str(n),
        event_id=event_id or f"e{n}",
        item={**keys, "n": {"N": str(n)}, "b": {"B": "AAE="}} if op == codec.PUT else None,
    )


def message(i: int, c: Change, body: str | None = None) -> dict[str, Any]:
    return {
        "messageId": f"m{i}",
        "body": body if body is not None else codec.encode(c, None).body,
        "attributes": {"MessageGroupId": c.group_id, "SequenceNumber": str(i)},
    }


def ids(report: replay_writer.Report) -> list[str]:
    return report.failed_ids


@pytest.fixture
def table(aws: None) -> Iterator[Any]:
    ddb = boto3.client("dynamodb")
    create_table(ddb, TARGET)
    ddb.create_table(**guard.ledger_table_spec(LEDGER))
    yield ddb


def items(ddb: Any) -> dict[str, int]:
    return {i["pk"]["S"]: int(i["n"]["N"]) for i in ddb.scan(TableName=TARGET)["Items"]}


def writer(ddb: Any, record: RestoreRecord | None = None, **kwargs: Any) -> ReplayWriter:
    kwargs.setdefault("emit", MetricLines())
    kwargs.setdefault("sleep", lambda _: None)
    return ReplayWriter(
        dynamodb=ddb,
        s3=kwargs.pop("s3", None),
        records=lambda: record if record is not None else restore(),
        source_table=SOURCE,
        target_pattern=PATTERN,
        ledger_table=LEDGER,
        **kwargs,
    )


# -- pure logic --------------------------------------------------------------------------------


def test_stale_before_is_inclusive_at_stream_resolution() -> None:
    assert stale_before(100.0) == 100.0
    assert stale_before(100.7) == 100.0  # a change at 100.9 is stamped 100: it must be replayed
    assert stale_before(100.7, margin_seconds=2) == 98.0


# -- applying ----------------------------------------------------------------------------------


def test_applies_newest_change_per_item_in_queue_order(table: Any) -> None:
    table.put_item(TableName=TARGET, Item={"pk": {"S": "gone"}, "n": {"N": "0"}})
    emitted = MetricLines()
    w = writer(table, emit=emitted, clock=lambda: START + 65)
    events = [
        message(0, change("a", 1)),
        message(1, change("b", 2)),
        message(2, change("a", 3)),
        message(3, change("gone", 4, op=codec.DELETE)),
        message(4, change("a", 5, t=START + 15)),
    ]
    report = w.process(events)
    assert report.failed_ids == []
    assert items(table) == {"a": 5, "b": 2}
    got = table.get_item(TableName=TARGET, Key={"pk": {"S": "a"}})["Item"]
    assert got["b"] == {"B": b"\x00\x01"}  # binary decoded from the message's base64
    assert (report.replayed, report.coalesced, report.write_calls) == (3, 2, 1)
    assert emitted.value("ReplayLagSeconds") == 60.0  # max over applied changes: b and gone at START+5
    assert emitted.value("ReplayedChanges") == 3 and emitted.value("CoalescedChanges") == 2


def test_changes_older_than_replay_start_are_skipped_and_the_boundary_is_replayed(table: Any) -> None:
    emitted = MetricLines()
    start = "2023-11-14T22:13:20.700Z"  # START + 0.7
    w = writer(table, restore(replay_start=start), emit=emitted)
    report = w.process(
        [
            message(0, change("old", 1, t=START - 1)),
            message(1, change("edge", 2, t=START)),  # made at START+0.7..0.99, stamped START
            message(2, change("new", 3, t=START + 1)),
            message(3, change("new", 4, t=START - 5)),  # stale: skipped, never regresses "new"
        ]
    )
    assert items(table) == {"edge": 2, "new": 3}
    assert report.skipped == 2 and emitted.value("SkippedChanges") == 2


def test_only_skipped_changes_emit_no_lag(table: Any) -> None:
    emitted = MetricLines()
    writer(table, emit=emitted).process([message(0, change("old", 1, t=START - 10))])
    assert emitted.value("SkippedChanges") == 1 and emitted.value("ReplayLagSeconds") is None
    assert items(table) == {}


def test_duplicate_deliveries_are_counted_and_harmless(table: Any) -> None:
    emitted = MetricLines()
    c = change("a", 1)
    report = writer(table, emit=emitted).process([message(0, c), message(1, c)])
    assert report.duplicates == 1 and emitted.value("DuplicateChanges") == 1
    assert items(table) == {"a": 1}


def test_writes_go_in_transactions_of_50_changes(table: Any) -> None:
    """TransactWriteItems takes up to 100 actions: 50 changes with their watermarks."""
    report = writer(table).process([message(i, change(f"k{i}", i)) for i in range(60)])
    assert report.write_calls == 2 and len(items(table)) == 60


def test_spilled_changes_are_read_from_s3(table: Any) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="spill", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    big = change("big", 7)
    big = Change(
        **{**big.__dict__, "item": {**(big.item or {}), "blob": {"B": codec._to_base64(os.urandom(4000))}}}
    )
    encoded = codec.encode(big, "spill", body_limit=1000)
    assert encoded.spill is not None
    s3.put_object(Bucket="spill", Key=encoded.spill[0], Body=encoded.spill[1])
    report = writer(table, s3=s3).process([message(0, big, encoded.body)])
    assert report.failed_ids == [] and items(table) == {"big": 7}
    # A lost object fails the message (and keeps it in the buffer) rather than skipping it.
    s3.delete_object(Bucket="spill", Key=encoded.spill[0])
    report = writer(table, s3=s3).process([message(0, big, encoded.body), message(1, change("x", 1))])
    assert report.failed_ids == ["m0"] and items(table) == {"big": 7, "x": 1}


# -- refusing ----------------------------------------------------------------------------------


def test_no_active_restore_is_a_clear_error(table: Any) -> None:
    w = ReplayWriter(table, None, lambda: None, SOURCE, PATTERN, LEDGER, record_parameter=PARAMETER)
    with pytest.raises(ReplayError, match=f"no restore is active: the restore record {PARAMETER}"):
        w.process([message(0, change("a", 1))])


def test_replay_start_not_set_is_a_clear_error(table: Any) -> None:
    with pytest.raises(ReplayError, match="no replay_start yet"):
        writer(table, restore(replay_start=None)).process([message(0, change("a", 1))])


@pytest.mark.parametrize(
    ("target", "match"), [(SOURCE, "matches the source|is the source"), ("other", "does not match")]
)
def test_source_and_foreign_targets_are_refused(table: Any, target: str, match: str) -> None:
    with pytest.raises(PatternError, match=match):
        writer(table, restore(target=target)).process([message(0, change("a", 1))])


# -- failures and retries ----------------------------------------------------------------------


class FlakyDynamo:
    """TransactWriteItems that throttles, or cancels with ``TransactionConflict`` on chosen keys, or
    fails with an error code, like DynamoDB under load or with a missing grant."""

    def __init__(
        self, real: Any, throttle: int = 0, conflict: dict[str, int] | None = None, error: str = ""
    ) -> None:
        self.real, self.throttle, self.error = real, throttle, error
        self.conflict = dict(conflict or {})
        self.calls = 0

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "TransactWriteItems")
        if self.throttle:
            self.throttle -= 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "x"}}, "TransactWriteItems"
            )
        reasons = []
        for action in kwargs["TransactItems"]:
            ((_, body),) = action.items()
            key = (body.get("Item") or body["Key"])["pk"]["S"]
            if body["TableName"] == TARGET and self.conflict.get(key, 0) > 0:
                self.conflict[key] -= 1
                reasons.append({"Code": "TransactionConflict", "Message": "conflict"})
            else:
                reasons.append({"Code": "None"})
        if any(r["Code"] != "None" for r in reasons):
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "x"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return self.real.transact_write_items(**kwargs)


def test_throttling_is_retried_with_capped_jittered_backoff(table: Any) -> None:
    sleeps: list[float] = []
    flaky = FlakyDynamo(table, throttle=3)
    backoff = Backoff(base=0.1, cap=0.3)
    w = writer(flaky, sleep=sleeps.append, rand=lambda: 0.999, backoff=backoff)
    report = w.process([message(0, change("a", 1))])
    assert report.failed_ids == [] and items(table) == {"a": 1}
    assert flaky.calls == 4
    assert sleeps == pytest.approx([0.0999, 0.1998, 0.2997])  # 0.1, 0.2, then capped at 0.3 (x rand)


def test_transaction_conflicts_are_retried(table: Any) -> None:
    flaky = FlakyDynamo(table, conflict={"a": 2})
    report = writer(flaky).process([message(0, change("a", 1)), message(1, change("b", 2))])
    assert report.failed_ids == [] and items(table) == {"a": 1, "b": 2}
    # [a, b] cancelled on a; b alone at once; then a twice (one more conflict, then through).
    assert flaky.calls == 4


def test_persistent_failure_reports_the_message_and_the_rest_of_its_group(table: Any) -> None:
    flaky = FlakyDynamo(table, conflict={"a": 100})
    events = [
        message(0, change("a", 1)),
        message(1, change("b", 2)),
        message(2, change("a", 3)),  # a's write (coalesced 1 -> 3) never succeeds
        message(3, change("a", 4, t=START - 100)),  # stale, but after the failed one: stays too
    ]
    report = writer(flaky, max_attempts=4).process(events)
    # m0 is superseded by m2 (full newer image), so only m2 and what follows in group a return.
    assert sorted(report.failed_ids) == ["m2", "m3"]
    # b was cancelled together with a: it is retried at once without a and written.
    assert items(table) == {"b": 2}


def test_retries_stop_at_the_deadline(table: Any) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    flaky = FlakyDynamo(table, throttle=10_000)
    w = writer(flaky, sleep=sleep, clock=lambda: now[0], max_attempts=1_000, backoff=Backoff(base=1, cap=1))
    with pytest.raises(ReplayError):
        w.process([message(0, change("a", 1)), message(1, change("b", 1))], deadline=5.0)
    assert now[0] <= 5.0 and flaky.calls >= 2  # random jitter in [0, 1) s per retry


def test_no_write_starts_that_could_outlive_the_deadline(table: Any) -> None:
    """call_seconds is the clients' connect + read timeout (one attempt): a write started later
    could end after the deadline, so it is not started and the message is reported instead."""
    flaky = FlakyDynamo(table)
    w = writer(flaky, clock=lambda: 100.0, call_seconds=10.0)
    with pytest.raises(ReplayError):
        w.process([message(0, change("a", 1))], deadline=109.0)
    assert flaky.calls == 0
    assert (
        writer(flaky, clock=lambda: 100.0, call_seconds=10.0)
        .process([message(0, change("a", 1))], deadline=110.0)
        .failed_ids
        == []
    )


def test_undecodable_message_fails_with_the_rest_of_its_group_only(table: Any) -> None:
    events = [
        message(0, change("a", 1)),
        message(1, change("a", 2), body="garbage"),
        message(2, change("a", 3)),
        message(3, change("b", 4)),
    ]
    report = writer(table).process(events)
    assert report.failed_ids == ["m1", "m2"]
    assert items(table) == {"a": 1, "b": 4}


def test_a_batch_where_nothing_succeeds_raises(table: Any) -> None:
    emitted = MetricLines()
    w = writer(FlakyDynamo(table, error="AccessDeniedException"), emit=emitted)
    with pytest.raises(ReplayError, match="no message of this batch could be applied"):
        w.process([message(0, change("a", 1)), message(1, change("b", 1))])
    assert emitted.value("FailedChanges") == 2
    assert emitted.value("GuardFailures") == 2  # alarm replay-guard-failures


def test_a_missing_ledger_is_a_clear_error_and_counted(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    monkeypatch.setattr(
        replay_writer.logs, "error", lambda message, **fields: logged.append(f"{message} {fields}")
    )
    emitted = MetricLines()
    w = writer(table, emit=emitted)
    w.ledger_table = "no-such-ledger"
    with pytest.raises(ReplayError):
        w.process([message(0, change("a", 1))])
    assert emitted.value("GuardFailures") == 1 and items(table) == {}
    assert any("no-such-ledger" in line and "ordering guard cannot write" in line for line in logged)


# -- Lambda wiring -----------------------------------------------------------------------------


def test_handler_reads_record_from_ssm_and_env(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ssm = boto3.client("ssm")
    monkeypatch.setenv("RESTORE_RECORD_PARAMETER", PARAMETER)
    monkeypatch.setenv("SOURCE_TABLE_NAME", SOURCE)
    monkeypatch.setenv("TARGET_TABLE_NAME_PATTERN", PATTERN)
    monkeypatch.setenv("LEDGER_TABLE", LEDGER)
    monkeypatch.setenv("RECORD_CACHE_SECONDS", "10")
    monkeypatch.setenv("REPLAY_START_MARGIN_SECONDS", "0")
    replay_writer.reset_cache()
    lines: list[str] = []
    metrics.set_sink(lines.append)
    try:
        with pytest.raises(ReplayError, match="no restore is active"):
            replay_writer.handler({"Records": [message(0, change("a", 1))]})
        replay_writer.reset_cache()
        ssm.put_parameter(Name=PARAMETER, Type="String", Value=restore().to_json())
        response = replay_writer.handler({"Records": [message(0, change("a", 1))]})
    finally:
        metrics.set_sink(None)
        replay_writer.reset_cache()
    assert response == {"batchItemFailures": []}
    assert items(table) == {"a": 1}
    parsed = [d for line in lines for d in metrics.parse(line)]
    assert {d.name for d in parsed} >= {"ReplayedChanges", "ReplayLagSeconds", "SkippedChanges"}
    assert all(d.dimensions == {"SourceTable": SOURCE} for d in parsed)
    assert json.loads(lines[-1])["TargetTable"] == TARGET


def test_missing_environment_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESTORE_RECORD_PARAMETER", raising=False)
    with pytest.raises(environment.ConfigurationError, match="RESTORE_RECORD_PARAMETER is not set"):
        replay_writer.from_env({})


def test_a_message_outside_its_item_group_is_not_applied(table: Any) -> None:
    stray = message(1, change("b", 2))
    stray["attributes"]["MessageGroupId"] = change("a", 0).group_id  # b's change in a's group
    report = writer(table).process([message(0, change("a", 1)), stray, message(2, change("c", 3))])
    assert report.failed_ids == ["m1"]
    assert items(table) == {"a": 1, "c": 3}


def test_an_unreadable_restore_record_is_a_clear_error(table: Any) -> None:
    def throttled() -> RestoreRecord:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "rate"}}, "GetParameter")

    w = ReplayWriter(table, None, throttled, SOURCE, PATTERN, LEDGER, record_parameter=PARAMETER)
    with pytest.raises(ReplayError, match=f"the restore record {PARAMETER} cannot be read"):
        w.process([message(0, change("a", 1))])


def test_a_change_the_whole_request_is_refused_for_does_not_fail_the_others(table: Any) -> None:
    class RefusesB:
        calls = 0

        def transact_write_items(self, **kwargs: Any) -> Any:
            RefusesB.calls += 1
            keys = {(a.get("Put") or a.get("Delete"))["TableName"] for a in kwargs["TransactItems"]}
            items = [a["Put"]["Item"] for a in kwargs["TransactItems"] if "Put" in a and TARGET in keys]
            if any(i["pk"]["S"] == "b" for i in items):
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "Tx")
            return table.transact_write_items(**kwargs)

    report = writer(RefusesB()).process([message(0, change("a", 1)), message(1, change("b", 2))])
    assert report.failed_ids == ["m1"] and items(table) == {"a": 1}
    assert RefusesB.calls == 3  # both, then each alone
