"""What every wait shows: phase, elapsed time, buffer backlog, replay rate, lag, ETA.

One ``Progress`` per poll; ``render`` draws it for the live display, ``line`` for a log or a pipe,
``as_dict`` for ``--json --follow``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from pitrctl.status import Status


@dataclass(frozen=True)
class Progress:
    phase: str
    elapsed_seconds: float
    backlog: int | None = None
    replay_rate_per_s: float | None = None
    lag_seconds: float | None = None
    eta_seconds: float | None = None
    done: int | None = None
    total: int | None = None
    detail: str = ""
    as_of: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["notes"] = list(self.notes)
        return data


def from_status(status: Status, elapsed_seconds: float, as_of: datetime | None = None) -> Progress:
    """The progress a restore's ``Status`` shows (phase: the restore record's status)."""
    record = status.restore or {}
    phase = str(record.get("status") or "idle")
    detail = ""
    if status.restore is not None:
        detail = f"{record.get('target_table')} is {status.target_status}"
        if status.execution_status:
            detail += f", workflow {status.execution_status}"
    return Progress(
        phase=phase,
        elapsed_seconds=elapsed_seconds,
        backlog=status.backlog,
        replay_rate_per_s=status.replay_rate_per_s,
        lag_seconds=status.lag_seconds,
        eta_seconds=status.eta_seconds,
        detail=detail,
        as_of=None if as_of is None else as_of.astimezone(UTC).strftime("%H:%M:%SZ"),
        notes=tuple(status.notes),
    )


def duration(seconds: float | None) -> str:
    """``1h02m03s``, ``4m05s``, ``6s``; a dash when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _cells(progress: Progress) -> list[tuple[str, str]]:
    cells = [("phase", progress.phase), ("elapsed", duration(progress.elapsed_seconds))]
    if progress.total is not None:
        share = 0 if not progress.total else 100 * (progress.done or 0) / progress.total
        cells.append(("done", f"{progress.done or 0}/{progress.total} ({share:.0f}%)"))
    cells += [
        ("backlog", "-" if progress.backlog is None else str(progress.backlog)),
        ("rate", "-" if progress.replay_rate_per_s is None else f"{progress.replay_rate_per_s:.1f}/s"),
        ("lag", duration(progress.lag_seconds)),
        ("ETA", duration(progress.eta_seconds)),
    ]
    return cells


def line(progress: Progress) -> str:
    """One line for a log or a pipe."""
    text = "  ".join(f"{name} {value}" for name, value in _cells(progress))
    stamp = f"[{progress.as_of}] " if progress.as_of else ""
    return f"{stamp}{text}  {progress.detail}".rstrip()


def render(progress: Progress) -> Table:
    """The live display: one row of figures, the detail, and the notes under them."""
    grid = Table.grid(padding=(0, 2))
    cells = _cells(progress)
    for _ in cells:
        grid.add_column()
    grid.add_row(*(Text(name, style="dim") for name, _ in cells))
    grid.add_row(*(Text(value, style="bold" if name == "phase" else "") for name, value in cells))
    outer = Table.grid()
    outer.add_row(grid)
    detail = progress.detail + (f" (as of {progress.as_of})" if progress.as_of else "")
    if detail:
        outer.add_row(Text(detail.strip()))
    for note in progress.notes:
        outer.add_row(Text(f"note: {note}", style="yellow"))
    return outer
