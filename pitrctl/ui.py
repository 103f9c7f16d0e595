"""Output for people (rich tables, one live progress display) or machines (``--json``).

Only pitrctl's own fixed strings are rich markup; every value (table names, AWS messages, hints)
is printed as plain text, so ``or[/]ders`` or "pattern: [a-zA-Z0-9_.-]+" show as they are.

``--json`` prints one JSON document on stdout; ``--json --follow`` prints one JSON object per line
(each progress update, then the result), so ``jq`` can read the stream as it comes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from pitrctl.progress import Progress, line, render

LINE_EVERY_SECONDS = 60.0


def plain(value: Any) -> Text:
    """A value shown as it is (never parsed as markup)."""
    return Text("" if value is None else str(value))


class Ui:
    """Every command writes through one Ui, so ``--json`` holds for all of them."""

    def __init__(
        self,
        json_mode: bool = False,
        stream: TextIO | None = None,
        *,
        follow: bool = False,
        error_stream: TextIO | None = None,
        live: bool | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.follow = follow
        self._stream = stream or sys.stdout
        self._error_stream = error_stream or sys.stderr
        # In JSON mode the human-readable progress goes to stderr so stdout stays JSON.
        self.console = Console(
            file=self._error_stream if json_mode else self._stream, highlight=False, soft_wrap=True
        )
        self._live_wanted = self.console.is_terminal if live is None else live
        self._live: Live | None = None
        self._last_line = 0.0
        self._last_phase: str | None = None

    # ---- messages ---------------------------------------------------------------------------------

    def say(self, message: str) -> None:
        """``message`` is pitrctl's own markup: escape values with ``rich.markup.escape``."""
        if not self.json_mode:
            self.console.print(message)

    def text(self, message: str, style: str = "") -> None:
        """A message printed as it is."""
        if not self.json_mode:
            self.console.print(Text(message, style=style))

    def header(self, message: str) -> None:
        if not self.json_mode:
            self.console.print(Text(message, style="dim"))

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self.json_mode:
            return
        table = Table(title=escape(title), title_justify="left")
        for column in columns:
            table.add_column(escape(column))
        for row in rows:
            table.add_row(*(plain(cell) for cell in row))
        self.console.print(table)

    def fields(self, title: str, values: Mapping[str, Any]) -> None:
        self.table(title, ("field", "value"), [(k, v) for k, v in values.items()])

    # ---- progress -----------------------------------------------------------------------------------

    def update(self, progress: Progress) -> None:
        """One progress update: a JSON line (``--json --follow``), the live display, or a plain line."""
        if self.json_mode:
            if self.follow:
                self._json_line({"progress": progress.as_dict()})
            return
        if self._live_wanted:
            if self._live is None:
                self._live = Live(render(progress), console=self.console, refresh_per_second=4)
                self._live.start()
            else:
                self._live.update(render(progress), refresh=True)
            return
        # A log or a pipe gets a line when the phase changes, else at most one a minute.
        now = time.monotonic()
        if progress.phase == self._last_phase and now - self._last_line < LINE_EVERY_SECONDS:
            return
        self.console.print(Text(line(progress)))
        self._last_line, self._last_phase = now, progress.phase

    def end_progress(self) -> None:
        """Stop the live display, leaving its last state on the screen."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def close(self) -> None:
        self.end_progress()

    # ---- results and errors -------------------------------------------------------------------------

    def _json_line(self, document: Mapping[str, Any]) -> None:
        self._stream.write(json.dumps(document, sort_keys=True, default=str) + "\n")
        self._stream.flush()

    def result(self, document: Mapping[str, Any]) -> None:
        """The command's result: printed as JSON in ``--json`` mode (and only then)."""
        self.end_progress()
        if not self.json_mode:
            return
        if self.follow:
            self._json_line({"result": document})
        else:
            self._stream.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")

    def error(self, message: str, hint: str = "") -> None:
        self.end_progress()
        if self.json_mode:
            if self.follow:
                self._json_line({"error": message, "hint": hint})
            else:
                self._stream.write(json.dumps({"error": message, "hint": hint}, indent=2) + "\n")
            return
        err = Console(file=self._error_stream, highlight=False, soft_wrap=True)
        err.print(Text.assemble(("error: ", "bold red"), message))
        if hint:
            err.print(Text.assemble(("what to do: ", "yellow"), hint))
