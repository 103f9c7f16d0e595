"""Output for people (rich tables and progress) or machines (``--json``: one JSON document)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table


class Ui:
    """Every command writes through one Ui, so ``--json`` holds for all of them."""

    def __init__(self, json_mode: bool = False, stream: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self._stream = stream or sys.stdout
        # In JSON mode the human-readable progress goes to stderr so stdout stays one document.
        self.console = Console(
            file=sys.stderr if json_mode else self._stream, highlight=False, soft_wrap=True
        )

    def say(self, message: str) -> None:
        if not self.json_mode:
            self.console.print(message)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self.json_mode:
            return
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.console.print(table)

    def fields(self, title: str, values: Mapping[str, Any]) -> None:
        self.table(title, ("field", "value"), [(k, v) for k, v in values.items()])

    def result(self, document: Mapping[str, Any]) -> None:
        """The command's result: printed as JSON in ``--json`` mode (and only then)."""
        if self.json_mode:
            self._stream.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")

    def error(self, message: str, hint: str = "") -> None:
        if self.json_mode:
            self._stream.write(json.dumps({"error": message, "hint": hint}, indent=2) + "\n")
            return
        err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
        err.print(f"[bold red]error:[/] {message}")
        if hint:
            err.print(f"[yellow]what to do:[/] {hint}")
