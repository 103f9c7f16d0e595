"""Streams: enable the target's stream with the source's view type.

A view type cannot change in place; a target stream of another type is reported, not replaced,
because replacing it would cut off whoever already reads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from .context import SyncContext
from .report import APPLIED, FAILED, SKIPPED, UNCHANGED, Result

NAME = "streams"
PHASE = "restore"


def sync(ctx: SyncContext) -> Iterator[Result]:
    spec = ctx.source().get("StreamSpecification") or {}
    if not spec.get("StreamEnabled"):
        yield Result(NAME, "stream", SKIPPED, "the source table has no stream")
        return
    view_type = spec["StreamViewType"]
    current = ctx.target(refresh=True).get("StreamSpecification") or {}
    if current.get("StreamEnabled"):
        if current.get("StreamViewType") == view_type:
            yield Result(NAME, "stream", UNCHANGED, detail={"view_type": view_type})
        else:
            yield Result(
                NAME,
                "stream",
                FAILED,
                f"the target already has a {current.get('StreamViewType')} stream and the source's is "
                f"{view_type}; a view type cannot change in place: disable the target's stream (its "
                "readers lose it) and run the phase again",
            )
        return
    ddb = ctx.client("dynamodb")
    ctx.wait_active()
    ctx.call(
        ddb.update_table,
        TableName=ctx.target_table,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
    )
    described = ctx.wait_active()
    yield Result(
        NAME,
        "stream",
        APPLIED,
        detail={"view_type": view_type, "stream_arn": described.get("LatestStreamArn", "")},
    )
