"""Outcomes of one settings_sync run: one ``Result`` per copied item, and the small summary.

The summary is what the handler returns to Step Functions (256 KB payload limit), so it holds
counts and a bounded list of failures; every ``Result`` goes to the logs in full.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .context import OutOfTimeError

APPLIED = "applied"
UNCHANGED = "unchanged"
SKIPPED = "skipped"  # switched off, or nothing to copy
DEFERRED = "deferred"  # held for cut-over
FAILED = "failed"
OUTCOMES = (APPLIED, UNCHANGED, SKIPPED, DEFERRED, FAILED)

# Bounds of the returned summary: the full list is in the logs.
MAX_LISTED = 20
MAX_REASON = 400


@dataclass(frozen=True)
class Result:
    """What happened to one item of one setting (an alarm, an index's scaling target, the TTL...)."""

    setting: str
    item: str
    outcome: str
    reason: str = ""
    # Something the operator must do (e.g. the IAM policy a trigger's role needs); listed in the summary.
    action: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    # A few values worth the summary itself (the warm throughput asked for, a replica's status).
    report: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    def as_log(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", {}, None)}


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a failure: the AWS error code and message when there is one."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def _clip(text: str, limit: int = MAX_REASON) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summarize(
    results: list[Result], *, source_table: str, target_table: str, phase: str, complete: bool
) -> dict[str, Any]:
    """The handler's output: counts per outcome and per setting, and bounded failure/action lists."""
    counts = Counter(r.outcome for r in results)
    per_setting: dict[str, dict[str, int]] = {}
    for r in results:
        per_setting.setdefault(r.setting, {})
        per_setting[r.setting][r.outcome] = per_setting[r.setting].get(r.outcome, 0) + 1
    failures = [r for r in results if r.outcome == FAILED]
    actions = [r for r in results if r.action]
    reported = [r for r in results if r.report]
    return {
        "source_table": source_table,
        "target_table": target_table,
        "phase": phase,
        # False when the time limit stopped the run: running the same phase again finishes it.
        "complete": complete,
        "counts": {o: counts.get(o, 0) for o in OUTCOMES},
        "settings": per_setting,
        "failures": [
            {"setting": r.setting, "item": _clip(r.item, 300), "reason": _clip(r.reason)}
            for r in failures[:MAX_LISTED]
        ],
        "failures_not_listed": max(0, len(failures) - MAX_LISTED),
        "action_required": [
            {"setting": r.setting, "item": _clip(r.item, 300), "action": _clip(r.action, 1500)}
            for r in actions[:MAX_LISTED]
        ],
        "action_required_not_listed": max(0, len(actions) - MAX_LISTED),
        "reported": [
            {"setting": r.setting, "item": _clip(r.item, 300), **r.report} for r in reported[:MAX_LISTED]
        ],
        "reported_not_listed": max(0, len(reported) - MAX_LISTED),
    }


def attempt(setting: str, item: str, action: Callable[[], Result]) -> Result:
    """Run one item's copy; any error becomes that item's ``failed`` result, so the rest go on.

    Running out of time is not an item failure: it propagates so the runner can stop cleanly.
    """
    try:
        return action()
    except OutOfTimeError:
        raise
    except Exception as exc:
        return Result(setting, item, FAILED, describe_error(exc))
