"""``pitrctl rehearse``: the whole pipeline in-process against moto (issue 6; being assembled)."""

from __future__ import annotations

import argparse
from typing import Any

from pitrctl.errors import PitrctlError
from pitrctl.ui import Ui


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=7, help="random seed of the simulated traffic")


def run(args: Any, ui: Ui) -> dict[str, Any]:
    raise PitrctlError(
        "rehearse is not assembled yet",
        hint="run `make test` meanwhile; rehearse lands with the restore workflow",
        exit_code=2,
    )
