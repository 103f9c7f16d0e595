"""Scale model of the replay path on AWS: a deterministic discrete-event simulation in plain Python.

``make bench`` measures the data path in one process; what decides how fast a restored table catches
up on AWS is parallelism across message groups, the poller's concurrency, call latencies and the
restored table's write capacity. This model simulates those, for a backlog of changes in the buffer:

* the buffer: a FIFO queue of messages in message groups (one group per item for ours, one group for
  the naive design). A receive takes up to ``batch_size`` messages, as many as possible from the first
  available group before moving to the next, and a group with a message in flight delivers nothing
  else (``SQS_RECEIVE`` and ``SQS_GROUP_HELD``); groups keep their place until they are empty, as in
  the simulation kit's queue (``pitrctl/sim/fifo_queue.py``), which ``tests/bench`` checks;
* the replay mapping: pollers, each receive -> invoke -> write -> delete, at most the maximum
  concurrency at once and no more than the groups that have something to deliver
  (``LAMBDA_FIFO_SCALING``, ``LAMBDA_MAX_CONCURRENCY``), starting with 5 and adding up to 300 a minute
  (``LAMBDA_SQS_RAMP``). The maximum concurrency is what the module's steps function sets at replay
  start for the backlog and the table (``module_sizing`` calls the same ``pitr.replay_sizing.plan``),
  under the ceiling ``--maximum-concurrency``; each backlog is also drained at the former fixed 50,
  and with the sized pollers all started at once (no ramp, as provisioned mode would);
* the writer: ours writes each item of a batch once (its newest change) in one ``BatchWriteItem``
  (``BATCH_WRITE_ITEMS``); with the ordering guard (``pitr.guard``), one
  ``TransactWriteItems`` per batch holding each item's write and its ledger row, all or nothing
  (``TRANSACT_ACTIONS``, ``TRANSACT_ATOMIC``, ``TRANSACT_WCU``); the naive design one ``PutItem`` per
  message, one after the other;
* the target (and the guard's ledger table): a token bucket refilled at the table's write capacity,
  one second deep. Writes beyond it are throttled (``UnprocessedItems``; a whole transaction) and
  retried after the replay writer's own backoff (``pitr.backoff``, 50 ms doubling to 2 s, full
  jitter). On-demand capacity starts at the warm throughput (``ON_DEMAND_NEW_TABLE``) and may double
  the previous peak once that peak is 30 minutes old (``ON_DEMAND_DOUBLING``); provisioned capacity
  is fixed.

Every AWS parameter is in :data:`PARAMETERS` with its source: an AWS documentation sentence (quoted,
with the page). The call latencies (:class:`Latencies`) are assumed: AWS documents no number beyond
DynamoDB's single-digit milliseconds and no AWS account is reachable from here, so nothing is
measured on AWS (``--latency-scale`` moves them all). The guard's ledger is a table of its own, on
demand, idle until replay (so at a new table's 4,000 writes a second) unless the steps function
raises it at replay start to the target's capacity, bounded by ``--warm-write-units-max`` (the
module's ``warm_throughput_max_write_units_per_second``, default 0: no raise), which the model applies
from the start like the target's. The module's own settings
(``caught_up_lag_seconds``, ``drain_quiet_seconds``, the waiter's window and poll schedule) come from
``pitr``. What the model leaves out is listed in ``docs/tuning.md``.

Output: a table, then one JSON object as the last line. ``python -m bench.scale_model --help``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sys
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pitr import replay_sizing
from pitr.restore_waiter import CAUGHT_UP_WINDOW_SECONDS, WaiterConfig, drain_schedule


@dataclass(frozen=True)
class Parameter:
    value: float
    unit: str
    source: str  # "AWS" (quoted below), "assumed", or "module default"
    quote: str
    url: str = ""


PARAMETERS: dict[str, Parameter] = {
    "SQS_FIFO_BATCH_TPS": Parameter(
        3000,
        "messages/s per API action (non-high-throughput FIFO, batches of 10)",
        "AWS",
        "If you use batching, non-high throughput FIFO queues support up to 3,000 messages per second, "
        "per API action (SendMessage, ReceiveMessage, and DeleteMessage). The 3,000 messages per second "
        "represent 300 API calls, each with a batch of 10 messages.",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html",
    ),
    "SQS_FIFO_HIGH_THROUGHPUT_TPS": Parameter(
        70000,
        "API calls/s per API action (high throughput mode, us-east-1, us-west-2, eu-west-1)",
        "AWS",
        "US East (N. Virginia), US West (Oregon), and Europe (Ireland): Up to 70,000 transactions per "
        "second (TPS).",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html",
    ),
    "SQS_RECEIVE": Parameter(
        10,
        "messages per receive, from as few groups as possible",
        "AWS",
        "When you specify a MaxNumberOfMessages parameter in the ReceiveMessage API call, SQS returns as "
        "many messages with the same message group ID as possible. The ReceiveMessage API call can also "
        "return messages from other available message groups.",
        "https://repost.aws/knowledge-center/sqs-fifo-messages-not-returned",
    ),
    "SQS_GROUP_HELD": Parameter(
        1,
        "batches in flight per message group",
        "AWS",
        "Inflight messages block delivery of available messages within the same message group.",
        "https://repost.aws/knowledge-center/sqs-fifo-messages-not-returned",
    ),
    "SQS_FIFO_INFLIGHT": Parameter(
        120000,
        "messages in flight (never reached here: at most maximum_concurrency x 10)",
        "AWS",
        "FIFO queues support a maximum of 120,000 in-flight messages (messages received by a consumer "
        "but not yet deleted).",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
        "avoid-backlog-with-the-same-message-group-id.html",
    ),
    "LAMBDA_FIFO_BATCH": Parameter(
        10,
        "messages per invocation (maximum for FIFO; the module's default)",
        "AWS",
        "BatchSize ... For standard queues, the maximum is 10,000. For FIFO queues, the maximum is 10.",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html",
    ),
    "LAMBDA_FIFO_SCALING": Parameter(
        0,
        "concurrency = min(active message groups, maximum_concurrency)",
        "AWS",
        "If you use FIFO event source mapping, then functions can scale in concurrency to the number of "
        "active message groups.",
        "https://repost.aws/knowledge-center/lambda-sqs-scaling",
    ),
    "LAMBDA_MAX_CONCURRENCY": Parameter(
        200,
        "concurrent invocations at most (replay_writer.maximum_concurrency, the ceiling the steps function "
        "sizes replay under, pitr.replay_sizing; AWS allows 2 to 1000)",
        "module default",
        "MaximumConcurrency: Limits the number of concurrent instances that the Amazon SQS event source "
        "can invoke. ... Valid Range: Minimum value of 2. Maximum value of 1000.",
        "https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html",
    ),
    "LAMBDA_SQS_RAMP": Parameter(
        300,
        "pollers added per minute, from 5 (documented for standard queues; applied to FIFO here)",
        "AWS",
        "When messages are available, Lambda starts processing five batches at a time with five "
        "concurrent invocations of your function. If messages are still available, Lambda increases the "
        "number of processes that are reading batches by up to 300 more concurrent invokes per minute.",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html",
    ),
    "LAMBDA_PROVISIONED_POLLERS": Parameter(
        10,
        "concurrent invokes per provisioned poller (provisioned mode: pollers ready from the start)",
        "AWS",
        "Configures the minimum (2-200) and maximum (2-2000) number of dedicated event pollers for the "
        "SQS event source mapping. Each poller can handle up to 1 MB/sec of throughput and 10 "
        "concurrent invokes.",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html",
    ),
    "BATCH_WRITE_ITEMS": Parameter(
        25,
        "put or delete requests per BatchWriteItem",
        "AWS",
        "A single call to BatchWriteItem can transmit up to 16MB of data over the network, consisting of "
        "up to 25 item put or delete operations.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html",
    ),
    "TRANSACT_ACTIONS": Parameter(
        100,
        "actions per TransactWriteItems (the guard: an item's write and its ledger row are two)",
        "AWS",
        "TransactWriteItems is a synchronous write operation that groups up to 100 action requests.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html",
    ),
    "TRANSACT_ATOMIC": Parameter(
        0,
        "a throttled transaction writes nothing (retried whole)",
        "AWS",
        "The actions are completed atomically so that either all of them succeed, or all of them fail.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html",
    ),
    "WCU_PER_KB": Parameter(
        1,
        "write units per standard write of an item up to 1 KB (BatchWriteItem, PutItem)",
        "AWS",
        "For items up to 1 KB in size, one WCU can perform one standard write request per second.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html",
    ),
    "TRANSACT_WCU": Parameter(
        2,
        "write units per transactional write of an item up to 1 KB (TransactWriteItems)",
        "AWS",
        "Transactional write requests require two WCUs to perform one write per second for items up to 1 KB.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html",
    ),
    "ON_DEMAND_NEW_TABLE": Parameter(
        4000,
        "write units/s a new on-demand table sustains (its warm throughput until raised)",
        "AWS",
        "New on-demand tables will be able to sustain up to 4,000 writes per second and 12,000 reads "
        "per second.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
        "pre-warming-on-demand-capacity-mode.html",
    ),
    "ON_DEMAND_DOUBLING": Parameter(
        1800,
        "seconds before on-demand capacity may double the previous peak",
        "AWS",
        "The overall table won't be throttled if the table access is distributed evenly across "
        "partitions and the table doesn't exceed twice its previous peak traffic. However, throttling "
        "can still occur if the throughput exceeds twice the previous peak within the same 30 minutes.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
        "pre-warming-on-demand-capacity-mode.html",
    ),
    "WARM_THROUGHPUT": Parameter(
        0,
        "write units/s a table serves at once (raise it ahead of the replay: pre-warming)",
        "AWS",
        "Warm throughput refers to the number of read and write operations your DynamoDB table can "
        "instantaneously support.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput.html",
    ),
    "PARTITION_WCU": Parameter(
        1000,
        "write units/s per partition (one item's writes; ours writes an item at most once per batch)",
        "AWS",
        "each individual partition is limited to 1,000 write units per second and 3,000 read units per "
        "second.",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html",
    ),
    "DYNAMODB_LATENCY": Parameter(
        0,
        "DynamoDB answers in single-digit milliseconds (the latencies below are chosen inside that)",
        "AWS",
        "Amazon DynamoDB is a key-value and document database that delivers single-digit millisecond "
        "performance at any scale.",
        "https://aws.amazon.com/dynamodb/",
    ),
    "STREAM_POLL": Parameter(
        0.25,
        "seconds between the subscriber mapping's polls of a stream shard",
        "AWS",
        "Lambda polls shards in your DynamoDB stream for records at a base rate of 4 times per second.",
        "https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html",
    ),
}


def _p(name: str) -> float:
    return PARAMETERS[name].value


SUBSCRIBER_STREAM_BATCH = 100  # cdc_subscriber.batch_size default: the subscriber coalesces per batch
# The module's defaults (WaiterConfig's defaults are Terraform's).
CAUGHT_UP_LAG_SECONDS = float(WaiterConfig.caught_up_lag_seconds)
DRAIN_QUIET_SECONDS = float(WaiterConfig.drain_quiet_seconds)
PITRCTL_INTERVAL_SECONDS = 10.0  # pitrctl --interval default (cutover polls the workflow)


@dataclass(frozen=True)
class Latencies:
    """Seconds per call. Assumed, not measured (no AWS account from here): DynamoDB's inside its
    documented single-digit milliseconds, SQS and Lambda's typical of same-region calls."""

    receive: float = 0.015  # ReceiveMessage by the mapping's poller
    invoke: float = 0.010  # synchronous invoke of a warm function, plus decoding the batch
    batch_write: float = 0.012  # BatchWriteItem of up to 25 items
    put: float = 0.006  # PutItem / DeleteItem
    transact: float = 0.020  # TransactWriteItems of a batch's items and their ledger rows
    delete: float = 0.012  # DeleteMessageBatch by the mapping after the function returns
    stream_to_buffer: float = 1.4  # stream poll (<= 0.25 s) + batching window (1 s) + SendMessageBatch
    cutover_phase: float = 5.0  # disable replay, settings_sync "cutover", notify "switch now"


