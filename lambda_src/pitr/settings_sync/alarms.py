"""CloudWatch alarms on the source table's and its indexes' metrics, re-pointed at the target.

Every metric alarm of the account is listed once (paginated): that finds the source's alarms and
tells which target alarms already exist, without one describe call per alarm. Auto scaling's own
``TargetTracking-*`` alarms are left alone: the autoscaling setting makes the target's.

Alarm tags are copied when an alarm is created (PutMetricAlarm ignores tags on updates).

Actions wait for cut-over: until then the target is a replica being caught up, and its throttling
or latency during replay must not page anyone. Phase ``restore`` creates copies with actions off
(an existing copy keeps whatever it has, so a later ``restore`` run never silences a live table);
phase ``cutover`` switches them on with EnableAlarmActions, 100 alarms per call, because a
PutMetricAlarm per alarm would stretch the write pause.

Time: PutMetricAlarm is throttled per account (a few calls per second by default), so hundreds of
alarms take minutes; the loop checks the deadline before each alarm and a rerun continues where
the last stopped (alarms already copied come back ``unchanged``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from .context import OutOfTimeError, SyncContext
from .report import APPLIED, FAILED, SKIPPED, UNCHANGED, Result, describe_error

NAME = "alarms"
PHASE = "restore"
ALSO_AT_CUTOVER = True
ENABLE_BATCH = 100  # EnableAlarmActions takes at most 100 names
NAMESPACE = "AWS/DynamoDB"
AUTO_SCALING_PREFIX = "TargetTracking-"
MAX_NAME = 255

# What PutMetricAlarm takes and DescribeAlarms returns under the same names.
_FIELDS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)
_QUERY_FIELDS = ("Id", "MetricStat", "Expression", "Label", "ReturnData", "Period", "AccountId")


def _metrics(alarm: dict[str, Any]) -> Iterator[tuple[str | None, list[dict[str, Any]]]]:
    """(namespace, dimensions) of the alarm's metric and of each metric in its math."""
    if alarm.get("MetricName"):
        yield alarm.get("Namespace"), alarm.get("Dimensions") or []
    for query in alarm.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric")
        if metric:
            yield metric.get("Namespace"), metric.get("Dimensions") or []


def watches_table(alarm: dict[str, Any], table: str) -> bool:
    """True when a DynamoDB metric of ``table`` (or one of its indexes) feeds the alarm."""
    return any(
        namespace == NAMESPACE and any(d.get("Name") == "TableName" and d.get("Value") == table for d in dims)
        for namespace, dims in _metrics(alarm)
    )


def watched_indexes(alarm: dict[str, Any], table: str) -> set[str]:
    """The GSIs of ``table`` whose metrics feed the alarm (``GlobalSecondaryIndexName`` dimension)."""
    return {
        d["Value"]
        for namespace, dims in _metrics(alarm)
        if namespace == NAMESPACE
        and any(x.get("Name") == "TableName" and x.get("Value") == table for x in dims)
        for d in dims
        if d.get("Name") == "GlobalSecondaryIndexName"
    }


def target_name(name: str, source: str, target: str) -> str:
    """The copy's name: the source table's name replaced by the target's, else the target appended."""
    derived = name.replace(source, target) if source in name else f"{name} ({target})"
    if len(derived) > MAX_NAME:
        digest = hashlib.sha256(derived.encode()).hexdigest()[:8]
        derived = f"{derived[: MAX_NAME - 9]}-{digest}"
    return derived


def _dimensions(dims: list[dict[str, Any]], source: str, target: str) -> list[dict[str, Any]]:
    return [
        {
            "Name": d["Name"],
            "Value": target if d["Name"] == "TableName" and d["Value"] == source else d["Value"],
        }
        for d in dims
    ]


def put_arguments(
    alarm: dict[str, Any], source: str | None = None, target: str | None = None
) -> dict[str, Any]:
    """PutMetricAlarm arguments recreating ``alarm`` (re-pointed from ``source`` to ``target``)."""
    args = {k: alarm[k] for k in _FIELDS if alarm.get(k) not in (None, [], "")}
    if source and target and "Dimensions" in args:
        args["Dimensions"] = _dimensions(args["Dimensions"], source, target)
    if "Metrics" in args:
        queries = []
        for query in args["Metrics"]:
            kept = {k: query[k] for k in _QUERY_FIELDS if query.get(k) is not None}
            metric = (kept.get("MetricStat") or {}).get("Metric")
            if metric and source and target:
                metric = {**metric, "Dimensions": _dimensions(metric.get("Dimensions") or [], source, target)}
                kept["MetricStat"] = {**kept["MetricStat"], "Metric": metric}
            queries.append(kept)
        args["Metrics"] = queries
    return args


