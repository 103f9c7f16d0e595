"""Deletion protection."""

from __future__ import annotations

from collections.abc import Iterator

from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result

NAME = "deletion_protection"
PHASE = "restore"


def sync(ctx: SyncContext) -> Iterator[Result]:
    if not ctx.source().get("DeletionProtectionEnabled"):
        yield Result(NAME, "table", SKIPPED, "deletion protection is off on the source")
        return
    if ctx.target(refresh=True).get("DeletionProtectionEnabled"):
        yield Result(NAME, "table", UNCHANGED)
        return
    ctx.wait_active()
    ctx.call(ctx.client("dynamodb").update_table, TableName=ctx.target_table, DeletionProtectionEnabled=True)
    ctx.wait_active()
    yield Result(NAME, "table", APPLIED)
