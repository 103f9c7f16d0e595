"""Pipeline tests: the real subscriber and replay writer between a moto source and target table.

The property test drives random puts, updates and deletes of a few keys through stream ->
subscriber -> FIFO buffer -> poller -> replay writer, with faults injected at every hop, around a
simulated restore point, and asserts the target ends equal to the source item for item.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pitr import clients
from pitrctl.sim.data_path import DataPath, Faults

pytestmark = pytest.mark.slow

KEYS = [("a", 0), ("a", 1), ("b", 0), ("c", 5), ("d", 2), ("e", 0)]


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    clients.reset()
    yield
    clients.reset()


def _key(pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


operation = st.tuples(
    st.sampled_from(["put", "update", "delete", "ttl_delete", "big_put"]),
    st.integers(0, len(KEYS) - 1),
    st.integers(0, 1000),  # value
    st.booleans(),  # advance the stream clock by a second afterwards
    st.booleans(),  # run the subscriber afterwards
    st.booleans(),  # run the replay writer afterwards (only once replay is enabled)
)

fault_rates = st.fixed_dictionaries(
    {
        "send_entry": st.sampled_from([0.0, 0.1, 0.3, 0.5]),
        "send_call": st.sampled_from([0.0, 0.05]),
        "throttle": st.sampled_from([0.0, 0.1, 0.3]),
        "unprocessed": st.sampled_from([0.0, 0.2]),
        "crash": st.sampled_from([0.0, 0.05, 0.15]),
        "lost_delete": st.sampled_from([0.0, 0.1]),
        "duplicate_stream": st.sampled_from([0.0, 0.2]),
        "lost_message_delete": st.sampled_from([0.0, 0.1]),
        "late_duplicate_stream": st.sampled_from([0.0, 0.2]),
    }
)


def apply(path: DataPath, kind: str, key_index: int, value: int) -> None:
    pk, sk = KEYS[key_index]
    key = _key(pk, sk)
    ddb = path.ddb
    if kind == "put":
        ddb.put_item(
            TableName=path.source, Item={**key, "v": {"N": str(value)}, "b": {"B": bytes([value % 256])}}
        )
    elif kind == "big_put":
        # Random bytes do not compress: with the test's small body limit this change spills to S3.
        blob = random.Random(value).randbytes(1500)
        ddb.put_item(TableName=path.source, Item={**key, "v": {"N": str(value)}, "blob": {"B": blob}})
    elif kind == "update":
        ddb.update_item(
            TableName=path.source,
            Key=key,
            UpdateExpression="SET v = :v, l = list_append(if_not_exists(l, :e), :x)",
            ExpressionAttributeValues={
                ":v": {"N": str(value)},
                ":e": {"L": []},
                ":x": {"L": [{"NULL": True}]},
            },
        )
    else:
        ddb.delete_item(TableName=path.source, Key=key)


# Each example builds tables, a queue and a bucket in a fresh moto and pushes up to ~40 changes
# through every hop with faults (a few hundred API calls, ~0.5-1 s): 60 examples keep this test near
# 60 s on the 2-core CI machine while covering every fault combination many times over.
@settings(max_examples=60 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 30)
@given(
    before=st.lists(operation, max_size=15),
    after=st.lists(operation, min_size=1, max_size=25),
    rates=fault_rates,
    seed=st.integers(0, 2**32 - 1),
    batch_sizes=st.tuples(st.integers(1, 12), st.integers(1, 10)),
)
def test_target_converges_to_source_under_faults(
    before: list[tuple[Any, ...]],
    after: list[tuple[Any, ...]],
    rates: dict[str, float],
    seed: int,
    batch_sizes: tuple[int, int],
) -> None:
    stream_batch, fifo_batch = batch_sizes
    with mock_aws():
        clients.reset()
        faults = Faults(rng=random.Random(seed), **rates)
        path = DataPath.create(faults=faults, body_limit=1200, batch_size=fifo_batch)
        clock = float(int(time.time()) - 3600)

        def run(ops: list[tuple[Any, ...]], replaying: bool) -> None:
            nonlocal clock
            for kind, key_index, value, tick, subscribe, replay in ops:
                apply(path, kind, key_index, value)
                path.collect(at=clock, ttl=kind == "ttl_delete")
                clock += 1.0 if tick else 0.0
                if subscribe:
                    path.capture(batch_size=stream_batch)
                if replaying and replay:
                    path.replay()
                    if subscribe:
                        # Everything collected is buffered and the buffer is drained: the target
                        # must equal the source now, not only at the end (catches reorders that a
                        # later change of the item would hide).
                        assert path.table_items(path.target) == path.table_items(path.source)

        # The buffer captures changes before the restore; the restored table holds the source as of
        # the restore point; replay starts at the restore point (inclusive: changes of the same second
        # that the snapshot already holds are re-applied, which is harmless).
        run(before, replaying=False)
        restore_point = clock
        path.snapshot_into_target()
        path.set_restore(replay_start=restore_point + 0.5)  # sub-second restore point, as AWS reports
        run(after, replaying=True)
        path.capture(batch_size=stream_batch)
        path.replay()

        assert path.table_items(path.target) == path.table_items(path.source)
        assert path.poller.stats.dead_lettered == 0


def test_400kb_binary_item_round_trips_through_the_pipeline() -> None:
    """A ~400 KB binary attribute (random, so compression cannot help), end to end
    (docs/design.md#large-items)."""
    with mock_aws():
        path = DataPath.create()
        blob = os.urandom(399_000)
        path.set_restore(replay_start=time.time() - 5)
        path.ddb.put_item(TableName=path.source, Item={**_key("blob", 2), "blob": {"B": blob}})
        path.collect()
        path.capture()
        path.replay()
        target = path.table_items(path.target)
        assert target == path.table_items(path.source)
        assert target[("{'S': 'blob'}", "{'N': '2'}")]["blob"]["B"] == blob


def test_400kb_list_of_booleans_and_nulls_round_trips_through_buffer_and_writer() -> None:
    """The worst case of docs/design.md#large-items: a ~400 KB list of booleans and nulls, about 7x
    larger as DynamoDB JSON.

    moto needs ~35 s to serialise such an item through its stream and again for each read, so this
    test hands the subscriber the stream record Lambda would (same format as the stream driver's) and
    checks the exact item the writer sends to the target table (then written into moto).
    """
    with mock_aws():
        path = DataPath.create()
        values = [{"BOOL": True}, {"NULL": True}, {"BOOL": False}]
        item = {**_key("flags", 1), "flags": {"L": [values[i % 3] for i in range(195_000)]}}
        assert len(json.dumps(item)) > 2_500_000  # far over SQS's 1 MiB before compression
        now = float(int(time.time()))
        record = {
            "eventID": "e-flags",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": _key("flags", 1),
                "NewImage": item,
                "SequenceNumber": "1",
                "SizeBytes": 390_000,
                "ApproximateCreationDateTime": now,
            },
        }
        path.set_restore(replay_start=now)
        assert path.stream_handler({"Records": [record]}) == {"batchItemFailures": []}
        path.replay()
        ((request, _ledger),) = [r["TransactItems"] for r in path.writer_ddb.requests]
        assert request == {"Put": {"TableName": path.target, "Item": item}}
        assert path.ddb.describe_table(TableName=path.target)["Table"]["ItemCount"] == 1


