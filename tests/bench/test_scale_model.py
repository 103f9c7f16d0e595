"""The scale model's mechanics agree with the simulation kit's FIFO queue and poller.

The model (``bench/scale_model.py``) keeps its own compact FIFO buffer so a million messages fit in a
few seconds. These tests drive it and the kit's queue (``FakeFifoQueue``, the one ``make bench`` and
the pipeline tests use) with the same messages and the same receive/delete script, and compare every
batch: which groups, how many messages each (group holding, batches of at most ``batch_size``, as many
from one group as possible). The poller (``FifoPoller``) is checked the same way at concurrency 1.
Then the simulation's own invariants: never two batches of one group in flight, never more pollers
than ``maximum_concurrency``, the write units it charges, the capacity it reports. Last, the real
subscriber and replay writer (``make bench``'s in-process path) buffer the groups and write the items
the model counts.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from pitr import clients, codec
from pitrctl.sim.data_path import DataPath
from pitrctl.sim.faults import Faults
from pitrctl.sim.fifo_queue import FakeFifoQueue
from pitrctl.sim.sqs_mapping import FifoPoller

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import scale_model as sm  # noqa: E402
from bench.__main__ import batches, workload  # noqa: E402

pytestmark = pytest.mark.slow


def fill_kit_queue(groups: list[int]) -> FakeFifoQueue:
    queue = FakeFifoQueue()
    for seq, g in enumerate(groups):
        queue.send_message(
            QueueUrl=queue.url, MessageBody=str(seq), MessageGroupId=f"g{g}", MessageDeduplicationId=str(seq)
        )
    return queue


def kit_batch(response: dict[str, Any]) -> list[tuple[int, int]]:
    """``[(group, messages)]`` of a kit receive, groups in the order received."""
    out: list[tuple[int, int]] = []
    for m in response.get("Messages", []):
        g = int(m["Attributes"]["MessageGroupId"][1:])
        if out and out[-1][0] == g:
            out[-1] = (g, out[-1][1] + 1)
        else:
            out.append((g, 1))
    return out


@given(
    groups=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=60),
    batch_size=st.integers(min_value=1, max_value=10),
    concurrency=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_buffer_batches_match_the_kit_queue(
    groups: list[int], batch_size: int, concurrency: int, seed: int
) -> None:
    """Same messages, same script of concurrent receives and deletes: the same batches."""
    kit = fill_kit_queue(groups)
    model = sm.FifoBuffer.filled(groups, 7, 0.0)
    rng = random.Random(seed)
    in_flight: list[tuple[list[dict[str, Any]], list[tuple[int, int, float]]]] = []
    delivered = 0
    for _ in range(10 * len(groups) + 10):
        if in_flight and (len(in_flight) >= concurrency or rng.random() < 0.4):
            kit_msgs, model_batch = in_flight.pop(rng.randrange(len(in_flight)))
            for m in kit_msgs:
                kit.delete_message(QueueUrl=kit.url, ReceiptHandle=m["ReceiptHandle"])
            for g, _, _ in model_batch:
                model.delete(g)
            continue
        response = kit.receive_message(QueueUrl=kit.url, MaxNumberOfMessages=batch_size)
        model_batch = model.receive(batch_size)
        assert [(g, n) for g, n, _ in model_batch] == kit_batch(response)
        if not model_batch:
            if not in_flight:
                break
            continue
        delivered += sum(n for _, n, _ in model_batch)
        in_flight.append((response["Messages"], model_batch))
    assert delivered == len(groups)
    assert model.queued == 0


@pytest.mark.parametrize(
    ("groups", "batch_size"),
    [
        ([0, 0, 0, 1, 1, 2, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1], 10),
        ([5] * 25, 10),  # the naive design: one group, batches of 10 in order
        (list(range(30)), 10),  # every message its own group: 10 groups a batch
        ([0, 1] * 12, 3),
    ],
)
def test_sequential_simulation_matches_the_kit_poller(groups: list[int], batch_size: int) -> None:
    """At concurrency 1 the model's batches are the kit poller's invocations, one for one."""
    kit = fill_kit_queue(groups)
    seen: list[list[tuple[int, int]]] = []

    def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        batch: list[tuple[int, int]] = []
        for r in event["Records"]:
            g = int(r["attributes"]["MessageGroupId"][1:])
            if batch and batch[-1][0] == g:
                batch[-1] = (g, batch[-1][1] + 1)
            else:
                batch.append((g, 1))
        seen.append(batch)
        return {"batchItemFailures": []}

    FifoPoller(kit, kit.url, handler, batch_size=batch_size).drain()
    setup = sm.Setup(batch_size=batch_size, max_concurrency=2, initial_pollers=1, pollers_per_minute=1e-9)
    buffer = sm.FifoBuffer.filled(groups, max(groups) + 1, 0.0)
    result = sm.Simulation(setup, buffer, record_batches=True).run()
    assert result.batches == seen
    assert result.invocations == len(seen)


@given(
    groups=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=400),
    concurrency=st.integers(min_value=2, max_value=12),
    capacity=st.sampled_from([20.0, 200.0, 4000.0]),
    design=st.sampled_from(["ours", "guard", "naive"]),
)
def test_simulation_holds_groups_and_charges_write_units(
    groups: list[int], concurrency: int, capacity: float, design: str
) -> None:
    if design == "naive":
        groups = [0] * len(groups)
    # One poller at first and one more every 20 ms: pollers join while batches are in flight.
    setup = sm.Setup(
        design=design,
        max_concurrency=concurrency,
        initial_pollers=1,
        pollers_per_minute=3000.0,
        write_capacity=capacity,
        ledger_capacity=capacity,
    )
    buffer = sm.FifoBuffer.filled(groups, max(groups) + 1, 0.0)
    result = sm.Simulation(setup, buffer, record_batches=True).run()
    assert buffer.queued == 0
    # Every message delivered; the buffer is empty at the end.
    assert result.messages == len(groups)
    # A group is never in two batches at once (SQS holds it while a message is in flight).
    by_group: dict[int, list[tuple[float, float]]] = {}
    for start, end, batch_groups in result.spans:
        assert len(set(batch_groups)) == len(batch_groups)
        for g in batch_groups:
            by_group.setdefault(g, []).append((start, end))
    for intervals in by_group.values():
        intervals.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(intervals))
    # Never more invocations in flight than maximum_concurrency, nor than groups with messages.
    points = sorted([(s, 1) for s, _, _ in result.spans] + [(e, -1) for _, e, _ in result.spans])
    running = peak = 0
    for _, step in points:  # at equal times a deletion (-1) sorts before a receive (+1)
        running += step
        peak = max(peak, running)
    assert peak <= min(concurrency, len(set(groups)))
    assert result.peak_pollers <= concurrency
    # Batches: at most 10 messages; ours writes each of its groups once.
    assert all(sum(n for _, n in b) <= setup.batch_size for b in result.batches)
    assert sum(n for b in result.batches for _, n in b) == len(groups)
    # Write units: ours writes an item once per batch (1 WCU per KB), the guard transactionally
    # (2 + a 2-unit ledger row), the naive design once per message.
    per_write = {"ours": 1, "guard": 2, "naive": 1}[design]
    assert result.target_wcu == pytest.approx(result.writes * per_write)
    if design == "naive":
        assert result.writes == len(groups)
    else:
        assert result.writes <= len(groups)
    if design == "guard":
        assert result.ledger_wcu == pytest.approx(result.writes * 2)
    # The table never absorbs more than its capacity (plus its one-second bucket).
    assert result.target_wcu <= capacity * (result.seconds + 1.0) + 1e-6


@pytest.mark.parametrize("design", ["ours", "guard", "naive"])
def test_a_group_is_held_until_its_batch_is_deleted(design: str) -> None:
    """A poller joins every 6 ms all along: none may take the group between the write and the delete."""
    setup = sm.Setup(design=design, max_concurrency=1000, initial_pollers=1, pollers_per_minute=10_000.0)
    result = sm.Simulation(setup, sm.FifoBuffer.filled([0] * 200, 1, 0.0), record_batches=True).run()
    spans = sorted(result.spans)
    assert len(spans) == 20
    assert all(a_end <= b_start for (_, a_end, _), (b_start, _, _) in itertools.pairwise(spans))


def test_ours_fills_the_table_when_every_batch_holds_ten_items() -> None:
    """One change per item (cold): every batch is ten writes; 50 pollers want ~10,000 writes/s and
    the table gives 4,000, so the table is the limit and is almost fully used."""
    groups = list(range(60_000))
    setup = sm.Setup(max_concurrency=50)
    result = sm.Simulation(setup, sm.FifoBuffer.filled(groups, len(groups), 0.0)).run()
    assert result.capacity_share >= 0.9
    assert result.throttled_retries > 0
    assert result.seconds == pytest.approx(60_000 / 4000, rel=0.25)


def test_a_hot_backlog_is_bound_by_concurrency_not_the_table() -> None:
    """Many changes per item: SQS fills a batch from one group, so a batch is one write and 50
    pollers cannot use the table; more pollers can."""
    groups = [i % 500 for i in range(100_000)]
    slow = sm.Simulation(
        sm.Setup(max_concurrency=50, initial_pollers=50), sm.FifoBuffer.filled(groups, 500, 0.0)
    ).run()
    assert slow.writes == slow.invocations  # one item per batch
    assert slow.capacity_share < 0.5
    setup = sm.Setup(max_concurrency=200, initial_pollers=200)
    fast = sm.Simulation(setup, sm.FifoBuffer.filled(groups, 500, 0.0)).run()
    assert fast.seconds < slow.seconds * 0.7


def test_naive_design_is_serial() -> None:
    """One group: one invocation at a time, each message its own write."""
    setup = sm.Setup(design="naive")
    result = sm.Simulation(setup, sm.FifoBuffer.filled([0] * 1000, 1, 0.0)).run()
    lat = setup.latencies
    cycle = lat.receive + lat.invoke + 10 * lat.put + lat.delete
    assert result.invocations == 100
    assert result.seconds == pytest.approx(100 * cycle, rel=1e-6)


def test_on_demand_capacity_doubles_only_after_thirty_minutes() -> None:
    table = sm.Capacity(100.0, on_demand=True)
    t = 0.0
    while t < 1800.0:  # saturate the table for 30 minutes: 100 units in each second
        table.take(t, 1000, 1.0)
        t += 1.0
    assert table.rate == 100.0
    table.take(1805.0, 1000, 1.0)
    assert table.rate == pytest.approx(200.0)
    provisioned = sm.Capacity(100.0, on_demand=False)
    provisioned.take(0.0, 1000, 1.0)
    provisioned.take(4000.0, 1000, 1.0)
    assert provisioned.rate == 100.0


def test_buffered_groups_coalesce_per_stream_batch() -> None:
    items = [1, 2, 1, 1, 3] + [1] * 95 + [2, 2]
    assert sm.buffered_groups(items, "ours", stream_batch=100) == [2, 3, 1, 2]
    assert sm.buffered_groups(items, "naive") == [0] * len(items)


def test_waiter_needs_the_quiet_period_after_the_request() -> None:
    rng = random.Random(1)
    drained = sm.waiter_drained_at(since=100.0, empty_at=50.0, quiet=60.0, rng=rng)
    assert 160.0 <= drained <= 170.0
    drained = sm.waiter_drained_at(since=100.0, empty_at=130.0, quiet=60.0, rng=rng)
    assert 190.0 <= drained <= 200.0


def test_runs_are_deterministic() -> None:
    w = sm.Workload(2_000, "hot", 20_000, seed=7)
    a = sm.Simulation(sm.Setup(), sm.prepare(w).buffer).run()
    b = sm.Simulation(sm.Setup(), sm.prepare(w).buffer).run()
    assert (a.seconds, a.writes, a.throttled_retries) == (b.seconds, b.writes, b.throttled_retries)


def test_every_parameter_has_a_source() -> None:
    for name, p in sm.PARAMETERS.items():
        assert p.source in ("AWS", "assumed", "module default"), name
        assert p.quote, name
        if p.source == "AWS":
            assert p.url.startswith("https://"), name


def test_main_prints_a_table_and_json_last(capsys: pytest.CaptureFixture[str]) -> None:
    assert sm.main(["--changes", "20000"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["model"] == "scale"
    assert {r["items"] for r in result["drain"]} >= {1_000, 1_000_000}
    compared = [r for r in result["drain"] if "naive_drain_s" in r]
    assert compared and all(r["naive_drain_s"] > r["ours_drain_s"] for r in compared)
    rows = {
        (r["items"], r["sizing"], r["maximum_concurrency"], r["pollers_from_start"]) for r in result["drain"]
    }
    # The module's sizing (200 for a new on-demand table), the former fixed 50, and the sized pollers
    # all started at once where the ramp held the module's drain under 90%.
    assert {(1_000, "module", 200, False), (1_000, "fixed", 50, False), (1_000, "module", 200, True)} <= rows
    ready = {r["items"] for r in result["drain"] if r["pollers_from_start"]}
    assert all(
        r["ours_capacity_share"] < 0.9
        for r in result["drain"]
        if r["sizing"] == "module" and not r["pollers_from_start"] and r["items"] in ready
    )
    sized = [r for r in result["drain"] if r["sizing"] == "module" and not r["pollers_from_start"]]
    assert all(r["warm_write_units_per_second"] > 0 for r in sized)
    criterion = result["criterion"]["rows"]
    assert {r["design"] for r in criterion} <= {"ours", "guard"}
    assert all(r["items"] >= 10 * r["maximum_concurrency"] for r in criterion)
    assert [r["live_changes_per_s"] for r in result["cutover"] if r["design"] == "ours"] == [100, 1000, 2500]
    assert all(r["pause_s"] > 0 for r in result["cutover"])


def test_bad_setup_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert sm.main(["--batch-size", "11"]) == 2
    assert "batch sizes from 1 to 10" in capsys.readouterr().err


@pytest.mark.parametrize(("records", "items"), [(600, 40), (800, 2_000)])
def test_model_counts_what_the_real_subscriber_and_writer_do(records: int, items: int) -> None:
    """The real subscriber and replay writer, through the kit's queue and poller, against the model:
    the same buffered groups in the same order (coalesced per stream batch), the same invocations,
    one transaction per batch, and the same items written (each item once per batch, with its ledger
    row)."""
    start = 1_700_000_000.0
    stream = workload(records, items, seed=11, start=start)
    with mock_aws():
        clients.reset()
        queue = FakeFifoQueue()
        sent: list[str] = []
        real_send = queue.send_message_batch

        def recording_send(**kwargs: Any) -> dict[str, Any]:
            sent.extend(e["MessageGroupId"] for e in kwargs["Entries"])
            return real_send(**kwargs)

        queue.send_message_batch = recording_send  # type: ignore[method-assign]
        path = DataPath.create(faults=Faults(), queue=queue)
        path.set_restore(replay_start=start - 3600)
        for batch in batches(stream):
            path.subscriber.process(batch)
        path.replay()
        # The writer (with the ordering guard) sends one TransactWriteItems per batch: each item's
        # write on the target and its ledger row.
        actions = [
            op["TableName"]
            for call in path.writer_ddb.requests
            for action in call.get("TransactItems", [])
            for op in action.values()
        ]
        written = actions.count(path.target)
        ledger_rows = len(actions) - written
        invocations = path.poller.stats.invocations

    # Number the items in order of first change; the subscriber's groups are hashes of their keys.
    ids: dict[str, int] = {}
    item_of_group: dict[str, int] = {}
    item_ids = []
    for r in stream:
        keys = r["dynamodb"]["Keys"]
        item = ids.setdefault(codec.canonical_key(keys), len(ids))
        item_of_group[codec.group_id(keys)] = item
        item_ids.append(item)
    model_groups = sm.buffered_groups(item_ids, "ours")
    assert [item_of_group[g] for g in sent] == model_groups

    setup = sm.Setup(design="guard", max_concurrency=2, initial_pollers=1, pollers_per_minute=1e-9)
    result = sm.Simulation(setup, sm.FifoBuffer.filled(model_groups, len(ids), 0.0)).run()
    assert result.invocations == invocations == len(path.writer_ddb.requests)
    assert result.writes == written == ledger_rows
    assert result.target_wcu == 2 * written  # transactional: 2 write units per item up to 1 KB


def test_the_suggested_concurrency_fills_the_table() -> None:
    """``concurrency_for_table`` from a run at 50 pollers: a run with that many (all started at once)
    uses most of the table, where 50 used under half of it."""
    groups = [i % 3000 for i in range(150_000)]
    slow = sm.Simulation(
        sm.Setup(max_concurrency=50, initial_pollers=50), sm.FifoBuffer.filled(groups, 3000, 0.0)
    ).run()
    assert slow.capacity_share < 0.5
    suggested = sm.concurrency_for_table(sm.Setup(), slow.writes / slow.invocations)
    assert 50 < suggested <= 1000
    setup = sm.Setup(max_concurrency=suggested, initial_pollers=suggested)
    fast = sm.Simulation(setup, sm.FifoBuffer.filled(groups, 3000, 0.0)).run()
    assert fast.capacity_share >= 0.85


SMALL = {"write_capacity": 1000.0, "ledger_capacity": 1000.0}  # a table that drains in seconds, not minutes


def _sized_run(groups: list[int], design: str, *, ready: bool) -> sm.Result:
    setup = sm.Setup(design=design, **SMALL)
    sizing = sm.module_sizing(setup, len(groups), sm.replay_sizing.DEFAULT_MAXIMUM_CONCURRENCY)
    setup = sm.replace(setup, max_concurrency=sizing.concurrency)
    if ready:
        setup = sm.replace(setup, initial_pollers=sizing.concurrency)
    return sm.Simulation(setup, sm.FifoBuffer.filled(groups, max(groups) + 1, 0.0)).run()


@pytest.mark.parametrize("design", ["ours", "guard"])
def test_the_module_sizing_fills_the_table_for_a_repetitive_backlog(design: str) -> None:
    """A backlog of 600 items (10x the sized concurrency and more) changed 250 times each: SQS gives
    one item per batch. On a 1,000-unit table the concurrency the module's code picks
    (``pitr.replay_sizing``, the same code the steps function runs) keeps the table >= 90% busy once
    the pollers are up (the whole drain with them all started at once, after the ramp otherwise),
    where a fifth of it leaves the table mostly idle."""
    groups = [i % 600 for i in range(150_000)]
    sized = sm.module_sizing(sm.Setup(**SMALL), len(groups), 200).concurrency
    assert sized == 50
    assert len(set(groups)) >= 10 * sized
    ready = _sized_run(groups, design, ready=True)
    assert ready.capacity_share >= 0.9
    ramped = _sized_run(groups, design, ready=False)
    assert ramped.capacity_share_after_ramp is not None and ramped.capacity_share_after_ramp >= 0.9
    assert ramped.capacity_share < ready.capacity_share, "the ramp costs the first seconds"
    fixed = sm.Simulation(
        sm.Setup(design=design, max_concurrency=sized // 5, **SMALL), sm.FifoBuffer.filled(groups, 600, 0.0)
    ).run()
    assert fixed.capacity_share < 0.6
    assert ramped.seconds < fixed.seconds


def test_the_share_after_the_ramp_counts_from_the_last_poller() -> None:
    """No ramp (every poller at once): the two shares are the same; a drain over before the last
    poller starts has none."""
    groups = list(range(20_000))
    setup = sm.Setup(max_concurrency=50, initial_pollers=50)
    run = sm.Simulation(setup, sm.FifoBuffer.filled(groups, len(groups), 0.0)).run()
    assert run.ramp_end_s == 0.0
    assert run.capacity_share_after_ramp == pytest.approx(run.capacity_share)
    short = sm.Simulation(sm.Setup(max_concurrency=1000), sm.FifoBuffer.filled(groups[:500], 500, 0.0)).run()
    assert short.capacity_share_after_ramp is None


def test_the_model_raises_the_ledger_as_the_steps_function_does() -> None:
    """A target warmed to 12,000 units: the ledger follows it within the pre-warm bound, else stays at
    a new table's 4,000 and caps the guard's replay (and its sizing) there."""
    setup = sm.Setup(design="guard", write_capacity=12_000.0, warm_write_units_max=40_000)
    sizing = sm.module_sizing(setup, 1_000_000, 1000)
    assert sizing.ledger_warm_write_units_per_second == 12_000 and sizing.write_capacity == 12_000
    assert sm.sized_setup(setup, sizing).ledger_capacity == 12_000.0
    assert sm.sized_setup(setup, sizing).max_concurrency == sizing.concurrency
    bounded = sm.module_sizing(replace(setup, warm_write_units_max=8000), 1_000_000, 1000)
    assert sm.sized_setup(setup, bounded).ledger_capacity == 8000.0 == bounded.write_capacity
    cold = sm.module_sizing(replace(setup, warm_write_units_max=0), 1_000_000, 1000)
    assert cold.ledger_warm_write_units_per_second == 0 and cold.write_capacity == 4000
    assert sm.sized_setup(setup, cold).ledger_capacity == 4000.0
