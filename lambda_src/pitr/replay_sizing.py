"""Replay concurrency: size the replay mapping's ``MaximumConcurrency`` to the restored table's capacity.

Why. The buffer is a FIFO queue with one message group per item, and SQS fills a batch from one
group first: "When you specify a MaxNumberOfMessages parameter in the ReceiveMessage API call, SQS
returns as many messages with the same message group ID as possible" (AWS re:Post knowledge center,
"Why aren't messages returned from my Amazon SQS FIFO queue"). A backlog that changes the same items
many times therefore gives batches of one item: the writer coalesces the batch to one write, and the
drain is limited by how many invocations run at once, not by the table (``docs/tuning.md``; the scale
model, ``bench/scale_model.py``, measures it). The pollers must then be about *write capacity x
invocation time / write units per invocation*, which for a new on-demand table (4,000 write units a
second) and the ordering guard's transactional writes (2 units per item up to 1 KB) is about 200.

What. At replay start (``enable_replay``, the workflow's steps function) this module reads the
target's write capacity, the source's warm throughput (``settings_sync`` pre-warms the target to at
least it), the ordering guard's ledger table's write capacity (every replayed item also writes its
ledger row, 2 units too, so the ledger bounds the replay as much as the target) and the buffer's
backlog, and returns:

* ``warm_write_units_per_second``: what the backlog needs (its worst-case write units over
  ``DRAIN_TARGET_SECONDS``, no more than the pollers can feed), passed to ``settings_sync``, which
  pre-warms the target to it bounded by ``warm_throughput_max_write_units_per_second``;
* ``ledger_warm_write_units_per_second``: what the ledger's warm write throughput is raised to (0:
  left as it is), so that the ledger does not cap the replay below the target (``ledger_raise``);
* ``concurrency``: the ``MaximumConcurrency`` that keeps that capacity busy when every invocation
  writes one item, at least 2 and at most the deployment's ``replay_writer.maximum_concurrency``
  (the ceiling). "Maximum concurrency ... Limits the number of concurrent instances that the Amazon
  SQS event source can invoke. ... Valid Range: Minimum value of 2. Maximum value of 1000" (Lambda
  API reference, ScalingConfig). More pollers than groups cost nothing: "For FIFO queues, concurrent
  invocations are capped either by the number of message group IDs (messageGroupId) or the maximum
  concurrency setting—whichever is lower" (Lambda developer guide, "Configuring scaling behavior for
  SQS event source mappings").

The ceiling is the operator's budget of the account's concurrency: replay invocations share the
Region's account concurrency with every other function (the replay writer reserves none), and "You
can use maximum concurrency to prevent one queue from using all of the function's reserved
concurrency or the rest of the account's concurrency quota" (same guide). So the ceiling, not the
table, bounds what replay may take.
The workflow puts the ceiling back when replay is switched off (release and cut-over), so Terraform
sees the mapping as it configured it between restores.

Provisioned mode (dedicated pollers, no ramp from five) is not used: AWS makes it exclusive of
maximum concurrency ("You can control the scaling behavior of your Amazon SQS event source mappings
either through maximum concurrency settings or by enabling provisioned mode. These are mutually
exclusive options"), so it would drop the account-concurrency ceiling, and its minimum pollers are
billed while they are provisioned.

The invocation time is assumed, not measured (no replay has run yet at replay start):
``INVOCATION_SECONDS`` is about twice the scale model's call latencies for one batch, so that slower
calls still fill the table; too many pollers only meet throttling, which the writer retries.
Sizing never delays replay: when a read fails, replay starts at the ceiling and the step says why.

The ledger's pre-warm. The ledger is the module's own on-demand table, and "A new on-demand table
starts with a warm throughput of 12,000 read units per second and 4,000 write units per second"
(DynamoDB developer guide, "Understanding DynamoDB warm throughput"): with 2 units per transactional
write it holds the guard to 2,000 items a second whatever the target's warm throughput. So the steps
function raises it, with ``UpdateTable``'s ``WarmThroughput`` ("Represents the warm throughput (in
read units per second and write units per second) for updating a table", UpdateTable API reference),
to what the target is pre-warmed to: the source's warm throughput (settings_sync copies it to the
target whatever the input), and above it the same bound as the target's backlog pre-warm,
``warm_throughput_max_write_units_per_second`` (0: the source's only). Only ever up: "Once
increased, warm throughput values can't be decreased" (same guide), so asking for less than the ledger
has would fail, and a ledger raised by an earlier restore needs nothing the next time. It is paid
for: warm throughput is free by default, "However, if you proactively increase these default warm
throughput values to pre-warm the tables, you will be charged for those requests" (same guide,
translated back from its Japanese edition; the pricing page bills each increase once), hence the
bound. The raise is asked after replay is switched on and never waited for ("Updating your warm
throughput value is an asynchronous task. The Status will change from UPDATING to ACTIVE when the
update is complete", "Increase your existing DynamoDB table's warm throughput"); a failure is
reported in the step's output and replay goes on at the ledger's pace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pitr import clients, logs, queues

# Seconds one replay invocation takes (receive, invoke, one TransactWriteItems, delete): assumed,
# about twice the scale model's 57 ms, so that slower calls still keep the table busy.
INVOCATION_SECONDS = 0.1
# Write units of one replayed item up to 1 KB through the ordering guard: "Transactional write
# requests require two WCUs to perform one write per second for items up to 1 KB" (DynamoDB
# developer guide, "DynamoDB read and write operations").
UNITS_PER_WRITE = 2
# "A new on-demand table starts with a warm throughput of 12,000 read units per second and 4,000
# write units per second" (DynamoDB developer guide, "Understanding DynamoDB warm throughput"): what
# a table without a WarmThroughput in its description is taken to absorb.
NEW_TABLE_WRITE_UNITS = 4000
# The backlog's need: its write units spread over this long (then the replay is table-bound).
DRAIN_TARGET_SECONDS = 300
# The module's default ceiling (replay_writer.maximum_concurrency), a fifth of the default account
# concurrency of 1,000: enough for a new on-demand table whatever the backlog's shape.
DEFAULT_MAXIMUM_CONCURRENCY = 200
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 1000
FIFO_BATCH_SIZE = 10


@dataclass(frozen=True)
class ReplaySizingConfig:
    """The deployment's bounds: the concurrency ceiling and the pre-warm ceiling (the steps function's
    configuration, ``pitr.restore_steps.StepsConfig``, reads them from its environment)."""

    maximum_concurrency: int = DEFAULT_MAXIMUM_CONCURRENCY
    warm_write_units_max: int = 0
    ledger_table: str = ""  # the ordering guard's ledger (empty: not bounded by it)

    def __post_init__(self) -> None:
        if not MIN_CONCURRENCY <= self.maximum_concurrency <= MAX_CONCURRENCY:
            raise ValueError(
                f"REPLAY_MAXIMUM_CONCURRENCY={self.maximum_concurrency} must be 2 to 1000 (the SQS "
                "mapping's limits)"
            )
        if self.warm_write_units_max < 0:
            raise ValueError(f"WARM_WRITE_UNITS_MAX={self.warm_write_units_max} must be >= 0")


@dataclass(frozen=True)
class ReplaySizing:
    concurrency: int
    write_capacity: int  # write units/s the target is expected to absorb (after the pre-warm)
    warm_write_units_per_second: int  # what the backlog needs (settings_sync's input)
    backlog_messages: int
    reason: str = ""  # set when sizing fell back to the ceiling
    ledger_warm_write_units_per_second: int = 0  # what the ledger is raised to (0: not raised)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["replay_concurrency"] = out.pop("concurrency")
        for optional in ("reason", "ledger_warm_write_units_per_second"):
            if not out[optional]:
                out.pop(optional)
        return out


################################################################################
# Pure functions
################################################################################


def warm_write_units(table: Mapping[str, Any]) -> int:
    """The table's warm write throughput (0 when the description has none)."""
    warm = table.get("WarmThroughput") or {}
    return int(warm.get("WriteUnitsPerSecond") or 0)


