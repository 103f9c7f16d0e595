"""Contributor Insights on the table and on each GSI, with the source's mode.

The source is read with one DescribeContributorInsights per table and index rather than
ListContributorInsights, which IAM cannot scope to a table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result

NAME = "contributor_insights"
PHASE = "restore"

_ON = ("ENABLED", "ENABLING")


def _item(index: str | None) -> str:
    return f"index/{index}" if index else "table"


def _describe(ctx: SyncContext, table: str, index: str | None) -> dict[str, Any]:
    ddb = ctx.client("dynamodb")
    return ctx.call(
        ddb.describe_contributor_insights,
        TableName=table,
        **({"IndexName": index} if index else {}),
    )


def sync(ctx: SyncContext) -> Iterator[Result]:
    ddb = ctx.client("dynamodb")
    enabled = []
    for index in [None, *ctx.gsi_names(ctx.source())]:
        described = _describe(ctx, ctx.source_table, index)
        if described.get("ContributorInsightsStatus") in _ON:
            enabled.append(described)
    if not enabled:
        yield Result(NAME, "table", SKIPPED, "contributor insights is off on the source")
        return
    target_indexes = set(ctx.gsi_names(ctx.target()))
    for summary in sorted(enabled, key=lambda s: s.get("IndexName") or ""):
        index = summary.get("IndexName")
        item = _item(index)
        if index and index not in target_indexes:
            yield Result(NAME, item, SKIPPED, "the index is not on the target (left out of the restore)")
            continue
        mode = summary.get("ContributorInsightsMode")
        current = _describe(ctx, ctx.target_table, index)
        if current.get("ContributorInsightsStatus") in _ON and current.get("ContributorInsightsMode") == mode:
            yield Result(NAME, item, UNCHANGED)
            continue
        ctx.check_time()
        ctx.wait_active()
        _, with_mode = ctx.call_optional(
            ddb.update_contributor_insights,
            {"ContributorInsightsMode": mode},
            TableName=ctx.target_table,
            ContributorInsightsAction="ENABLE",
            **({"IndexName": index} if index else {}),
        )
        note = "" if with_mode or not mode else f"enabled in the default mode: this SDK cannot set {mode}"
        yield Result(NAME, item, APPLIED, note, detail={"mode": mode} if mode else {})
