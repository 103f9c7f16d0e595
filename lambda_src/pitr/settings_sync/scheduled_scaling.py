"""Scheduled scaling: Application Auto Scaling's scheduled actions of the table and of every GSI.

AWS lists "Auto scaling policies" among what "You must manually set up ... on the restored table";
scheduled actions are part of them. Each is put on the target with ``PutScheduledAction`` and the
same name, ``Schedule`` ("at(...)", "rate(...)" or "cron(...)"), ``Timezone``, ``StartTime``,
``EndTime`` and ``ScalableTargetAction`` (minimum and maximum capacity), re-pointed at the target's
``ResourceId``. "If you need to change a scheduled action, you can update it" by putting it again
with the same name, so a changed action is simply put again; an action removed from the source is
deleted from the copy (``DeleteScheduledAction``). Listings are filtered exactly here
(some implementations match ``ResourceId`` as a prefix: ``table/orders`` would take in
``table/orders-restored-1``). The action needs the target's scalable target, which setting
``autoscaling`` registers first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .autoscaling import NAMESPACE, resource_ids
from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result, attempt

NAME = "scheduled_scaling"
PHASE = "restore"

_FIELDS = ("Schedule", "Timezone", "StartTime", "EndTime", "ScalableTargetAction")


def action_settings(action: dict[str, Any]) -> dict[str, Any]:
    """The comparable, re-puttable part of a scheduled action."""
    settings = {k: action[k] for k in _FIELDS if action.get(k) not in (None, {}, "")}
    target_action = settings.get("ScalableTargetAction")
    if target_action is not None:
        settings["ScalableTargetAction"] = {
            k: int(target_action[k]) for k in ("MinCapacity", "MaxCapacity") if k in target_action
        }
    return settings


def _actions(ctx: SyncContext, resource_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    aas = ctx.client("application-autoscaling")
    return {
        (a["ScalableDimension"], a["ScheduledActionName"]): a
        for a in ctx.pages(
            aas.describe_scheduled_actions,
            "ScheduledActions",
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
        )
        if a["ResourceId"] == resource_id
    }


def _put(ctx: SyncContext, target_id: str, dimension: str, name: str, wanted: dict[str, Any]) -> Result:
    aas = ctx.client("application-autoscaling")
    ctx.call(
        aas.put_scheduled_action,
        ServiceNamespace=NAMESPACE,
        ScheduledActionName=name,
        ResourceId=target_id,
        ScalableDimension=dimension,
        **wanted,
    )
    return Result(NAME, "", APPLIED, detail=_loggable(wanted))


def _loggable(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in settings.items()}


def _delete(ctx: SyncContext, target_id: str, dimension: str, name: str) -> Result:
    ctx.call(
        ctx.client("application-autoscaling").delete_scheduled_action,
        ServiceNamespace=NAMESPACE,
        ScheduledActionName=name,
        ResourceId=target_id,
        ScalableDimension=dimension,
    )
    return Result(NAME, "", APPLIED, "removed: no longer on the source")


def _label_sync(ctx: SyncContext, label: str, source_id: str, target_indexes: set[str]) -> Iterator[Result]:
    index = None if label == "table" else label.removeprefix("index/")
    actions = _actions(ctx, source_id)
    if index is not None and index not in target_indexes:
        for _dimension, name in sorted(actions):
            yield Result(
                NAME, f"{label} {name}", SKIPPED, "the index is not on the target (left out of the restore)"
            )
        return
    target_id = resource_ids(ctx.target_table, [index] if index else [])[label]
    current = _actions(ctx, target_id)
    for (dimension, name), action in sorted(actions.items()):
        ctx.check_time()
        item = f"{label} {name}"
        wanted = action_settings(action)
        existing = current.get((dimension, name))
        if existing is not None and action_settings(existing) == wanted:
            yield Result(NAME, item, UNCHANGED, detail=_loggable(wanted))
            continue
        result = attempt(NAME, item, lambda d=dimension, n=name, w=wanted: _put(ctx, target_id, d, n, w))
        yield Result(NAME, item, result.outcome, result.reason, detail=result.detail)
    # An action removed from the source is removed from the copy (a restore carries none over, so
    # every action on the restored table is a copy).
    for dimension, name in sorted(set(current) - set(actions)):
        ctx.check_time()
        result = attempt(NAME, f"{label} {name}", lambda d=dimension, n=name: _delete(ctx, target_id, d, n))
        yield Result(NAME, f"{label} {name}", result.outcome, result.reason)


def sync(ctx: SyncContext) -> Iterator[Result]:
    source_ids = resource_ids(ctx.source_table, ctx.gsi_names(ctx.source()))
    target_indexes = set(ctx.gsi_names(ctx.target(refresh=True)))
    found = False
    for label, source_id in source_ids.items():
        for result in _label_sync(ctx, label, source_id, target_indexes):
            found = True
            yield result
    if not found:
        yield Result(NAME, "table", SKIPPED, "no scheduled scaling actions on the source")
