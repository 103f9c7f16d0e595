"""``pitrctl rehearse``: the whole pipeline in-process against moto, no AWS account.

The CLI imports only ``run`` from here; moto and the simulation load when a rehearsal actually runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.markup import escape

from pitr import logs
from pitrctl.errors import PitrctlError
from pitrctl.options import RehearsalOptions
from pitrctl.ui import Ui


def run(
    options: RehearsalOptions, ui: Ui, *, log_file: str | None = None, verbose: bool = False
) -> dict[str, Any]:
    """Run a rehearsal, show the outcome, return the report. The functions' log lines go to
    ``log_file`` (default: a new file in the temporary directory), or to stderr when ``verbose``."""
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
    # moto loads only when a rehearsal runs, not for every pitrctl command.
    from pitrctl.rehearse.rehearsal import rehearse  # noqa: PLC0415

    with function_logs(verbose, log_file) as where:
        report = rehearse(options, ui)
    report["function_log"] = where
    show(report, ui)
    return report


@contextlib.contextmanager
def function_logs(verbose: bool, path: str | None) -> Iterator[str]:
    """The functions' JSON log lines go to a file (or, ``verbose``, to stderr): stdout is the report.

    Yields where they go. Nothing is lost: every level the functions log is kept.
    """
    logger = logs.get_logger()
    saved_handlers, saved_level = list(logger.handlers), logger.level
    formatter = next((h.formatter for h in saved_handlers if h.formatter is not None), None)
    if verbose:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        where = "stderr"
    else:
        if path is None:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            path = str(Path(tempfile.gettempdir()) / f"pitrctl-rehearse-{stamp}-{os.getpid()}.log")
        handler = logging.FileHandler(path, encoding="utf-8")
        where = path
    handler.setFormatter(formatter)
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    try:
        yield where
    finally:
        handler.close()
        logger.handlers = saved_handlers
        logger.setLevel(saved_level)


# What each count counts (the table's column titles; the JSON report's keys are on the left).
COUNTS = {
    "changes_made": "source writes made by the traffic",
    "buffered": "changes the subscriber put in the buffer",
    "replayed": "changes the writer applied to the restored table",
    "skipped": "changes older than the replay start, not applied",
    "coalesced": "changes superseded by a newer one in the same batch",
    "duplicates": "changes delivered again and dropped as duplicates",
    "spilled": "changes too large for SQS, carried through S3",
    "dead_lettered": "messages moved to the buffer's dead-letter queue",
}


SIMULATED = "simulated (moto lacks the API)"


def show(report: dict[str, Any], ui: Ui) -> None:
    verification = report["verification"]
    counts = report["counts"]
    ui.table(
        "Counts",
        ("count", "what it counts"),
        [(counts.get(key, 0), meaning) for key, meaning in COUNTS.items()],
    )
    if verification.get("settings"):
        ui.table(
            "Settings (source vs restored table)",
            ("setting", "copied", "note"),
            [
                (
                    name,
                    "yes" if s["equal"] else ("reported" if s.get("reported") else "NO"),
                    "simulated (moto lacks the API)" if s["simulated"] else "",
                )
                for name, s in verification["settings"].items()
            ],
        )
    for difference in verification.get("item_differences", []):
        ui.text(f"item {difference['key']}: {difference['problem']}", style="red")
    if verification["passed"]:
        ui.say(
            f"[bold green]verification passed[/]: {verification['items_expected']} items equal, "
            f"every setting copied, replay off, restore record released ({report['wall_seconds']} s wall, "
            f"{report['simulated_seconds']:.0f} s simulated)"
        )
    elif verification.get("reason"):
        ui.say(f"[bold red]verification FAILED[/]: {escape(str(verification['reason']))}")
    else:
        ui.say("[bold red]verification FAILED[/]: see the differences above")
    ui.say(f"function logs: {report.get('function_log', 'stderr')}")
