"""Time to live: the same attribute as the source.

DynamoDB accepts one TTL change per table per hour, and the attribute of an enabled TTL cannot be
changed without disabling it first, so a conflicting target is reported rather than touched.
"""

from __future__ import annotations

from collections.abc import Iterator

from .context import SyncContext
from .report import APPLIED, FAILED, SKIPPED, UNCHANGED, Result

NAME = "ttl"
PHASE = "restore"

_ON = ("ENABLED", "ENABLING")


def sync(ctx: SyncContext) -> Iterator[Result]:
    ddb = ctx.client("dynamodb")
    source = ctx.call(ddb.describe_time_to_live, TableName=ctx.source_table)["TimeToLiveDescription"]
    if source.get("TimeToLiveStatus") not in _ON:
        yield Result(NAME, "ttl", SKIPPED, "time to live is off on the source")
        return
    attribute = source["AttributeName"]
    target = ctx.call(ddb.describe_time_to_live, TableName=ctx.target_table)["TimeToLiveDescription"]
    status = target.get("TimeToLiveStatus")
    if status in _ON:
        if target.get("AttributeName") == attribute:
            yield Result(NAME, "ttl", UNCHANGED, detail={"attribute": attribute})
        else:
            yield Result(
                NAME,
                "ttl",
                FAILED,
                f"the target's time to live uses attribute {target.get('AttributeName')!r}, the source's "
                f"{attribute!r}; disable it on the target (DynamoDB allows one change per hour) "
                "and run again",
            )
        return
    if status == "DISABLING":
        yield Result(
            NAME,
            "ttl",
            FAILED,
            "time to live is being disabled on the target; run the phase again in an hour",
        )
        return
    ctx.wait_active()
    ctx.call(
        ddb.update_time_to_live,
        TableName=ctx.target_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
    )
    yield Result(NAME, "ttl", APPLIED, detail={"attribute": attribute})
