"""The rehearsal itself: live traffic, a restore to a point in the past, replay, cut-over, verification.

Timeline in simulated seconds (``duration`` D): traffic from 0 until the operator pauses it for the
cut-over; the restore point at 0.3 D; the restore requested at 0.5 D, taking ``restore_seconds``;
then the workflow enables replay, copies settings, reports "caught up"; after D the operator runs
``pitrctl cutover`` (the real command, against the sandbox); then both tables are compared.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from rich.markup import escape

from pitr.restore_record import CAUGHT_UP
from pitrctl import commands
from pitrctl.options import CutoverOptions, RehearsalOptions
from pitrctl.progress import Progress
from pitrctl.sim import traffic
from pitrctl.sim.restores import scan_all
from pitrctl.sim.sandbox import Sandbox, SandboxOptions
from pitrctl.sim.verify import compare_settings
from pitrctl.status import eta_seconds
from pitrctl.ui import Ui
from pitrctl.verify import compare_items

KEY_NAMES = ["pk", "sk"]


def _key(item: dict[str, Any]) -> str:
    return repr(sorted((name, item[name]["S"]) for name in KEY_NAMES))


def expected_items(
    source_now: list[dict[str, Any]],
    snapshot: list[dict[str, Any]],
    changed_after_start: set[str],
    replay_from: str,
) -> list[dict[str, Any]]:
    """What the restored table must hold after cut-over.

    ``restore_point``: the source, item for item. ``restore_request``: items changed at or after the
    replay start as the source holds them (deleted ones absent), every other item as of the restore
    point: the incident's writes before the request stay discarded.
    """
    if replay_from == "restore_point":
        return source_now
    kept = [item for item in snapshot if _key(item) not in changed_after_start]
    changed = [item for item in source_now if _key(item) in changed_after_start]
    return kept + changed


class Traffic:
    """Writes at ``rate`` per simulated second while on; remembers when each item last changed."""

    def __init__(self, box: Sandbox, options: RehearsalOptions) -> None:
        self.box = box
        self.rate = options.write_rate
        self.plan = traffic.plan(options.seed, options.items, options.large_items)
        self.on = True
        self.made = 0
        self._due = 0.0
        self.changes: list[tuple[float, str]] = []  # (stream second, item key)

    def __call__(self, seconds: float) -> None:
        if not self.on:
            return
        self._due += self.rate * seconds
        now = self.box.clock.clock()
        while self._due >= 1:
            operation = next(self.plan)
            traffic.apply(operation, self.box.ddb, self.box.names.source)
            self.changes.append((math.floor(now), _key(operation.key)))
            self.made += 1
            self._due -= 1

    def changed_since(self, second: float) -> set[str]:
        return {key for when, key in self.changes if when >= second}


def _status(box: Sandbox) -> str:
    record = box.record()
    state = "idle" if record is None else record.status
    return f"t={box.clock.clock() - box.started:6.0f}s  restore={state:<12} backlog={box.backlog():5d}"


@dataclass
class _Restore:
    target: str
    restore_point: float
    requested_at: float
    snapshot: list[dict[str, Any]]
    execution: str


def _run_to(box: Sandbox, options: RehearsalOptions, fraction: float) -> None:
    box.run_until(
        lambda: box.clock.clock() >= box.started + fraction * options.duration,
        step=options.tick_seconds,
        limit=options.duration,
        what=f"{fraction:.0%} of the traffic",
    )


def _request_restore(box: Sandbox, options: RehearsalOptions, ui: Ui) -> _Restore:
    """Take the restore point at 0.3 D, request the restore at 0.5 D, let the rule start the workflow."""
    _run_to(box, options, 0.3)
    restore_point = box.clock.clock()
    snapshot = box.snapshot()
    ui.say(f"{_status(box)}  restore point taken ({len(snapshot)} items)")
    _run_to(box, options, 0.5)
    stamp = datetime.fromtimestamp(box.clock.clock(), tz=UTC).strftime("%Y%m%d%H%M%S")
    target = f"{box.names.source}-restored-{stamp}"
    requested_at = box.clock.clock()
    box.simulate_restore(target, restore_point, snapshot, options.restore_seconds)
    execution = box.deliver_event(box.cloudtrail_event(target, restore_point))
    if execution is None:
        raise RuntimeError("the rule's pattern did not match the restore event: the workflow never starts")
    ui.say(f"{_status(box)}  restore into {target} requested; the rule started the workflow")
    return _Restore(target, restore_point, requested_at, snapshot, execution)


def _wait_caught_up(box: Sandbox, options: RehearsalOptions, ui: Ui, restore: _Restore) -> None:
    """Keep the traffic going until the workflow reports caught up and the traffic's time is over."""
    last_report = box.clock.clock()
    last_replayed = box.counters.replayed

    def caught_up() -> bool:
        nonlocal last_report, last_replayed
        if box.clock.clock() - last_report >= options.duration / 10:
            # One live display (pitrctl.progress), in simulated seconds.
            record = box.record()
            rate = (box.counters.replayed - last_replayed) / (box.clock.clock() - last_report)
            backlog = box.backlog()
            ui.update(
                Progress(
                    phase="idle" if record is None else record.status,
                    elapsed_seconds=box.clock.clock() - box.started,
                    backlog=backlog,
                    replay_rate_per_s=rate,
                    eta_seconds=eta_seconds(backlog, rate),
                    detail=f"simulated time; {box.counters.replayed} changes replayed into {restore.target}",
                )
            )
            last_report, last_replayed = box.clock.clock(), box.counters.replayed
        if box.clock.clock() < box.started + options.duration:
            return False
        record = box.record()
        return record is not None and record.status == CAUGHT_UP and box.parked(restore.execution)

    box.run_until(caught_up, step=options.tick_seconds, limit=options.duration * 20 + 7200, what="caught up")
    ui.end_progress()
    ui.say(f"{_status(box)}  caught up: the restored table mirrors the source")