def test_replay_skips_changes_before_the_replay_start_and_reports_lag() -> None:
    with mock_aws():
        path = DataPath.create()
        now = float(int(time.time()))
        for n, at in enumerate([now - 100, now - 50, now - 10]):
            path.ddb.put_item(TableName=path.source, Item={**_key(f"k{n}", n), "v": {"N": str(n)}})
            path.collect(at=at)
        path.capture()
        path.set_restore(replay_start=now - 50)
        path.replay()
        assert set(path.table_items(path.target)) == {
            ("{'S': 'k1'}", "{'N': '1'}"),
            ("{'S': 'k2'}", "{'N': '2'}"),
        }
        assert sum(path.metric_values("SkippedChanges")) == 1
        assert max(path.metric_values("ReplayLagSeconds")) >= 50


def test_binary_keys_and_every_attribute_type_round_trip() -> None:
    with mock_aws():
        path = DataPath.create(key_schema=(("id", "B"),))
        item = {
            "id": {"B": b"\x00\xffkey"},
            "s": {"S": "\u2603 snow \uffff"},
            "n": {"N": "-1.5e10"},
            "ss": {"SS": ["x", "y"]},
            "ns": {"NS": ["1", "2"]},
            "bs": {"BS": [b"\x01", b"\x02"]},
            "m": {"M": {"deep": {"L": [{"B": b"\x03"}, {"NULL": True}, {"BOOL": False}]}}},
        }
        path.ddb.put_item(TableName=path.source, Item=item)
        path.collect()
        path.capture()
        path.set_restore(replay_start=time.time() - 60)
        path.replay()
        assert path.table_items(path.target) == path.table_items(path.source)
        assert base64.b64encode(b"\x00\xffkey")  # the key went through group hashing as base64


class CrashOnCall:
    """SQS proxy whose N-th SendMessageBatch call crashes the function (not an SQS error)."""

    def __init__(self, real: Any, crash_on: int) -> None:
        self.real, self.crash_on, self.calls = real, crash_on, 0

    def send_message_batch(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.crash_on:
            raise RuntimeError("injected crash (out of memory, runtime killed)")
        return self.real.send_message_batch(**kwargs)


@pytest.mark.parametrize("bisect", [False, True])
def test_bisected_retry_after_partial_send_reorders(bisect: bool) -> None:
    """Why the stream mapping runs without BisectBatchOnFunctionError, and why the guard holds anyway.

    Batch [Z put, X put, X delete, Z put], one entry per request: attempt 1 buffers X's delete, then
    crashes. Retried whole, coalescing picks X's delete again (a duplicate): correct. Bisected, the
    first half [Z put, X put] buffers X's older put after its delete. Before the ordering guard the
    restored table kept an item the source deleted; now the writer keeps the change with the larger
    sequence number (in one batch, or through the ledger across batches). The mapping still does
    not bisect (fewer stale messages).
    """
    with mock_aws():
        path = DataPath.create()
        path.subscriber.max_entries = 1
        path.subscriber.sqs = CrashOnCall(path.sqs.real, crash_on=2)
        ddb = path.ddb
        ddb.put_item(TableName=path.source, Item={**_key("z", 0), "v": {"N": "1"}})
        ddb.put_item(TableName=path.source, Item={**_key("x", 0), "v": {"N": "1"}})
        ddb.delete_item(TableName=path.source, Key=_key("x", 0))
        ddb.put_item(TableName=path.source, Item={**_key("z", 0), "v": {"N": "2"}})
        path.collect()
        path.set_restore(replay_start=time.time() - 60)
        path.driver.deliver(path.stream_handler, batch_size=4, bisect=bisect)
        path.replay()
        assert path.table_items(path.target) == path.table_items(path.source)
