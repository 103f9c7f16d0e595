"""``make bench``: subscriber + replay writer against a naive baseline on one fixed workload.

Workload (fixed seed): ``--records`` changes (default 20,000) over ``--items`` items (default 2,000),
half of them on 50 hot items; 70% updates, 20% new puts, 10% deletes; delivered as Lambda stream
events in batches of 100 (the stream mapping's default batch size). Both pipelines run in the same
process against in-process moto:

* ours: ``cdc_subscriber`` (coalesce per item, SendMessageBatch, group per item) -> FIFO buffer ->
  FIFO poller (batches of 10) -> ``replay_writer`` (coalesce, then per item a TransactWriteItems of
  the target write and the ordering guard's conditional ledger watermark);
* naive: one SendMessage per record into one message group -> the same poller -> one PutItem or
  DeleteItem per message (the seed sample's design).

DynamoDB and S3 are moto's; the queue is ``pitrctl.sim.fifo_queue.FakeFifoQueue`` for both (moto's
SQS walks every queued message on each send, which would make the run quadratic).

Write units per change, as DynamoDB bills them: a standard write costs 1 unit per KB of the item
(rounded up, per item); "TransactWriteItems ... DynamoDB performs two underlying reads or writes of
every item in the transaction: one to prepare the transaction and one to commit the transaction"
(developer guide, capacity management for transactions): 2 units per KB per item, for the target
write and the ledger row alike. Reported for ours (target + ledger), for the same coalesced writes
without the guard (BatchWriteItem, the design before the guard: the guard's cost is the difference)
and for naive (one write per change).

Then a stale backlog (every change older than the replay start) measures how fast the writer skips.
Prints a table and one JSON object; then the scale model of the same path on AWS
(``bench/scale_model.py``, skip it with ``--skip-model``) prints its table and its JSON object last.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for extra in (REPO / "lambda_src", REPO / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_name, None)

from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench import scale_model  # noqa: E402
from pitr import clients, codec, guard  # noqa: E402
from pitrctl.sim.data_path import DataPath  # noqa: E402
from pitrctl.sim.faults import Faults  # noqa: E402
from pitrctl.sim.fifo_queue import FakeFifoQueue  # noqa: E402
from pitrctl.sim.sqs_mapping import FifoPoller  # noqa: E402

STREAM_BATCH = 100
HOT_ITEMS = 50


def _value_bytes(value: dict[str, Any]) -> int:
    """Approximate stored size of an attribute value (DynamoDB item size rules)."""
    ((kind, raw),) = value.items()
    scalar = {"S": lambda: len(raw.encode()), "N": lambda: len(raw.strip("-").replace(".", "")) // 2 + 1}
    if kind in scalar:
        return scalar[kind]()
    if kind == "B":
        return len(raw)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_bytes({kind[0]: x}) for x in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_bytes(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(_value_bytes(v) + 1 for v in raw)
    return 1  # BOOL, NULL


def write_units(item: dict[str, Any]) -> int:
    """Standard write units of one item: 1 per KB, rounded up (at least 1)."""
    size = sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())
    return max(1, math.ceil(size / 1024))


class BilledDynamo:
    """DynamoDB proxy that adds up the write units of committed TransactWriteItems calls.

    It also runs each transaction as its single-item calls: moto copies every table a transaction
    touches (to roll back), which makes a 20,000-change run quadratic. The bench is single-threaded,
    so checking the ledger conditions first and then writing is as atomic as the real transaction.
    """

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0
        self.transactional_units = 0  # what AWS bills: 2 per KB per item in a transaction
        self.standard_units = 0  # the same target writes as plain (BatchWriteItem) writes
        self.target_units = 0  # the target's share of transactional_units

    def _run(self, actions: list[dict[str, Any]]) -> None:
        reasons = []
        for action in actions:
            ((_, body),) = action.items()
            code = "None"
            if body.get("ConditionExpression"):
                assert body["ConditionExpression"] == guard.LEDGER_CONDITION
                row = self.real.get_item(TableName=body["TableName"], Key={"pk": body["Item"]["pk"]}).get(
                    "Item"
                )
                if row is not None and not row["wm"]["S"] < body["ExpressionAttributeValues"][":wm"]["S"]:
                    code = "ConditionalCheckFailed"
            reasons.append({"Code": code})
        if any(r["Code"] != "None" for r in reasons):
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "bench"}}
            raise ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")
        for action in actions:
            ((kind, body),) = action.items()
            if kind == "Put":
                self.real.put_item(TableName=body["TableName"], Item=body["Item"])
            else:
                self.real.delete_item(TableName=body["TableName"], Key=body["Key"])

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        self._run(kwargs["TransactItems"])
        response: dict[str, Any] = {}
        for action in kwargs["TransactItems"]:
            ((_, body),) = action.items()
            units = write_units(body.get("Item") or body["Key"])
            self.transactional_units += 2 * units
            if not body.get("ConditionExpression"):  # the target write (the ledger's is conditional)
                self.standard_units += units
                self.target_units += 2 * units
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def workload(records: int, items: int, seed: int, start: float) -> list[dict[str, Any]]:
    """Lambda-format stream records; times spread over ``records / 100`` seconds from ``start``."""
    rng = random.Random(seed)
    exists: set[int] = set()
    out = []
    for i in range(records):
        item = rng.randrange(HOT_ITEMS) if rng.random() < 0.5 else rng.randrange(items)
        keys = {"pk": {"S": f"item-{item:05d}"}, "sk": {"N": str(item % 7)}}
        roll = rng.random()
        if roll < 0.1 and item in exists:
            event, image = "REMOVE", None
            exists.discard(item)
        else:
            event = "MODIFY" if item in exists else "INSERT"
            exists.add(item)
            image = {**keys, "n": {"N": str(i)}, "payload": {"S": "x" * rng.randrange(50, 400)}}
        data: dict[str, Any] = {
            "Keys": keys,
            "SequenceNumber": str(10**20 + i),
            "SizeBytes": 100,
            "ApproximateCreationDateTime": float(int(start + i / 100)),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if image is not None:
            data["NewImage"] = image
        out.append(
            {"eventID": f"ev-{i:08d}", "eventName": event, "eventSource": "aws:dynamodb", "dynamodb": data}
        )
    return out


def batches(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [records[i : i + STREAM_BATCH] for i in range(0, len(records), STREAM_BATCH)]


def expected_items(records: list[dict[str, Any]]) -> dict[str, int]:
    state: dict[str, int] = {}
    for r in records:
        key = r["dynamodb"]["Keys"]["pk"]["S"] + "/" + r["dynamodb"]["Keys"]["sk"]["N"]
        if r["eventName"] == "REMOVE":
            state.pop(key, None)
        else:
            state[key] = int(r["dynamodb"]["NewImage"]["n"]["N"])
    return state


def table_state(ddb: Any, table: str) -> dict[str, int]:
    out: dict[str, int] = {}
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        for item in page["Items"]:
            out[item["pk"]["S"] + "/" + item["sk"]["N"]] = int(item["n"]["N"])
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def run_ours(records: list[dict[str, Any]], start: float) -> dict[str, Any]:
    with mock_aws():
        clients.reset()
        path = DataPath.create(faults=Faults(), queue=FakeFifoQueue())
        path.set_restore(replay_start=start - 3600)
        billed = BilledDynamo(path.writer.dynamodb)
        path.writer.dynamodb = billed
        capture = timed(lambda: [path.subscriber.process(b) for b in batches(records)])
        replay = timed(path.replay)
        groups = {r["dynamodb"]["Keys"]["pk"]["S"] + "/" + r["dynamodb"]["Keys"]["sk"]["N"] for r in records}
        correct = table_state(path.ddb, path.target) == expected_items(records)
        return {
            "send_calls": path.sqs.send_calls,
            "messages": path.sqs.sent,
            "write_calls": billed.calls,
            "write_units": billed.transactional_units,
            "target_write_units": billed.target_units,
            "unguarded_write_units": billed.standard_units,
            "invocations": path.poller.stats.invocations,
            "capture_s": capture,
            "replay_s": replay,
            "groups": len({codec.group_id(r["dynamodb"]["Keys"]) for r in records}),
            "items": len(groups),
            "correct": correct,
        }


def run_stale_backlog(records: list[dict[str, Any]], start: float) -> dict[str, Any]:
    with mock_aws():
        clients.reset()
        path = DataPath.create(faults=Faults(), queue=FakeFifoQueue())
        for b in batches(records):
            path.subscriber.process(b)
        path.set_restore(replay_start=start + len(records))  # after every change: all stale
        seconds = timed(path.replay)
        skipped = sum(path.metric_values("SkippedChanges"))
        return {
            "skipped": skipped,
            "seconds": seconds,
            "target_items": len(table_state(path.ddb, path.target)),
        }


def run_naive(records: list[dict[str, Any]]) -> dict[str, Any]:
    with mock_aws():
        clients.reset()
        queue = FakeFifoQueue()
        path = DataPath.create(faults=Faults(), queue=queue)
        sqs, ddb = queue, path.ddb
        calls = {"send": 0, "write": 0, "units": 0}

        def capture() -> None:
            for record in records:
                change = codec.from_stream_record(record)
                sqs.send_message(
                    QueueUrl=path.queue_url,
                    MessageBody=codec.change_json(change),
                    MessageGroupId="all",
                    MessageDeduplicationId=change.event_id,
                )
                calls["send"] += 1

        def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
            for message in event["Records"]:
                change = codec.decode(message["body"])
                assert isinstance(change, codec.Change)
                if change.op == codec.DELETE:
                    ddb.delete_item(TableName=path.target, Key=codec.to_client_image(change.key))
                    calls["units"] += write_units(change.key)
                else:
                    assert change.item is not None
                    ddb.put_item(TableName=path.target, Item=codec.to_client_image(change.item))
                    calls["units"] += write_units(change.item)
                calls["write"] += 1
            return {"batchItemFailures": []}

        poller = FifoPoller(sqs, path.queue_url, handler, batch_size=10)
        capture_s = timed(capture)
        replay_s = timed(poller.drain)
        correct = table_state(ddb, path.target) == expected_items(records)
        return {
            "send_calls": calls["send"],
            "write_calls": calls["write"],
            "write_units": calls["units"],
            "capture_s": capture_s,
            "replay_s": replay_s,
            "correct": correct,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--stale", type=int, default=5_000, help="size of the stale backlog")
    parser.add_argument("--skip-model", action="store_true", help="leave out the scale model")
    args = parser.parse_args(argv)

    start = float(int(time.time()) - 7200)
    records = workload(args.records, args.items, args.seed, start)
    ours = run_ours(records, start)
    naive = run_naive(records)
    stale = run_stale_backlog(records[: args.stale], start)

    n = len(records)
    ours_rate = n / (ours["capture_s"] + ours["replay_s"])
    naive_rate = n / (naive["capture_s"] + naive["replay_s"])
    result = {
        "records": n,
        "items": ours["items"],
        "send_calls_per_1000": round(ours["send_calls"] * 1000 / n, 2),
        "naive_send_calls_per_1000": round(naive["send_calls"] * 1000 / n, 2),
        "write_calls_per_1000": round(ours["write_calls"] * 1000 / n, 2),
        "naive_write_calls_per_1000": round(naive["write_calls"] * 1000 / n, 2),
        "messages_per_1000": round(ours["messages"] * 1000 / n, 2),
        "write_units_per_change": round(ours["write_units"] / n, 3),
        "target_write_units_per_change": round(ours["target_write_units"] / n, 3),
        "ledger_write_units_per_change": round((ours["write_units"] - ours["target_write_units"]) / n, 3),
        "unguarded_write_units_per_change": round(ours["unguarded_write_units"] / n, 3),
        "guard_cost_write_units_per_change": round(
            (ours["write_units"] - ours["unguarded_write_units"]) / n, 3
        ),
        "naive_write_units_per_change": round(naive["write_units"] / n, 3),
        "records_per_s": round(ours_rate, 1),
        "naive_records_per_s": round(naive_rate, 1),
        "throughput_ratio_vs_naive": round(ours_rate / naive_rate, 2),
        "distinct_message_groups": ours["groups"],
        "naive_distinct_message_groups": 1,
        "skip_rate_per_s": round(stale["skipped"] / stale["seconds"], 1) if stale["seconds"] else None,
        "target_matches_source": ours["correct"],
        "naive_target_matches_source": naive["correct"],
    }

    rows = [
        ("records", n, n),
        (
            "SendMessage(Batch) calls / 1000 records",
            result["send_calls_per_1000"],
            result["naive_send_calls_per_1000"],
        ),
        ("messages buffered / 1000 records", result["messages_per_1000"], 1000.0),
        ("write calls / 1000 records", result["write_calls_per_1000"], result["naive_write_calls_per_1000"]),
        (
            "write units / change (billed)",
            result["write_units_per_change"],
            result["naive_write_units_per_change"],
        ),
        ("  of which target (2x: transactional)", result["target_write_units_per_change"], "-"),
        ("  of which ledger (2x: transactional)", result["ledger_write_units_per_change"], "-"),
        ("  same writes without the guard", result["unguarded_write_units_per_change"], "-"),
        ("  the guard's cost", result["guard_cost_write_units_per_change"], "-"),
        ("message groups", result["distinct_message_groups"], 1),
        ("capture seconds", round(ours["capture_s"], 2), round(naive["capture_s"], 2)),
        ("replay seconds", round(ours["replay_s"], 2), round(naive["replay_s"], 2)),
        ("records / second (end to end)", result["records_per_s"], result["naive_records_per_s"]),
        ("target equals source", ours["correct"], naive["correct"]),
    ]
    print(f"{'metric':<42} {'ours':>14} {'naive':>14}")
    print("-" * 72)
    for name, a, b in rows:
        print(f"{name:<42} {a!s:>14} {b!s:>14}")
    print(
        f"stale backlog: {int(stale['skipped'])} changes skipped in {stale['seconds']:.2f} s "
        f"({result['skip_rate_per_s']} /s), {stale['target_items']} written"
    )
    print(f"throughput ratio (ours / naive): {result['throughput_ratio_vs_naive']}")
    print(json.dumps(result, sort_keys=True))
    model_ok = args.skip_model or scale_model.main([]) == 0
    return 0 if ours["correct"] and model_ok else 1


if __name__ == "__main__":
    sys.exit(main())
