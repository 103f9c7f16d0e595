"""Warm throughput: pre-warm the restored table (and each GSI) to at least the source's.

What a restore leaves. Warm throughput values "are available by default for all tables and global
secondary indexes (GSI) and represent how much they have scaled based on historical usage". A
point-in-time restore creates a new table; AWS lists what it carries over ("Along with data, the
following are also included on the new restored table using point in time recovery: Global secondary
indexes (GSIs), Local secondary indexes (LSIs), Provisioned read and write capacity, Encryption
settings") and warm throughput is not among them (only ``GlobalSecondaryIndexOverride`` takes a
per-index ``WarmThroughput``; the table has no override). So the restored table starts with a new
table's warm throughput, not the source's history: "A new on-demand table starts with a warm
throughput of 12,000 read units per second and 4,000 write units per second", and a provisioned one
with its provisioned capacity. A busy source's replay backlog then meets a cold table.

What this does. As soon as the target is ACTIVE (this setting runs first in phase ``restore``, which
starts after replay is switched on) it raises the target's warm throughput, table and every GSI, to
the larger of the source's and of what the backlog needs (the input ``warm_write_units_per_second``,
bounded by the deployment's ``warm_throughput_max_write_units_per_second``), in one ``UpdateTable``.
It never waits for the change: "Updating your warm throughput value is an asynchronous task. The
Status will change from UPDATING to ACTIVE when the update is complete", and "You can submit
simultaneous pre-warm requests and these requests will not interfere with any table operations".
Values are only ever raised ("Once increased, warm throughput values can't be decreased"); a target
already at or above them is unchanged. An index left out of the restore is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result

NAME = "warm_throughput"
PHASE = "restore"

_UNITS = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")


def warm_of(description: dict[str, Any]) -> dict[str, int]:
    warm = description.get("WarmThroughput") or {}
    return {k: int(warm[k]) for k in _UNITS if warm.get(k)}


def wanted_warm(source: dict[str, int], current: dict[str, int], backlog_write: int) -> dict[str, int]:
    """The units to ask for: each at least the source's and the backlog's need, never below current.

    Returns only the units that must rise (empty when the target is warm enough).
    """
    wanted = dict(source)
    if backlog_write > 0:
        wanted["WriteUnitsPerSecond"] = max(wanted.get("WriteUnitsPerSecond", 0), backlog_write)
    return {k: v for k, v in wanted.items() if v > current.get(k, 0)}


def backlog_write_units(ctx: SyncContext) -> int:
    """What the backlog asks for, bounded by the deployment's ceiling (0 when either is unset)."""
    return min(ctx.warm_write_units_per_second, ctx.warm_write_units_max)


def _raised(item: str, current: dict[str, int], to: dict[str, int]) -> Result:
    return Result(
        NAME,
        item,
        APPLIED,
        "asked for; DynamoDB applies it asynchronously (not waited for)",
        detail={"from": current, "to": to},
        report={"warm_throughput": to, "was": current},
    )


def sync(ctx: SyncContext) -> Iterator[Result]:
    source = ctx.source()
    target = ctx.wait_active()
    backlog = backlog_write_units(ctx)
    update: dict[str, Any] = {}
    results: list[Result] = []

    current = warm_of(target)
    raise_table = wanted_warm(warm_of(source), current, backlog)
    if raise_table:
        update["WarmThroughput"] = {**current, **raise_table}
        results.append(_raised("table", current, update["WarmThroughput"]))
    else:
        results.append(Result(NAME, "table", UNCHANGED, detail=current, report={"warm_throughput": current}))

    target_indexes = {g["IndexName"]: g for g in target.get("GlobalSecondaryIndexes", [])}
    index_updates = []
    for index in source.get("GlobalSecondaryIndexes", []):
        name = index["IndexName"]
        item = f"index/{name}"
        if name not in target_indexes:
            results.append(
                Result(NAME, item, SKIPPED, "the index is not on the target (left out of the restore)")
            )
            continue
        current = warm_of(target_indexes[name])
        rise = wanted_warm(warm_of(index), current, backlog)
        if rise:
            to = {**current, **rise}
            index_updates.append({"Update": {"IndexName": name, "WarmThroughput": to}})
            results.append(_raised(item, current, to))
        else:
            results.append(Result(NAME, item, UNCHANGED, detail=current, report={"warm_throughput": current}))
    if index_updates:
        update["GlobalSecondaryIndexUpdates"] = index_updates
    if update:
        # Asynchronous: the target stays ACTIVE and replay goes on; the new values show as UPDATING.
        ctx.call(ctx.client("dynamodb").update_table, TableName=ctx.target_table, **update)
    yield from results
