"""Tags: every tag of the source except AWS's own (``aws:``); the target's other tags are kept."""

from __future__ import annotations

from collections.abc import Iterator

from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result

NAME = "tags"
PHASE = "restore"

_BATCH = 25  # well inside TagResource's limits


def _tags(ctx: SyncContext, arn: str) -> dict[str, str]:
    ddb = ctx.client("dynamodb")
    return {t["Key"]: t["Value"] for t in ctx.pages(ddb.list_tags_of_resource, "Tags", ResourceArn=arn)}


def sync(ctx: SyncContext) -> Iterator[Result]:
    wanted = {k: v for k, v in _tags(ctx, ctx.source()["TableArn"]).items() if not k.startswith("aws:")}
    if not wanted:
        yield Result(NAME, "table", SKIPPED, "the source has no tags of its own")
        return
    target_arn = ctx.target()["TableArn"]
    present = _tags(ctx, target_arn)
    missing = {k: v for k, v in wanted.items() if present.get(k) != v}
    if not missing:
        yield Result(NAME, "table", UNCHANGED, detail={"tags": len(wanted)})
        return
    ddb = ctx.client("dynamodb")
    keys = sorted(missing)
    for start in range(0, len(keys), _BATCH):
        batch = [{"Key": k, "Value": missing[k]} for k in keys[start : start + _BATCH]]
        ctx.call(ddb.tag_resource, ResourceArn=target_arn, Tags=batch)
    yield Result(NAME, "table", APPLIED, detail={"tags_set": keys})
