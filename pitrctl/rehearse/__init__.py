"""``pitrctl rehearse``: the whole pipeline in-process against moto, no AWS account.

The CLI imports only ``add_arguments`` and ``run`` from here; moto and the simulation load when a
rehearsal actually runs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from pitr import logs
from pitrctl.errors import PitrctlError
from pitrctl.ui import Ui


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", type=int, default=300, help="distinct items the traffic touches")
    parser.add_argument("--write-rate", type=float, default=40.0, help="source writes per second")
    parser.add_argument(
        "--duration", type=float, default=40.0, help="seconds of live traffic before cut-over"
    )
    parser.add_argument(
        "--restore-seconds", type=float, default=10.0, help="how long the simulated restore takes"
    )
    parser.add_argument(
        "--replay-from",
        choices=["restore_point", "restore_request"],
        default="restore_point",
        help="replay start",
    )
    parser.add_argument("--large-items", type=int, default=3, help="items written near the 400 KB limit")
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of calls that throttle or fail partly"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the traffic and the faults")


def run(args: Any, ui: Ui) -> dict[str, Any]:
    """Run a rehearsal from the CLI's arguments, show the outcome, return the report."""
    # moto loads only when a rehearsal runs, not for every pitrctl command.
    from pitrctl.rehearse.rehearsal import RehearsalOptions, rehearse  # noqa: PLC0415

    options = RehearsalOptions(
        items=args.items,
        write_rate=args.write_rate,
        duration=args.duration,
        restore_seconds=args.restore_seconds,
        replay_from=args.replay_from,
        large_items=args.large_items,
        fault_rate=args.fault_rate,
        seed=args.seed,
    )
    if (
        options.items < 1
        or options.write_rate <= 0
        or options.duration <= 0
        or not 0 <= options.fault_rate < 1
    ):
        raise PitrctlError(
            "--items, --write-rate and --duration must be positive and --fault-rate in [0, 1)",
            hint="e.g. pitrctl rehearse --items 300 --write-rate 40 --duration 120",
            exit_code=2,
        )
    with quiet_function_logs():
        report = rehearse(options, ui)
    show(report, ui)
    return report


@contextlib.contextmanager
def quiet_function_logs() -> Iterator[None]:
    """The functions' JSON log lines go to stderr, warnings and errors only: stdout is the report."""
    logger = logs.get_logger()
    saved = [
        (handler, handler.setStream(sys.stderr))
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler)
    ]
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
        for handler, stream in saved:
            handler.setStream(stream)


def show(report: dict[str, Any], ui: Ui) -> None:
    verification = report["verification"]
    counts = report["counts"]
    ui.table(
        "Counts",
        (
            "changes made",
            "buffered",
            "replayed",
            "skipped",
            "coalesced",
            "duplicates dropped",
            "spilled to S3",
        ),
        [
            (
                counts["changes_made"],
                counts["buffered"],
                counts["replayed"],
                counts["skipped"],
                counts["coalesced"],
                counts["duplicates"],
                counts["spilled"],
            )
        ],
    )
    ui.table(
        "Settings (source vs restored table)",
        ("setting", "copied", "note"),
        [
            (name, "yes" if s["equal"] else "NO", "simulated (moto lacks the API)" if s["simulated"] else "")
            for name, s in verification["settings"].items()
        ],
    )
    for difference in verification["item_differences"]:
        ui.say(f"[red]item {difference['key']}: {difference['problem']}[/]")
    if verification["passed"]:
        ui.say(
            f"[bold green]verification passed[/]: {verification['items_expected']} items equal, "
            f"every setting copied, replay off, restore record released ({report['wall_seconds']} s wall, "
            f"{report['simulated_seconds']:.0f} s simulated)"
        )
    else:
        ui.say("[bold red]verification FAILED[/]: see the differences above")
