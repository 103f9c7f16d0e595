"""Runs the settings in order for one phase and collects their results.

Order matters: warm throughput comes first (replay is already writing), the stream next (the
stream's resource policy and the triggers need the target's stream), table updates wait for ACTIVE
between them, and the side effects (triggers, Kinesis destinations, replicas) come last. One
setting failing never stops the others; running out of time stops the run and marks what was not
done, so the same phase can simply be run again.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

from pitr import logs

from . import (
    alarms,
    autoscaling,
    contributor_insights,
    deletion_protection,
    iam_policies,
    kinesis,
    replicas,
    resource_policy,
    scheduled_scaling,
    streams,
    tags,
    triggers,
    ttl,
    warm_throughput,
)
from . import pitr as point_in_time_recovery  # the name pitr is the package's own
from .context import OutOfTimeError, SyncContext
from .report import FAILED, SKIPPED, Result, describe_error, summarize

# The registry: every copied setting, in the order they run. catalogue.json lists the same settings in
# the same order (its switches, defaults, docs line and DynamoDB actions; tests/settings_sync/
# test_catalogue.py checks the two agree).
SETTINGS: tuple[ModuleType, ...] = (
    warm_throughput,  # first: replay is already writing to the target
    streams,
    ttl,
    point_in_time_recovery,
    deletion_protection,
    tags,
    autoscaling,
    scheduled_scaling,  # after autoscaling: an action needs its scalable target
    contributor_insights,
    resource_policy,
    alarms,
    iam_policies,
    triggers,
    kinesis,
    replicas,  # last: adding a replica makes the target UPDATING
)
NAMES: tuple[str, ...] = tuple(m.NAME for m in SETTINGS)
PHASES = ("restore", "cutover")


def _at_cutover(module: ModuleType) -> bool:
    # ALSO_AT_CUTOVER: a restore-phase setting that may hold part of its work for cut-over.
    return module.PHASE == "cutover" or getattr(module, "ALSO_AT_CUTOVER", False)


def _results(ctx: SyncContext, module: ModuleType) -> Iterator[Result]:
    if ctx.phase == module.PHASE or (ctx.phase == "cutover" and _at_cutover(module)):
        yield from module.sync(ctx)
    else:  # restore phase, cut-over setting: report what cut-over will do
        yield from module.preview(ctx)


def selected(phase: str) -> tuple[ModuleType, ...]:
    """The settings a phase reports on: all of them at restore, only the side effects at cut-over.

    Cut-over happens while the application's writes are paused, so it does only what must wait for
    it; re-running phase ``restore`` at any time picks up settings changed on the source since.
    """
    return SETTINGS if phase == "restore" else tuple(m for m in SETTINGS if _at_cutover(m))


def run(ctx: SyncContext, switches: dict[str, bool]) -> tuple[list[Result], bool]:
    """Every result of the phase, and whether the run finished before the deadline."""
    results: list[Result] = []
    complete = True
    for module in selected(ctx.phase):
        if not switches.get(module.NAME, True):
            results.append(Result(module.NAME, module.NAME, SKIPPED, "switched off"))
            continue
        if not complete:
            results.append(
                Result(module.NAME, module.NAME, FAILED, "not started: time limit reached; run again")
            )
            continue
        try:
            for result in _results(ctx, module):
                results.append(result)
        except OutOfTimeError as exc:
            complete = False
            results.append(Result(module.NAME, module.NAME, FAILED, str(exc)))
        except Exception as exc:  # one failing setting never stops the others
            results.append(Result(module.NAME, module.NAME, FAILED, describe_error(exc)))
    return results, complete


def sync(ctx: SyncContext, switches: dict[str, bool]) -> dict[str, Any]:
    """Run, log every result in full (one line each), and return the small summary."""
    results, complete = run(ctx, switches)
    for result in results:
        logs.info(
            "settings_sync result",
            source_table=ctx.source_table,
            target_table=ctx.target_table,
            phase=ctx.phase,
            **result.as_log(),
        )
    summary = summarize(
        results,
        source_table=ctx.source_table,
        target_table=ctx.target_table,
        phase=ctx.phase,
        complete=complete,
    )
    logs.info(
        "settings_sync done",
        **{k: summary[k] for k in ("source_table", "target_table", "phase", "complete", "counts")},
    )
    return summary
