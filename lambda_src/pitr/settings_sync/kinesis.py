"""Kinesis Data Streams destinations: every active one of the source, with its timestamp precision.

Enabled at cut-over only (phase ``restore`` reports them ``deferred``), so the destination stream
receives the application's writes to the target and not the replayed backlog.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import SyncContext
from .report import APPLIED, DEFERRED, SKIPPED, UNCHANGED, Result, attempt

NAME = "kinesis"
PHASE = "cutover"

_ON = ("ACTIVE", "ENABLING", "UPDATING")


def _destinations(ctx: SyncContext, table: str) -> list[dict[str, Any]]:
    ddb = ctx.client("dynamodb")
    return ctx.call(ddb.describe_kinesis_streaming_destination, TableName=table).get(
        "KinesisDataStreamDestinations", []
    )


def _label(destination: dict[str, Any]) -> str:
    return destination["StreamArn"].split(":stream/", 1)[-1]


def _active(ctx: SyncContext) -> tuple[list[dict[str, Any]], list[Result]]:
    active, skipped = [], []
    for d in _destinations(ctx, ctx.source_table):
        if d.get("DestinationStatus") in _ON:
            active.append(d)
        else:
            skipped.append(Result(NAME, _label(d), SKIPPED, f"{d.get('DestinationStatus')} on the source"))
    return active, skipped


def preview(ctx: SyncContext) -> Iterator[Result]:
    active, skipped = _active(ctx)
    yield from skipped
    if not active and not skipped:
        yield Result(NAME, "kinesis", SKIPPED, "the source streams to no Kinesis data stream")
    for d in active:
        yield Result(NAME, _label(d), DEFERRED, "enabled at cut-over", detail={"stream_arn": d["StreamArn"]})


def _enable(ctx: SyncContext, destination: dict[str, Any], current: dict[str, Any] | None) -> Result:
    ddb = ctx.client("dynamodb")
    label = _label(destination)
    precision = destination.get("ApproximateCreationDateTimePrecision")
    detail = {"stream_arn": destination["StreamArn"], "precision": precision}
    if current is not None and current.get("DestinationStatus") in _ON:
        if current.get("ApproximateCreationDateTimePrecision") == precision or precision is None:
            return Result(NAME, label, UNCHANGED, detail=detail)
        ctx.wait_active()
        ctx.call(
            ddb.update_kinesis_streaming_destination,
            TableName=ctx.target_table,
            StreamArn=destination["StreamArn"],
            UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": precision},
        )
        return Result(NAME, label, APPLIED, "updated the timestamp precision", detail=detail)
    ctx.wait_active()
    _, with_precision = ctx.call_optional(
        ddb.enable_kinesis_streaming_destination,
        {
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision}
            if precision
            else None
        },
        TableName=ctx.target_table,
        StreamArn=destination["StreamArn"],
    )
    note = (
        ""
        if with_precision or not precision
        else f"enabled with the default precision: this SDK cannot set {precision}"
    )
    return Result(NAME, label, APPLIED, note, detail=detail)


def sync(ctx: SyncContext) -> Iterator[Result]:
    active, skipped = _active(ctx)
    yield from skipped
    if not active:
        if not skipped:
            yield Result(NAME, "kinesis", SKIPPED, "the source streams to no Kinesis data stream")
        return
    current = {d["StreamArn"]: d for d in _destinations(ctx, ctx.target_table)}
    for d in active:
        ctx.check_time()
        yield attempt(NAME, _label(d), lambda d=d: _enable(ctx, d, current.get(d["StreamArn"])))