def sync(ctx: SyncContext) -> Iterator[Result]:
    cw = ctx.client("cloudwatch")
    by_name: dict[str, dict[str, Any]] = {}
    sources: list[dict[str, Any]] = []
    for alarm in ctx.pages(cw.describe_alarms, "MetricAlarms", AlarmTypes=["MetricAlarm"], MaxRecords=100):
        by_name[alarm["AlarmName"]] = alarm
        if watches_table(alarm, ctx.source_table) and not alarm["AlarmName"].startswith(AUTO_SCALING_PREFIX):
            sources.append(alarm)
    if not sources:
        yield Result(NAME, "alarms", SKIPPED, "no alarms watch the source table's metrics")
        return
    to_enable: list[str] = []
    target_indexes = set(ctx.gsi_names(ctx.target()))
    for alarm in sorted(sources, key=lambda a: a["AlarmName"]):
        ctx.check_time()
        name = target_name(alarm["AlarmName"], ctx.source_table, ctx.target_table)
        missing = sorted(watched_indexes(alarm, ctx.source_table) - target_indexes)
        if missing:
            yield Result(
                NAME,
                name,
                SKIPPED,
                f"watches index {', '.join(missing)}, which is not on the target (left out of the restore)",
                detail={"source_alarm": alarm["AlarmName"]},
            )
            continue
        existing = by_name.get(name)
        try:
            result = _copy(ctx, alarm, name, existing)
        except OutOfTimeError:
            raise
        except Exception as exc:  # one alarm failing never stops the others
            result = Result(NAME, name, FAILED, describe_error(exc))
        if result is None:
            to_enable.append(name)
        else:
            yield result
    yield from _enable_actions(ctx, to_enable)


def _enable_actions(ctx: SyncContext, names: list[str]) -> Iterator[Result]:
    cw = ctx.client("cloudwatch")
    for start in range(0, len(names), ENABLE_BATCH):
        batch = names[start : start + ENABLE_BATCH]
        ctx.check_time()
        try:
            ctx.call(cw.enable_alarm_actions, AlarmNames=batch)
        except Exception as exc:
            yield from (Result(NAME, n, FAILED, describe_error(exc)) for n in batch)
            continue
        yield from (Result(NAME, n, APPLIED, "actions enabled at cut-over") for n in batch)


def _wanted(ctx: SyncContext, alarm: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    wanted = put_arguments(alarm, ctx.source_table, ctx.target_table)
    if ctx.phase == "restore" and wanted.get("ActionsEnabled", True):
        # New copies start silent; an existing copy keeps its state (see the module docstring).
        wanted["ActionsEnabled"] = bool(existing is not None and existing.get("ActionsEnabled"))
    return wanted


def _copy(
    ctx: SyncContext, alarm: dict[str, Any], name: str, existing: dict[str, Any] | None
) -> Result | None:
    """The copy's result, or None when it only needs its actions enabled (batched by the caller)."""
    wanted = _wanted(ctx, alarm, existing)
    detail = {"source_alarm": alarm["AlarmName"]}
    held = "" if wanted.get("ActionsEnabled", True) else "actions held until cut-over"
    if existing is not None:
        current = put_arguments(existing)
        if current == wanted:
            return Result(NAME, name, UNCHANGED, held, detail=detail)
        if {**current, "ActionsEnabled": True} == wanted:
            return None
        if not watches_table(existing, ctx.target_table):
            return Result(
                NAME,
                name,
                FAILED,
                "an alarm with this name exists and watches something else; "
                "rename or delete it and run again",
                detail=detail,
            )
    cw = ctx.client("cloudwatch")
    if existing is None:
        # Tags only count when PutMetricAlarm creates the alarm, so they are read (one call) just
        # for alarms being created; an existing copy keeps the tags it has.
        tags = [
            t
            for t in ctx.call(cw.list_tags_for_resource, ResourceARN=alarm["AlarmArn"]).get("Tags", [])
            if not t["Key"].startswith("aws:")
        ]
        if tags:
            wanted = {**wanted, "Tags": tags}
    ctx.call(cw.put_metric_alarm, AlarmName=name, **wanted)
    return Result(NAME, name, APPLIED, held, detail=detail)
