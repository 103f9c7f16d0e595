"""Fault injection on the runner: whatever settings fail, and wherever the time runs out, every other
setting still runs, every setting gets a result, and the summary says what is left."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pitr.settings_sync import runner
from pitr.settings_sync.context import OutOfTimeError, SyncContext
from pitr.settings_sync.report import APPLIED, DEFERRED, FAILED, SKIPPED, Result

NAMES = [f"s{i}" for i in range(6)]


def _module(name: str, phase: str, fate: str) -> SimpleNamespace:
    def sync(ctx: SyncContext) -> Iterator[Result]:
        yield Result(name, "first", APPLIED)
        if fate == "error":
            raise RuntimeError(f"{name} broke")
        if fate == "timeout":
            raise OutOfTimeError("time limit reached")
        yield Result(name, "second", APPLIED)

    def preview(ctx: SyncContext) -> Iterator[Result]:
        yield Result(name, "later", DEFERRED)

    return SimpleNamespace(NAME=name, PHASE=phase, sync=sync, preview=preview)


@given(
    phases=st.lists(st.sampled_from(["restore", "cutover"]), min_size=len(NAMES), max_size=len(NAMES)),
    fates=st.lists(
        st.sampled_from(["ok", "ok", "error", "timeout"]), min_size=len(NAMES), max_size=len(NAMES)
    ),
    switched_off=st.sets(st.sampled_from(NAMES)),
    phase=st.sampled_from(["restore", "cutover"]),
)
def test_failures_never_stop_the_others(
    phases: list[str], fates: list[str], switched_off: set[str], phase: str
) -> None:
    modules = tuple(_module(n, p, f) for n, p, f in zip(NAMES, phases, fates, strict=True))
    original = runner.SETTINGS
    runner.SETTINGS = modules  # type: ignore[assignment]
    try:
        ctx = SyncContext(source_table="a", target_table="a-restored-1", phase=phase)
        results, complete = runner.run(ctx, {n: n not in switched_off for n in NAMES})
    finally:
        runner.SETTINGS = original

    by_setting: dict[str, list[Result]] = {}
    for r in results:
        by_setting.setdefault(r.setting, []).append(r)
    selected = [m for m in modules if phase == "restore" or m.PHASE == "cutover"]
    assert list(by_setting) == [m.NAME for m in selected]  # every selected setting, in order

    timed_out = False
    for m, fate in ((m, fates[NAMES.index(m.NAME)]) for m in selected):
        got: list[Any] = [(r.item, r.outcome) for r in by_setting[m.NAME]]
        if m.NAME in switched_off:
            assert got == [(m.NAME, SKIPPED)]
        elif timed_out:
            assert got == [(m.NAME, FAILED)] and "not started" in by_setting[m.NAME][0].reason
        elif phase != m.PHASE:
            assert got == [("later", DEFERRED)]
        elif fate == "ok":
            assert got == [("first", APPLIED), ("second", APPLIED)]
        else:
            # What was done before the failure is kept; the failure is the setting's own.
            assert got == [("first", APPLIED), (m.NAME, FAILED)]
            timed_out = timed_out or fate == "timeout"
    assert complete is not timed_out
