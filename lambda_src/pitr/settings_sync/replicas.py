"""Global table replicas: a restore produces a single-Region table.

AWS restores "to a new table" in one Region; the source's replicas (global tables version
2019.11.21) are not part of it. Phase ``restore`` reports the source's replica Regions with the
command that adds each to the restored table. Only when the deployment switches it on
(Terraform ``add_replicas_after_cutover``, in ``SETTINGS_OPTIONS``; off by default) phase
``cutover`` adds them, with ``UpdateTable`` ``ReplicaUpdates`` ``Create``: for version 2019.11.21
"you can use UpdateTable" to add replicas. ``UpdateTable`` "is an asynchronous operation; while it's
executing, the table status changes from ACTIVE to UPDATING. While it's UPDATING, you can't issue
another UpdateTable request", so one Region is added per run, never waited for (the cut-over pause
must not grow by a replica's creation), and every later run of phase ``cutover`` reports progress
(each replica's ``ReplicaStatus``) and adds the next Region once the table is ACTIVE again. Adding a
replica needs the target's stream with new and old images (setting ``streams`` copies the source's,
which a global table has).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .context import OutOfTimeError, SyncContext
from .report import APPLIED, DEFERRED, FAILED, SKIPPED, UNCHANGED, Result, describe_error

NAME = "replicas"
PHASE = "cutover"


def _own_region(ctx: SyncContext) -> str:
    return ctx.client("dynamodb").meta.region_name


def replica_regions(description: dict[str, Any], own_region: str) -> list[str]:
    return sorted(
        r["RegionName"] for r in description.get("Replicas") or [] if r.get("RegionName") != own_region
    )


def add_command(table: str, region: str) -> str:
    updates = json.dumps([{"Create": {"RegionName": region}}], separators=(",", ":"))
    return f"aws dynamodb update-table --table-name {table} --replica-updates '{updates}'"


def _statuses(description: dict[str, Any]) -> dict[str, str]:
    return {r["RegionName"]: r.get("ReplicaStatus", "ACTIVE") for r in description.get("Replicas") or []}


def preview(ctx: SyncContext) -> Iterator[Result]:
    regions = replica_regions(ctx.source(), _own_region(ctx))
    if not regions:
        yield Result(NAME, "replicas", SKIPPED, "the source is not a global table (no replicas)")
        return
    present = _statuses(ctx.target(refresh=True))
    for region in regions:
        if region in present:
            yield Result(NAME, region, UNCHANGED, f"replica {present[region]} on the target")
        elif ctx.add_replicas:
            yield Result(NAME, region, DEFERRED, "added after cut-over (add_replicas_after_cutover is on)")
        else:
            yield Result(
                NAME,
                region,
                DEFERRED,
                "a restore is single-Region: the source has a replica here, the restored table has not",
                action=f"after cut-over, add the replica: {add_command(ctx.target_table, region)}",
            )


def sync(ctx: SyncContext) -> Iterator[Result]:
    if not ctx.add_replicas:
        yield from preview(ctx)
        return
    regions = replica_regions(ctx.source(), _own_region(ctx))
    if not regions:
        yield Result(NAME, "replicas", SKIPPED, "the source is not a global table (no replicas)")
        return
    target = ctx.target(refresh=True)
    present = _statuses(target)
    busy = target.get("TableStatus") != "ACTIVE" or any(s != "ACTIVE" for s in present.values())
    for region in regions:
        status = present.get(region)
        if status == "ACTIVE":
            yield Result(NAME, region, UNCHANGED, "replica ACTIVE", report={"replica": status})
        elif status is not None:
            yield Result(
                NAME,
                region,
                DEFERRED,
                f"replica {status}: run phase cutover again to follow it",
                report={"replica": status},
            )
        elif busy:
            yield Result(
                NAME,
                region,
                DEFERRED,
                "waits until the table and its replicas are ACTIVE: run phase cutover again",
            )
        else:
            yield _add(ctx, region)
            busy = True  # one Region per UpdateTable; the table is UPDATING until it is added


def _add(ctx: SyncContext, region: str) -> Result:
    try:
        ctx.call(
            ctx.client("dynamodb").update_table,
            TableName=ctx.target_table,
            ReplicaUpdates=[{"Create": {"RegionName": region}}],
        )
    except OutOfTimeError:
        raise
    except Exception as exc:  # reported with the command to run by hand
        return Result(
            NAME,
            region,
            FAILED,
            describe_error(exc),
            action=f"add the replica by hand: {add_command(ctx.target_table, region)}",
        )
    return Result(
        NAME,
        region,
        APPLIED,
        "replica CREATING: run phase cutover again to follow it",
        report={"replica": "CREATING"},
    )