@dataclass(frozen=True)
class Setup:
    """One simulated replay: the design, the mapping, the target's capacity."""

    design: str = "ours"  # "ours", "guard" (ours with the ordering guard) or "naive"
    batch_size: int = int(_p("LAMBDA_FIFO_BATCH"))
    max_concurrency: int = int(_p("LAMBDA_MAX_CONCURRENCY"))
    initial_pollers: int = 5  # LAMBDA_SQS_RAMP: "starts processing five batches at a time"
    pollers_per_minute: float = _p("LAMBDA_SQS_RAMP")
    item_kb: float = 1.0
    capacity_mode: str = "on_demand"  # or "provisioned"
    write_capacity: float = _p("ON_DEMAND_NEW_TABLE")  # on demand: warm write units/s; provisioned: WCU
    ledger_capacity: float = _p("ON_DEMAND_NEW_TABLE")  # the guard's ledger table, idle until replay
    # warm_throughput_max_write_units_per_second: bounds the ledger's raise at replay start (0: none)
    warm_write_units_max: int = 0
    latencies: Latencies = field(default_factory=Latencies)
    seed: int = 20261130

    def __post_init__(self) -> None:
        if self.design not in ("ours", "guard", "naive"):
            raise ValueError(f"unknown design {self.design!r}")
        if not 1 <= self.batch_size <= 10:
            raise ValueError("a FIFO event source mapping takes batch sizes from 1 to 10")
        if not 2 <= self.max_concurrency <= 1000:
            raise ValueError("maximum_concurrency is 2 to 1000")
        if self.capacity_mode not in ("on_demand", "provisioned"):
            raise ValueError(f"unknown capacity mode {self.capacity_mode!r}")
        if self.warm_write_units_max < 0:
            raise ValueError("warm_write_units_max must be >= 0")
        if min(self.write_capacity, self.ledger_capacity) < self.batch_size * self.target_wcu_per_write:
            raise ValueError("a write capacity under one batch's write units a second never drains")

    @property
    def target_wcu_per_write(self) -> int:
        return max(1, math.ceil(self.item_kb)) * int(
            _p("TRANSACT_WCU" if self.design == "guard" else "WCU_PER_KB")
        )

    def write_seconds(self, writes: int) -> float:
        """How long the invocation's writes take when nothing is throttled."""
        lat = self.latencies
        if self.design == "ours":
            return math.ceil(writes / _p("BATCH_WRITE_ITEMS")) * lat.batch_write
        if self.design == "guard":  # two actions per item: the item and its ledger row
            return math.ceil(2 * writes / _p("TRANSACT_ACTIONS")) * lat.transact
        return writes * lat.put