def _verify(box: Sandbox, options: RehearsalOptions, live: Traffic, restore: _Restore) -> dict[str, Any]:
    source_items = scan_all(box.ddb, box.names.source)
    start = restore.requested_at if options.replay_from == "restore_request" else restore.restore_point
    expected = expected_items(
        source_items, restore.snapshot, live.changed_since(math.floor(start)), options.replay_from
    )
    differences = compare_items(expected, scan_all(box.ddb, restore.target), KEY_NAMES)
    settings = compare_settings(box.names.source, restore.target)
    verification = {
        "items_expected": len(expected),
        "item_differences": differences[:20],
        "item_difference_count": len(differences),
        "settings": settings,
        "settings_not_copied": sorted(n for n, s in settings.items() if not s["equal"] and not s["reported"]),
        "simulated_settings": sorted(n for n, s in settings.items() if s["simulated"]),
        "record_released": box.record() is None,
        "replay_mapping": box.lam.get_event_source_mapping(UUID=box.replay_mapping_uuid)["State"],
    }
    verification["passed"] = (
        not differences
        and not verification["settings_not_copied"]
        and verification["record_released"]
        and verification["replay_mapping"] == "Disabled"
    )
    return verification


def rehearse(options: RehearsalOptions, ui: Ui) -> dict[str, Any]:
    wall_start = time.monotonic()
    sandbox_options = SandboxOptions(
        replay_from=options.replay_from,
        fault_rate=options.fault_rate,
        faults=options.faults,
        seed=options.seed,
    )
    timeline: dict[str, float] = {}
    with Sandbox(sandbox_options) as box:
        box.started = box.clock.clock()
        live = Traffic(box, options)
        box.clock.hooks[:] = [live, lambda _seconds: box.tick()]
        ui.say(
            f"[bold]Rehearsal[/]: {options.items} items, {options.write_rate:g} writes/s, "
            f"{options.duration:g} s of traffic, replay from {options.replay_from}"
        )
        restore: _Restore | None = None
        cutover: dict[str, Any] = {}
        try:
            restore = _request_restore(box, options, ui)
            timeline["restore_point_s"] = restore.restore_point - box.started
            timeline["restore_requested_s"] = restore.requested_at - box.started
            _wait_caught_up(box, options, ui, restore)
            timeline["caught_up_s"] = box.clock.clock() - box.started

            live.on = False
            ui.say(f"{_status(box)}  traffic paused for the cut-over")
            cutover = commands.cutover(
                CutoverOptions(table=box.names.source, interval=5.0, yes=True),
                box.aws,
                Ui(json_mode=True),
                sleep=box.clock.sleep,
            )
            timeline["cut_over_s"] = box.clock.clock() - box.started
            ui.say(f"{_status(box)}  switch now: {restore.target}")

            verification = _verify(box, options, live, restore)
        except Exception as exc:  # a stuck pipeline is a failed verification, never a traceback
            verification = {
                "passed": False,
                "reason": f"the pipeline did not finish: {type(exc).__name__}: {exc}",
            }
            ui.say(f"[red]stopped[/]: {type(exc).__name__}: {escape(str(exc))}")
        counts = asdict(box.counters)
        counts["changes_made"] = live.made
        counts["dead_lettered"] = box.poller.stats.dead_lettered
        simulated = box.clock.clock() - box.started
    return {
        "options": asdict(options),
        "target_table": restore.target if restore else None,
        "timeline": timeline,
        "counts": counts,
        "cutover": {k: v for k, v in cutover.items() if k != "import_block"},
        "verification": verification,
        "simulated_seconds": round(simulated, 1),
        "wall_seconds": round(time.monotonic() - wall_start, 1),
    }