def write_capacity(table: Mapping[str, Any]) -> int:
    """Write units a second the table absorbs now: provisioned WCU, or on demand its warm throughput
    (a new table's when absent), under its on-demand maximum when one is set."""
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode")
    provisioned = int((table.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits") or 0)
    if billing != "PAY_PER_REQUEST" and provisioned > 0:
        return provisioned
    capacity = warm_write_units(table) or NEW_TABLE_WRITE_UNITS
    ceiling = int((table.get("OnDemandThroughput") or {}).get("MaxWriteRequestUnits") or 0)
    return min(capacity, ceiling) if ceiling > 0 else capacity


def feed(concurrency: int, batch_size: int) -> int:
    """Write units a second ``concurrency`` invocations can push when every batch holds ``batch_size``
    distinct items (the most a backlog can ask of the pollers)."""
    return math.ceil(concurrency * batch_size * UNITS_PER_WRITE / INVOCATION_SECONDS)


def backlog_need(messages: int, ceiling: int, batch_size: int = FIFO_BATCH_SIZE) -> int:
    """Write units a second that drain ``messages`` (each, at worst, its own item) in
    ``DRAIN_TARGET_SECONDS``, no more than ``ceiling`` pollers can feed."""
    wanted = math.ceil(max(0, messages) * UNITS_PER_WRITE / DRAIN_TARGET_SECONDS)
    return min(wanted, feed(ceiling, batch_size))


def concurrency_for(capacity: int, ceiling: int) -> int:
    """Invocations that keep ``capacity`` write units a second busy when each writes one item."""
    wanted = math.ceil(max(0, capacity) * INVOCATION_SECONDS / UNITS_PER_WRITE)
    return max(MIN_CONCURRENCY, min(ceiling, wanted))


def ledger_raise(target_capacity: int, ledger: Mapping[str, Any], warm_write_units_max: int) -> int:
    """The warm write throughput to ask for the ledger (0: no raise): what the target absorbs once
    pre-warmed, bounded by ``warm_write_units_max`` (0: never raised), and only when above what the
    ledger has now (a new on-demand table's when its description shows none)."""
    wanted = min(max(0, target_capacity), warm_write_units_max)
    current = warm_write_units(ledger) or NEW_TABLE_WRITE_UNITS
    return wanted if wanted > current else 0


def plan(
    target: Mapping[str, Any],
    source: Mapping[str, Any],
    messages: int,
    cfg: ReplaySizingConfig,
    *,
    batch_size: int = FIFO_BATCH_SIZE,
    ledger: Mapping[str, Any] | None = None,
    raise_ledger: bool = True,
) -> ReplaySizing:
    """The replay's concurrency and the pre-warm it asks for, from the tables and the backlog.

    The capacity sized for is what the target will have once ``settings_sync`` has pre-warmed it:
    at least its own, the source's warm throughput, and the backlog's need up to the pre-warm
    ceiling (a provisioned target keeps its provisioned capacity); no more than the ledger's, which
    takes one row per replayed item, counted after its raise (``ledger_raise``) unless
    ``raise_ledger`` is False.
    """
    need = backlog_need(messages, cfg.maximum_concurrency, batch_size)
    capacity = write_capacity(target)
    if (target.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST" or not capacity:
        capacity = max(capacity, warm_write_units(source), min(need, cfg.warm_write_units_max))
    ceiling = int((target.get("OnDemandThroughput") or {}).get("MaxWriteRequestUnits") or 0)
    if ceiling > 0:
        capacity = min(capacity, ceiling)
    ledger_to = 0
    if ledger is not None:
        # settings_sync warms the target to the source's warm throughput whatever the ceiling: the
        # ledger, written once per replayed item too, follows it to the same level.
        bound = max(cfg.warm_write_units_max, warm_write_units(source))
        ledger_to = ledger_raise(capacity, ledger, bound) if raise_ledger else 0
        raised = {**ledger, "WarmThroughput": {"WriteUnitsPerSecond": ledger_to}} if ledger_to else ledger
        capacity = min(capacity, write_capacity(raised))
    return ReplaySizing(
        concurrency=concurrency_for(capacity, cfg.maximum_concurrency),
        write_capacity=capacity,
        warm_write_units_per_second=need,
        backlog_messages=max(0, messages),
        ledger_warm_write_units_per_second=ledger_to,
    )


################################################################################
# Reading AWS
################################################################################


def backlog_messages(sqs: Any, queue_url: str) -> int:
    """The buffer's messages waiting for replay."""
    return queues.queued(sqs, queue_url)


def size(
    *,
    source_table: str,
    target_table: str,
    queue_url: str,
    mapping_uuid: str,
    cfg: ReplaySizingConfig,
) -> ReplaySizing:
    """Read the tables, the backlog and the mapping's batch size, then ``plan``. A failed read leaves
    the concurrency at the ceiling (replay is never held back by sizing) and no pre-warm beyond the
    source's."""
    dynamodb, sqs, lam = clients.client("dynamodb"), clients.client("sqs"), clients.client("lambda")
    try:
        target = dynamodb.describe_table(TableName=target_table)["Table"]
        source = dynamodb.describe_table(TableName=source_table)["Table"]
        ledger = dynamodb.describe_table(TableName=cfg.ledger_table)["Table"] if cfg.ledger_table else None
        messages = backlog_messages(sqs, queue_url)
        batch_size = int(lam.get_event_source_mapping(UUID=mapping_uuid).get("BatchSize") or FIFO_BATCH_SIZE)
    except (ClientError, BotoCoreError) as exc:
        reason = f"sizing skipped ({type(exc).__name__}: {exc}); replay runs at the ceiling"
        logs.warning("replay sizing failed", target_table=target_table, error=str(exc))
        return ReplaySizing(cfg.maximum_concurrency, 0, 0, 0, reason=reason)
    return plan(target, source, messages, cfg, batch_size=batch_size, ledger=ledger)


def prewarm_ledger(ledger_table: str, write_units: int) -> str:
    """Ask DynamoDB to raise the ledger's warm write throughput (asynchronous, not waited for).

    Returns what happened, for the step's output: a failure (IAM, a raise already in progress, a
    value the ledger has passed meanwhile) is reported, never raised: replay is already on.
    """
    try:
        clients.client("dynamodb").update_table(
            TableName=ledger_table, WarmThroughput={"WriteUnitsPerSecond": write_units}
        )
    except (ClientError, BotoCoreError) as exc:
        logs.warning("ledger pre-warm failed", ledger_table=ledger_table, error=str(exc))
        return (
            f"not raised ({type(exc).__name__}: {exc}); replay goes on, at most at the ledger's warm "
            "throughput (2 write units per replayed item)"
        )
    return f"asked for {write_units} write units/s; DynamoDB applies it asynchronously (not waited for)"
