"""Point-in-time recovery, with the source's recovery period."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ParamValidationError

from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result

NAME = "pitr"
PHASE = "restore"

# DynamoDB answers this while it is still setting up continuous backups of a new table.
_NOT_YET = frozenset({"ContinuousBackupsUnavailableException"})


def _describe(ctx: SyncContext, table: str) -> dict[str, Any]:
    ddb = ctx.client("dynamodb")
    response = ctx.call(ddb.describe_continuous_backups, retry_codes=_NOT_YET, TableName=table)
    return response["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})


def _update(ctx: SyncContext, spec: dict[str, Any]) -> None:
    ctx.call(
        ctx.client("dynamodb").update_continuous_backups,
        retry_codes=_NOT_YET,
        TableName=ctx.target_table,
        PointInTimeRecoverySpecification=spec,
    )


def sync(ctx: SyncContext) -> Iterator[Result]:
    source = _describe(ctx, ctx.source_table)
    if source.get("PointInTimeRecoveryStatus") != "ENABLED":
        yield Result(NAME, "pitr", SKIPPED, "point-in-time recovery is off on the source")
        return
    period = source.get("RecoveryPeriodInDays")
    target = _describe(ctx, ctx.target_table)
    if target.get("PointInTimeRecoveryStatus") == "ENABLED" and target.get("RecoveryPeriodInDays") == period:
        yield Result(NAME, "pitr", UNCHANGED, detail={"recovery_period_days": period})
        return
    try:
        _update(
            ctx, {"PointInTimeRecoveryEnabled": True, **({"RecoveryPeriodInDays": period} if period else {})}
        )
    except ParamValidationError:
        # The bundled SDK predates RecoveryPeriodInDays: enable with the default period and say so.
        if not period:
            raise
        _update(ctx, {"PointInTimeRecoveryEnabled": True})
        yield Result(
            NAME, "pitr", APPLIED, f"enabled with the default period: this SDK cannot set {period} days"
        )
        return
    yield Result(NAME, "pitr", APPLIED, detail={"recovery_period_days": period})