# -- workload ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """``changes`` changes over ``items`` items: ``cold`` spreads them evenly, ``hot`` puts half of
    them on 1% of the items."""

    items: int
    access: str = "cold"
    changes: int = 1_000_000
    seed: int = 20261130

    @property
    def hot_items(self) -> int:
        return max(1, self.items // 100)


def change_items(w: Workload) -> list[int]:
    """The item of each change, in stream order."""
    rng = random.Random(w.seed)
    rand, n = rng.random, w.items
    if w.access == "cold":
        return [int(rand() * n) for _ in range(w.changes)]
    if w.access != "hot":
        raise ValueError(f"unknown access pattern {w.access!r}")
    hot = w.hot_items
    return [int(rand() * hot) if rand() < 0.5 else int(rand() * n) for _ in range(w.changes)]


def buffered_groups(
    items: Sequence[int], design: str, stream_batch: int = SUBSCRIBER_STREAM_BATCH
) -> list[int]:
    """The message group of each buffered message, in send order.

    Ours: the subscriber coalesces each stream batch to each item's newest change (in stream order of
    those newest changes), one group per item. Naive: one message per change, all in group 0.
    """
    if design == "naive":
        return [0] * len(items)
    out: list[int] = []
    for start in range(0, len(items), stream_batch):
        chunk = items[start : start + stream_batch]
        out.extend(reversed(dict.fromkeys(reversed(chunk))))
    return out


# -- the buffer ----------------------------------------------------------------------------------------


class FifoBuffer:
    """Messages in groups; a group keeps its place in line until it is empty.

    Arrays instead of objects, so a million messages over a million groups stays small and fast.
    """

    def __init__(self, groups: int) -> None:
        self.head = array("l", [-1]) * groups
        self.tail = array("l", [-1]) * groups
        self.count = array("l", [0]) * groups
        self.held = array("b", [0]) * groups
        self.place = array("l", [-1]) * groups
        self.nxt = array("l")
        self.sent_at = array("d")
        self.group_at: list[int] = []  # place -> group
        self.ready: list[int] = []  # heap of places of groups with something to deliver
        self.queued = 0

    @classmethod
    def filled(cls, groups: Sequence[int], group_count: int, span: float) -> FifoBuffer:
        """A buffer holding ``groups`` in send order, sent evenly over the ``span`` seconds before 0."""
        buf = cls(group_count)
        head, tail, count, place, group_at = buf.head, buf.tail, buf.count, buf.place, buf.group_at
        nxt = array("l", [-1]) * len(groups)
        for seq, g in enumerate(groups):  # ``send`` inlined: a million messages
            last = tail[g]
            if last < 0:
                head[g] = seq
                place[g] = len(group_at)
                group_at.append(g)
            else:
                nxt[last] = seq
            tail[g] = seq
            count[g] += 1
        buf.nxt = nxt
        buf.ready = list(range(len(group_at)))  # places in increasing order: already a heap
        buf.queued = len(groups)
        buf.sent_at = array("d", [0.0]) * len(groups)
        buf.spread(span)
        return buf

    def copy(self) -> FifoBuffer:
        other = FifoBuffer(0)
        for name in ("head", "tail", "count", "held", "place", "nxt", "sent_at"):
            setattr(other, name, array(getattr(self, name).typecode, getattr(self, name)))
        other.group_at = list(self.group_at)
        other.ready = list(self.ready)
        other.queued = self.queued
        return other

    def spread(self, span: float) -> None:
        """Re-time the messages as sent evenly over the ``span`` seconds before 0 (in send order)."""
        n = len(self.sent_at)
        step = span / n if n else 0.0
        self.sent_at = array("d", (-span + i * step for i in range(n)))

    def send(self, group: int, at: float) -> None:
        seq = len(self.nxt)
        self.nxt.append(-1)
        self.sent_at.append(at)
        if self.count[group] == 0:
            self.head[group] = seq
            self.place[group] = len(self.group_at)
            self.group_at.append(group)
            if not self.held[group]:
                heapq.heappush(self.ready, self.place[group])
        else:
            self.nxt[self.tail[group]] = seq
        self.tail[group] = seq
        self.count[group] += 1
        self.queued += 1

    def receive(self, limit: int) -> list[tuple[int, int, float]]:
        """``[(group, messages, oldest send time)]``: as many from the first ready group as possible,
        then from the next ready group, up to ``limit`` messages."""
        out: list[tuple[int, int, float]] = []
        ready, group_at, count, held, head, sent_at = (
            self.ready,
            self.group_at,
            self.count,
            self.held,
            self.head,
            self.sent_at,
        )
        while ready and limit:
            group = group_at[heapq.heappop(ready)]
            n = count[group] if count[group] < limit else limit
            held[group] = n
            out.append((group, n, sent_at[head[group]]))
            limit -= n
        return out

    def delete(self, group: int) -> None:
        """Delete the group's messages in flight; the group is ready again if it holds more."""
        self.release([(group, 0, 0.0)])

    def release(self, batch: Sequence[tuple[int, int, float]]) -> float:
        """Delete a received batch (``receive``'s answer); returns its oldest send time."""
        held, head, count, nxt, sent_at = self.held, self.head, self.count, self.nxt, self.sent_at
        oldest = math.inf
        for group, _, _ in batch:
            n = held[group]
            seq = head[group]
            oldest = min(oldest, sent_at[seq])
            for _ in range(n):
                seq = nxt[seq]
            left = count[group] - n
            count[group] = left
            self.queued -= n
            held[group] = 0
            head[group] = seq
            if left:
                heapq.heappush(self.ready, self.place[group])
            else:
                self.tail[group] = -1
        return oldest


