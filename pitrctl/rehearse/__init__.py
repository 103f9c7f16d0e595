"""``pitrctl rehearse``: the whole pipeline in-process against moto, no AWS account.

The CLI imports only ``add_arguments`` and ``run`` from here; moto and the simulation load when a
rehearsal actually runs.
"""

from __future__ import annotations

import argparse
from typing import Any

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
    raise PitrctlError(
        "rehearse is not assembled yet",
        hint="run `make test` meanwhile; rehearse lands with the restore workflow",
        exit_code=2,
    )