# -- the tables ----------------------------------------------------------------------------------------


class Capacity:
    """A table's write capacity: a token bucket one second deep.

    On demand: starts at the warm throughput and may double the previous peak once that peak is 30
    minutes old (``ON_DEMAND_DOUBLING``). Provisioned: fixed.
    """

    def __init__(
        self, rate: float, on_demand: bool, doubling_after: float = _p("ON_DEMAND_DOUBLING")
    ) -> None:
        self.base = rate
        self.rate = rate
        self.on_demand = on_demand
        self.doubling_after = doubling_after
        self.tokens = rate
        self.at = 0.0
        self.used = 0.0
        self.provided = 0.0  # the rate integrated over time: what the table could have absorbed
        self.seconds: list[float] = [0.0]  # units used in each whole second since 0
        self.aged = 0  # seconds already folded into aged_peak
        self.aged_peak = 0.0  # the peak of the seconds at least ``doubling_after`` old

    def _advance(self, now: float) -> None:
        elapsed = now - self.at
        if elapsed <= 0:
            return
        if self.on_demand:
            horizon = min(int(now - self.doubling_after), len(self.seconds))
            if self.aged < horizon:
                self.aged_peak = max(self.aged_peak, *self.seconds[self.aged : horizon])
                self.aged = horizon
                self.rate = max(self.base, 2 * self.aged_peak)
        self.provided += self.rate * elapsed
        tokens = self.tokens + self.rate * elapsed
        self.tokens = tokens if tokens < self.rate else self.rate
        self.at = now

    def _count(self, now: float, units: float) -> None:
        second = int(now)
        seconds = self.seconds
        if second >= len(seconds):
            seconds.extend([0.0] * (second + 1 - len(seconds)))
        seconds[second] += units
        self.used += units

    def take(self, now: float, writes: int, each: float) -> int:
        """Grant up to ``writes`` writes of ``each`` units; returns how many the bucket allows."""
        self._advance(now)
        granted = min(int(self.tokens // each), writes)
        if granted:
            self.tokens -= granted * each
            self._count(now, granted * each)
        return granted

    def available(self, now: float, each: float) -> int:
        """How many writes of ``each`` units the table would take now."""
        self._advance(now)
        return int(self.tokens // each)

    def provided_until(self, now: float) -> float:
        self._advance(now)
        return self.provided


# -- the simulation ------------------------------------------------------------------------------------

POLL, WRITE, DONE, SPAWN, ARRIVE = range(5)


@dataclass
class Result:
    seconds: float = 0.0  # until the buffer was empty (drain) or the run stopped
    messages: int = 0
    invocations: int = 0
    writes: int = 0  # item writes applied to the target
    target_wcu: float = 0.0
    ledger_wcu: float = 0.0
    throttled_retries: int = 0
    capacity_share: float = 0.0  # target write units used / what the target could absorb meanwhile
    # The same from the moment the last poller started (None: the drain ended during the ramp).
    capacity_share_after_ramp: float | None = None
    ramp_end_s: float = 0.0
    peak_receives_per_s: int = 0
    peak_pollers: int = 0
    caught_up_s: float | None = None
    # When recorded: each invocation's (group, messages), and (received, deleted, groups).
    batches: list[list[tuple[int, int]]] = field(default_factory=list)
    spans: list[tuple[float, float, list[int]]] = field(default_factory=list)


class Simulation:
    """One replay run over a buffer; deterministic for a given setup (its seed) and buffer."""

    def __init__(
        self,
        setup: Setup,
        buffer: FifoBuffer,
        *,
        live: Callable[[random.Random], int] | None = None,
        live_rate: float = 0.0,
        live_every: float = _p("STREAM_POLL"),
        record_batches: bool = False,
    ) -> None:
        self.s = setup
        self.rng = random.Random(setup.seed)
        self.buffer = buffer
        self.target = Capacity(setup.write_capacity, setup.capacity_mode == "on_demand")
        self.each = setup.target_wcu_per_write
        self.ledger = Capacity(setup.ledger_capacity, True) if setup.design == "guard" else None
        self.live = live
        self.live_rate = live_rate
        self.live_every = live_every
        self.events: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.pollers = 0
        self.polling = 0  # polls scheduled, not yet made
        self.idle: list[int] = []
        self.busy: dict[int, list[tuple[int, int, float]]] = {}
        self.left: dict[int, tuple[int, int]] = {}  # poller -> (writes not yet applied, attempt)
        self.result = Result(messages=buffer.queued)
        self.record = record_batches
        self.received_at: dict[int, float] = {}
        self.receives: dict[int, int] = {}
        self.lag_high_at = 0.0  # last time an invocation applied a change older than the threshold
        self.live_due = 0.0
        self.second, self.in_second = -1, 0  # receives in the current second (peak rate)
        self.ramp_mark: tuple[float, float, float] | None = None  # (time, used, provided) at ramp end

    def _at(self, t: float, kind: int, who: int = 0) -> None:
        self.seq += 1
        if kind == POLL:
            self.polling += 1
        heapq.heappush(self.events, (t, self.seq, kind, who))

    def _wake(self, now: float) -> None:
        """Idle pollers (long polling) receive as soon as a group is ready; one poller per ready group."""
        for _ in range(min(len(self.idle), len(self.buffer.ready) - self.polling)):
            self._at(now, POLL, self.idle.pop())

    def _spawn(self, now: float) -> None:
        self.pollers += 1
        self.result.peak_pollers = self.pollers
        self._at(now, POLL, self.pollers - 1)
        if self.pollers >= self.s.max_concurrency:
            self.ramp_mark = (now, self.target.used, self.target.provided_until(now))

    def _grant(self, now: float, writes: int) -> int:
        each = self.each
        if self.ledger is None:  # BatchWriteItem: what the table cannot take comes back unprocessed
            granted = self.target.take(now, writes, each)
        else:
            # One transaction per batch, items and ledger rows (<= 1 KB each): all or nothing.
            row = _p("TRANSACT_WCU")
            fits = self.target.available(now, each) >= writes and self.ledger.available(now, row) >= writes
            granted = writes if fits else 0
            if fits:
                self.target.take(now, writes, each)
                self.ledger.take(now, writes, row)
        self.result.writes += granted
        return granted

    def run(
        self,
        *,
        stop_when_caught_up: bool = False,
        pause_at: float | None = None,
        limit_s: float = 7 * 86400.0,
    ) -> Result:
        """Until the buffer is empty (no live traffic), caught up, or empty after ``pause_at``.

        One event per receive (the writes are charged to the table when they are made, ``receive +
        invoke`` later), one per throttled retry, one per deleted batch.
        """
        s, res = self.s, self.result
        self._start()
        events, pop = self.events, heapq.heappop
        now = 0.0
        while events:
            now, _, kind, who = pop(events)
            if now > limit_s:
                break
            if kind == POLL:
                if self._poll(now, who):
                    break
            elif kind == WRITE:
                left, attempt = self.left[who]
                self.seq += 1
                heapq.heappush(events, self._write(now, left, attempt, who))
            elif kind == DONE:
                self._done(now, who)
                if self._stop(now, stop_when_caught_up, pause_at):
                    break
            elif kind == SPAWN:
                self._spawn(now)
                if self.pollers < s.max_concurrency:
                    self._at(now + 60.0 / s.pollers_per_minute, SPAWN)
            elif kind == ARRIVE:
                self._arrive(now, pause_at)
        end = res.seconds or now
        res.target_wcu = self.target.used
        res.ledger_wcu = self.ledger.used if self.ledger else 0.0
        provided = self.target.provided_until(end)
        res.capacity_share = self.target.used / provided if provided else 0.0
        if self.ramp_mark is not None and self.ramp_mark[0] < end:
            at, used, before = self.ramp_mark
            res.ramp_end_s = at
            res.capacity_share_after_ramp = (self.target.used - used) / (provided - before)
        return res

    def _start(self) -> None:
        """The mapping starts with a few pollers (and adds more); live traffic starts arriving."""
        s = self.s
        for _ in range(min(s.initial_pollers, s.max_concurrency)):
            self._spawn(0.0)
        if self.pollers < s.max_concurrency:
            self._at(60.0 / s.pollers_per_minute, SPAWN)
        if self.live is not None:
            self._at(s.latencies.stream_to_buffer, ARRIVE)

    def _stop(self, now: float, stop_when_caught_up: bool, pause_at: float | None) -> bool:
        """Caught up (lag under 30 s for the waiter's window), or drained after the pause."""
        if stop_when_caught_up and now - self.lag_high_at >= CAUGHT_UP_WINDOW_SECONDS:
            self.result.caught_up_s = now
            return True
        return (
            pause_at is not None
            and self.buffer.queued == 0
            and now >= pause_at + self.s.latencies.stream_to_buffer
        )

    def _poll(self, now: float, who: int) -> bool:
        """A poller receives; True when the run is over (nothing left anywhere)."""
        res, buf = self.result, self.buffer
        self.polling -= 1
        if int(now) != self.second:
            self.second, self.in_second = int(now), 0
        self.in_second += 1
        res.peak_receives_per_s = max(res.peak_receives_per_s, self.in_second)
        batch = buf.receive(self.s.batch_size)
        if not batch:
            self.idle.append(who)
            return self.live is None and buf.queued == 0 and len(self.idle) == self.pollers
        self.busy[who] = batch
        res.invocations += 1
        if self.record:
            res.batches.append([(g, n) for g, n, _ in batch])
            self.received_at[who] = now
        # Ours writes each item of the batch once; the naive design writes every message.
        writes = sum(n for _, n, _ in batch) if self.s.design == "naive" else len(batch)
        self.seq += 1
        lat = self.s.latencies
        heapq.heappush(self.events, self._write(now + lat.receive + lat.invoke, writes, 0, who))
        return False

    def _done(self, now: float, who: int) -> None:
        """The mapping deleted the batch: its groups deliver again; the poller receives again."""
        res, buf = self.result, self.buffer
        batch = self.busy.pop(who)
        if self.record:
            res.spans.append((self.received_at.pop(who), now, [g for g, _, _ in batch]))
        oldest = buf.release(batch)
        if now - oldest >= CAUGHT_UP_LAG_SECONDS:
            self.lag_high_at = now
        if buf.queued == 0:
            res.seconds = now
        self._at(now, POLL, who)
        if self.idle and buf.ready:
            self._wake(now)

    def _arrive(self, now: float, pause_at: float | None) -> None:
        """Live changes reach the buffer ``stream_to_buffer`` after they were made."""
        if self.live is None:
            return
        made = now - self.s.latencies.stream_to_buffer
        if pause_at is not None and made >= pause_at:
            return  # writes paused: nothing newer reaches the buffer
        self.live_due += self.live_rate * self.live_every
        while self.live_due >= 1:
            self.buffer.send(self.live(self.rng), made)
            self.result.messages += 1
            self.live_due -= 1
        self._at(now + self.live_every, ARRIVE)
        self._wake(now)

    def _write(self, at: float, writes: int, attempt: int, who: int) -> tuple[float, int, int, int]:
        """Charge the writes at ``at``: the event that follows (done, or a throttled retry)."""
        granted = self._grant(at, writes)
        seconds = self.s.write_seconds(writes)
        if granted == writes:  # done once the mapping has deleted the batch
            return (at + seconds + self.s.latencies.delete, self.seq, DONE, who)
        # Throttled: the writer retries the UnprocessedItems after its backoff (pitr.backoff).
        self.result.throttled_retries += 1
        self.left[who] = (writes - granted, attempt + 1)
        delay = min(2.0, 0.05 * 2**attempt) * self.rng.random()
        return (at + seconds + delay, self.seq, WRITE, who)


# -- scenarios -----------------------------------------------------------------------------------------


def item_picker(w: Workload) -> Callable[[random.Random], int]:
    """Live traffic over the same items and access pattern as the backlog."""
    if w.access == "cold":
        return lambda rng: rng.randrange(w.items)
    hot = w.hot_items
    return lambda rng: rng.randrange(hot) if rng.random() < 0.5 else rng.randrange(w.items)


def waiter_drained_at(since: float, empty_at: float, quiet: float, rng: random.Random) -> float:
    """When ``wait_drained`` reports drained: it polls from ``since`` on ``drain_schedule``'s jittered
    backoff and needs the buffer read empty for ``quiet`` seconds after the later of the first empty
    read and ``since`` (``pitr.restore_waiter``)."""
    schedule = drain_schedule(int(quiet))
    t, attempt, empty_since = since, 0, None
    while True:
        if t < empty_at:
            empty_since = None
        elif empty_since is None:
            empty_since = t
        if empty_since is not None and t - max(empty_since, since) >= quiet:
            return t
        t += schedule.delay(attempt, rng.random)
        attempt += 1


def cutover_pause(
    setup: Setup, w: Workload, rate: float, *, quiet: float = DRAIN_QUIET_SECONDS, warmup: float = 30.0
) -> dict[str, Any]:
    """Writes pause at ``warmup`` seconds into steady live traffic at ``rate`` changes/s; the operator
    runs ``pitrctl cutover`` at once. The pause lasts until ``pitrctl`` prints "switch now"."""
    lat = setup.latencies
    buf = FifoBuffer(w.items)
    run = Simulation(setup, buf, live=item_picker(w), live_rate=rate).run(pause_at=warmup)
    empty_at = max(run.seconds, warmup + lat.stream_to_buffer)
    rng = random.Random(setup.seed + 1)
    drained = waiter_drained_at(warmup, empty_at, quiet, rng)
    switch = drained + lat.cutover_phase + PITRCTL_INTERVAL_SECONDS * rng.random()
    return {
        "live_changes_per_s": rate,
        "design": setup.design,
        "pause_s": round(switch - warmup, 1),
        "stream_propagation_s": lat.stream_to_buffer,
        "buffer_drain_s": round(max(0.0, empty_at - warmup - lat.stream_to_buffer), 2),
        "drain_quiet_seconds": quiet,
        "quiet_period_and_polls_s": round(drained - empty_at, 1),
        "cutover_phase_s": lat.cutover_phase,
        "operator_notice_s": round(switch - drained - lat.cutover_phase, 1),
        "capacity_share_before_pause": round(run.capacity_share, 3),
    }


@dataclass
class Prepared:
    workload: Workload
    buffer: FifoBuffer  # ours: after the subscriber's coalescing
    messages: int


def prepare(w: Workload) -> Prepared:
    groups = buffered_groups(change_items(w), "ours")
    return Prepared(w, FifoBuffer.filled(groups, w.items, 0.0), len(groups))


def concurrency_for_table(setup: Setup, writes_per_invocation: float) -> int:
    """The ``maximum_concurrency`` at which invocations alone would keep the table full: capacity *
    invocation time / write units per invocation (at most 1,000, AWS's limit)."""
    lat = setup.latencies
    cycle = lat.receive + lat.invoke + setup.write_seconds(max(1, round(writes_per_invocation))) + lat.delete
    units = max(writes_per_invocation, 1e-9) * setup.target_wcu_per_write
    return max(2, min(1000, math.ceil(setup.write_capacity * cycle / units)))


def table_description(setup: Setup) -> dict[str, Any]:
    """What DescribeTable says of a table with the setup's capacity (for ``pitr.replay_sizing``)."""
    units = int(setup.write_capacity)
    if setup.capacity_mode == "on_demand":
        return {
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "WarmThroughput": {"WriteUnitsPerSecond": units},
        }
    return {
        "BillingModeSummary": {"BillingMode": "PROVISIONED"},
        "ProvisionedThroughput": {"WriteCapacityUnits": units},
    }


def module_sizing(setup: Setup, messages: int, ceiling: int) -> replay_sizing.ReplaySizing:
    """The replay concurrency the module's steps function picks at replay start for this backlog
    (the same code, ``pitr.replay_sizing.plan``). The target's capacity is the model's (already
    pre-warmed, by the pre-warm bound); the source is no warmer than a new table (4,000 units) nor
    than the target, so the ledger (--ledger-capacity, a row per item) is raised as the steps function
    raises it (``ledger_raise``, bounded by --warm-write-units-max)."""
    table = table_description(setup)
    source_units = min(setup.write_capacity, float(replay_sizing.NEW_TABLE_WRITE_UNITS))
    source = table_description(replace(setup, write_capacity=source_units, capacity_mode="on_demand"))
    cfg = replay_sizing.ReplaySizingConfig(maximum_concurrency=ceiling)
    ledger = table_description(
        replace(setup, write_capacity=setup.ledger_capacity, capacity_mode="on_demand")
    )
    raised = replay_sizing.ledger_raise(int(setup.write_capacity), ledger, setup.warm_write_units_max)
    if raised:
        ledger = table_description(replace(setup, write_capacity=raised, capacity_mode="on_demand"))
    sizing = replay_sizing.plan(table, source, messages, cfg, batch_size=setup.batch_size, ledger=ledger)
    return replace(sizing, ledger_warm_write_units_per_second=raised)


def sized_setup(setup: Setup, sizing: replay_sizing.ReplaySizing) -> Setup:
    """The setup as replay runs it: the sized concurrency, the ledger after its raise."""
    ledger = max(setup.ledger_capacity, float(sizing.ledger_warm_write_units_per_second))
    return replace(setup, max_concurrency=sizing.concurrency, ledger_capacity=ledger)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def drain_row(p: Prepared, base: Setup, naive: Result | None, *, guard: bool = True) -> dict[str, Any]:
    """Ours (and with the guard) against the naive design, draining ``p``'s backlog."""
    w = p.workload
    ours = Simulation(replace(base, design="ours"), p.buffer.copy()).run()
    row: dict[str, Any] = {
        "items": w.items,
        "access": w.access,
        "changes": w.changes,
        "messages": p.messages,
        "maximum_concurrency": base.max_concurrency,
        # Provisioned pollers: every invoke available from the start, no ramp.
        "pollers_from_start": base.initial_pollers >= base.max_concurrency,
        "items_per_concurrency": round(w.items / base.max_concurrency, 1),
        "ramp_end_s": round(ours.ramp_end_s, 1),
        "ours_drain_s": round(ours.seconds, 1),
        "ours_wcu": round(ours.target_wcu),
        "ours_capacity_share": round(ours.capacity_share, 3),
        "ours_capacity_share_after_ramp": _share(ours.capacity_share_after_ramp),
        "ours_writes_per_invocation": round(ours.writes / ours.invocations, 2) if ours.invocations else 0,
        "ours_throttled_retries": ours.throttled_retries,
        "ours_peak_receives_per_s": ours.peak_receives_per_s,
        # Which limit the drain met: the table (>= 80% used) or the invocations (SQS fills a batch
        # from one group, so a backlog that repeats items gives few writes per invocation).
        "ours_bound": "table" if ours.capacity_share >= 0.8 else "invocations",
        "concurrency_for_table": concurrency_for_table(base, ours.writes / max(1, ours.invocations)),
    }
    if guard:
        g = Simulation(replace(base, design="guard"), p.buffer.copy()).run()
        row.update(
            guard_drain_s=round(g.seconds, 1),
            guard_wcu=round(g.target_wcu + g.ledger_wcu),
            guard_target_wcu=round(g.target_wcu),
            guard_capacity_share=round(g.capacity_share, 3),
            guard_capacity_share_after_ramp=_share(g.capacity_share_after_ramp),
        )
    if naive is not None:
        row.update(
            naive_drain_s=round(naive.seconds, 1),
            naive_wcu=round(naive.target_wcu),
            naive_capacity_share=round(naive.capacity_share, 3),
            speedup_vs_naive=round(naive.seconds / ours.seconds, 1) if ours.seconds else None,
        )
    return row


def catch_up_row(p: Prepared, base: Setup, rate: float, design: str = "ours") -> dict[str, Any]:
    """The backlog built up at ``rate`` during the restore; traffic goes on at ``rate``. Caught up:
    the writer's lag stayed under 30 s for the waiter's 120 s window."""
    w = p.workload
    buf = p.buffer.copy()
    buf.spread(w.changes / rate)
    setup = replace(base, design=design)
    # Past a simulated day the answer is "not in a useful time"; the cap keeps the run short.
    res = Simulation(setup, buf, live=item_picker(w), live_rate=rate).run(
        stop_when_caught_up=True, limit_s=86400.0
    )
    return {
        "items": w.items,
        "access": w.access,
        "design": design,
        "backlog_changes": w.changes,
        "live_changes_per_s": rate,
        "maximum_concurrency": base.max_concurrency,
        "caught_up_s": round(res.caught_up_s, 1) if res.caught_up_s is not None else None,
        "capacity_share": round(res.capacity_share, 3),
    }


# (items, access): a backlog that repeats few items a lot, one with one change per item, a skewed one.
DRAIN_CASES: tuple[tuple[int, str], ...] = ((1_000, "cold"), (1_000_000, "cold"), (100_000, "hot"))
MORE_CASES: tuple[tuple[int, str], ...] = (
    (100, "cold"),
    (100_000, "cold"),
    (1_000, "hot"),
    (1_000_000, "hot"),
)
# The replay mapping's fixed maximum concurrency before replay sizing (shown for comparison).
PREVIOUS_CONCURRENCY = 50


def model(
    base: Setup,
    *,
    changes: int = 1_000_000,
    cases: Sequence[tuple[int, str]] = DRAIN_CASES,
    ceiling: int = replay_sizing.DEFAULT_MAXIMUM_CONCURRENCY,
    live_rate: float = 1000.0,
    catch_up_cases: Sequence[tuple[int, str]] = ((1_000_000, "cold"), (100_000, "hot")),
    cutover_rates: Sequence[float] = (100.0, 1000.0, 2500.0),
    cutover_items: int = 100_000,
    drain_quiet_seconds: float = DRAIN_QUIET_SECONDS,
) -> dict[str, Any]:
    """Every case is drained at the concurrency the module sizes for it (``sizing: "module"``), at
    the former fixed 50 (``"fixed"``), and, where the invocations limit it, with the sized
    concurrency's pollers all started at once (``pollers_from_start``: what Lambda's provisioned
    mode would give, which the module does not use)."""
    began = time.perf_counter()
    naive = Simulation(replace(base, design="naive"), FifoBuffer.filled([0] * changes, 1, 0.0)).run()
    drain, catch_up = [], []
    for items, access in cases:
        prepared = prepare(Workload(items, access, changes, base.seed))
        sizing = module_sizing(base, prepared.messages, ceiling)
        sized = sized_setup(base, sizing)
        row = drain_row(prepared, sized, naive)
        drain.append(
            {**row, "sizing": "module", "warm_write_units_per_second": sizing.warm_write_units_per_second}
        )
        if sizing.concurrency != PREVIOUS_CONCURRENCY:
            fixed = replace(base, max_concurrency=PREVIOUS_CONCURRENCY)
            drain.append({**drain_row(prepared, fixed, None, guard=False), "sizing": "fixed"})
        # Pollers ready at once cannot help a drain the table already limits.
        if row["ours_capacity_share"] < 0.9:
            ready = replace(sized, initial_pollers=sized.max_concurrency)
            drain.append({**drain_row(prepared, ready, None, guard=False), "sizing": "module"})
        if (items, access) in catch_up_cases:
            catch_up.append(catch_up_row(prepared, sized, live_rate))
    cut = Workload(cutover_items, "cold", changes, base.seed)
    cut_setup = sized_setup(base, module_sizing(base, prepare(cut).messages, ceiling))
    cutover = [
        cutover_pause(replace(cut_setup, design=d), cut, r, quiet=drain_quiet_seconds)
        for d in ("ours", "guard")
        for r in cutover_rates
    ]
    applicable = [
        r
        for r in drain
        if r["sizing"] == "module"
        and not r["pollers_from_start"]
        and r["items"] >= 10 * r["maximum_concurrency"]
    ]
    return {
        "model": "scale",
        "setup": {
            "batch_size": base.batch_size,
            "concurrency_ceiling": ceiling,
            "previous_concurrency": PREVIOUS_CONCURRENCY,
            "sizing_invocation_seconds": replay_sizing.INVOCATION_SECONDS,
            "pollers_per_minute": base.pollers_per_minute,
            "item_kb": base.item_kb,
            "capacity_mode": base.capacity_mode,
            "write_capacity": base.write_capacity,
            "ledger_capacity": base.ledger_capacity,
            "warm_write_units_max": base.warm_write_units_max,
            "latencies_s": asdict(base.latencies),
            "seed": base.seed,
        },
        "drain": drain,
        "catch_up": catch_up,
        "cutover": cutover,
        "criterion": {
            "rule": "the target's write capacity >= 90% used while the replay drains, where items >= 10 x "
            "the replay concurrency in effect (sized by the module); whole drain, and after the poller "
            "ramp (Lambda adds up to 300 pollers a minute from 5)",
            "rows": [
                {
                    "items": r["items"],
                    "access": r["access"],
                    "design": design,
                    "maximum_concurrency": r["maximum_concurrency"],
                    "ramp_end_s": r["ramp_end_s"],
                    "capacity_share": r[f"{design}_capacity_share"],
                    "capacity_share_after_ramp": r[f"{design}_capacity_share_after_ramp"],
                    "met": r[f"{design}_capacity_share"] >= 0.9,
                    "met_after_ramp": (r[f"{design}_capacity_share_after_ramp"] or 0.0) >= 0.9,
                }
                for r in applicable
                for design in ("guard", "ours")
            ],
        },
        "model_seconds": round(time.perf_counter() - began, 1),
    }


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def print_report(result: dict[str, Any], out: Callable[[str], Any] = print) -> None:
    s = result["setup"]
    out(
        f"scale model (bench/scale_model.py): batch {s['batch_size']}, {s['item_kb']:g} KB items, target "
        f"{s['capacity_mode']} at {s['write_capacity']:.0f} write units/s; drain of a backlog of "
        f"{result['drain'][0]['changes']:,} changes. conc: the replay's maximum concurrency, sized by the "
        f"module under its ceiling {s['concurrency_ceiling']} (f: fixed, the former default; p: pollers "
        "all started at once, as provisioned mode would, which the module does not use); table used: whole "
        "drain / after the poller ramp"
    )
    header = (
        f"{'items':>9} {'access':<6} {'conc':>5} | {'drain ours':>10} {'guard':>9} {'naive':>9} | "
        f"{'WCU ours':>9} {'guard':>9} {'naive':>9} | {'table used':>10} {'guard':>9} | bound (conc. to fill)"
    )
    out(header)
    out("-" * len(header))

    def col(row: dict[str, Any], key: str, fmt: Callable[[Any], str], width: int) -> str:
        return f"{fmt(row[key]) if key in row else '':>{width}}"

    def used(row: dict[str, Any], design: str) -> str:
        if f"{design}_capacity_share" not in row:
            return ""
        after = row[f"{design}_capacity_share_after_ramp"]
        return f"{row[f'{design}_capacity_share']:.0%}/" + ("-" if after is None else f"{after:.0%}")

    for r in result["drain"]:
        mark = "p" if r["pollers_from_start"] else ("f" if r["sizing"] == "fixed" else "")
        out(
            f"{r['items']:>9,} {r['access']:<6} {str(r['maximum_concurrency']) + mark:>5} | "
            f"{_fmt_s(r['ours_drain_s']):>10} {col(r, 'guard_drain_s', _fmt_s, 9)} "
            f"{col(r, 'naive_drain_s', _fmt_s, 9)} | {r['ours_wcu']:>9,} "
            f"{col(r, 'guard_wcu', '{:,}'.format, 9)} {col(r, 'naive_wcu', '{:,}'.format, 9)} | "
            f"{used(r, 'ours'):>10} {used(r, 'guard'):>9} | {r['ours_bound']} ({r['concurrency_for_table']})"
        )
    for r in result["catch_up"]:
        out(
            f"caught up ({r['design']}, {r['items']:,} {r['access']} items, backlog "
            f"{r['backlog_changes']:,}, {r['live_changes_per_s']:.0f} changes/s live): "
            f"{_fmt_s(r['caught_up_s'])}"
        )
    for r in result["cutover"]:
        out(
            f"cut-over pause ({r['design']}, {r['live_changes_per_s']:.0f} changes/s): {r['pause_s']} s = "
            f"propagation {r['stream_propagation_s']} + drain {r['buffer_drain_s']} + quiet period and "
            f"polls {r['quiet_period_and_polls_s']} + phase cutover {r['cutover_phase_s']} + "
            f"pitrctl {r['operator_notice_s']}"
        )
    rows = result["criterion"]["rows"]
    for design in ("guard", "ours"):
        mine = [r for r in rows if r["design"] == design]
        out(
            f"table >= 90% used while {design} drains, items >= 10 x concurrency in effect: "
            f"{sum(r['met'] for r in mine)} of {len(mine)} rows over the whole drain, "
            f"{sum(r['met_after_ramp'] for r in mine)} of {len(mine)} after the poller ramp"
        )
    out(f"(model {result['model_seconds']} s)")


def print_sources(out: Callable[[str], Any] = print) -> None:
    for name, p in PARAMETERS.items():
        out(f"{name} = {p.value:g} {p.unit} [{p.source}]")
        out(f'    "{p.quote}"')
        if p.url:
            out(f"    {p.url}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    d, lat = Setup(), Latencies()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000, help="backlog size (changes)")
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument(
        "--maximum-concurrency",
        type=int,
        default=d.max_concurrency,
        help="replay_writer.maximum_concurrency: the ceiling the module sizes the replay concurrency under",
    )
    parser.add_argument("--item-kb", type=float, default=d.item_kb)
    parser.add_argument("--capacity-mode", choices=("on_demand", "provisioned"), default=d.capacity_mode)
    parser.add_argument(
        "--write-capacity",
        type=float,
        default=d.write_capacity,
        help="the target's warm write units/s (on demand) or provisioned WCU",
    )
    parser.add_argument("--ledger-capacity", type=float, default=d.ledger_capacity)
    parser.add_argument(
        "--warm-write-units-max",
        type=int,
        default=d.warm_write_units_max,
        help="the module's warm_throughput_max_write_units_per_second: the ledger is raised to the "
        "target's capacity up to it at replay start (0: not raised)",
    )
    parser.add_argument("--live-rate", type=float, default=1000.0, help="live changes/s while catching up")
    parser.add_argument(
        "--drain-quiet-seconds",
        type=float,
        default=DRAIN_QUIET_SECONDS,
        help="the module's drain_quiet_seconds (cut-over waits for an empty buffer this long)",
    )
    parser.add_argument("--latency-scale", type=float, default=1.0, help="multiply every call latency")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--sources", action="store_true", help="print every parameter with its source")
    parser.add_argument(
        "--more-cases", action="store_true", help="also 100 and 100,000 cold, 1,000 and 1M hot"
    )
    args = parser.parse_args(argv)
    args.latencies = replace(
        lat,
        **{
            k: v * args.latency_scale
            for k, v in asdict(lat).items()
            if k not in ("stream_to_buffer", "cutover_phase")
        },
    )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sources:
        print_sources()
        return 0
    try:
        base = Setup(
            batch_size=args.batch_size,
            max_concurrency=args.maximum_concurrency,
            item_kb=args.item_kb,
            capacity_mode=args.capacity_mode,
            write_capacity=args.write_capacity,
            ledger_capacity=args.ledger_capacity,
            warm_write_units_max=args.warm_write_units_max,
            latencies=args.latencies,
            seed=args.seed,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = model(
        base,
        changes=args.changes,
        cases=DRAIN_CASES + MORE_CASES if args.more_cases else DRAIN_CASES,
        ceiling=base.max_concurrency,
        live_rate=args.live_rate,
        drain_quiet_seconds=args.drain_quiet_seconds,
    )
    print_report(result)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
