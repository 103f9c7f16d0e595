"""What each pitrctl command takes: one frozen dataclass per command, with its defaults.

The commands take these, never argparse namespaces: the tests and the rehearsal call them directly.
``pitrctl.arguments`` is the only place that parses a command line, and it reads every option's
default from the dataclasses here, so what ``--help`` shows is what a command uses.

This module imports nothing heavy (no boto3 client, no moto): the parser reads it on every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pitrctl.restore_options import Choices

SHOWN_DIFFERENCES = 100


@dataclass(frozen=True)
class Deployed:
    """Options of every command on a deployment: the source table it protects (``--table``,
    ``--ssm-prefix``) and the seconds between polls while a command waits (``--interval``)."""

    table: str
    ssm_prefix: str | None = None
    interval: float = 10.0


@dataclass(frozen=True)
class RestoreOptions(Deployed):
    """``pitrctl restore``. ``to`` None: the latest restorable time; ``target`` None:
    ``<source>-restored-<UTC timestamp>``; ``replay_from`` None: the deployment's (another value is
    refused: it is a module input)."""

    to: datetime | None = None
    target: str | None = None
    replay_from: str | None = None
    overrides: Choices = field(default_factory=Choices)
    yes: bool = False
    follow: bool = True


@dataclass(frozen=True)
class StatusOptions(Deployed):
    """``pitrctl status``; ``follow`` polls until the restore ends."""

    follow: bool = False


@dataclass(frozen=True)
class Comparison:
    """How ``pitrctl verify`` reads and compares (``sample`` None: every segment; ``read_rate`` None:
    not paced)."""

    segments: int = 4
    read_rate: float | None = 100.0
    sample: float | None = None
    page_size: int = 200
    consistent: bool = False
    settle_seconds: float = 5.0
    shown: int = SHOWN_DIFFERENCES


@dataclass(frozen=True)
class VerifyOptions(Deployed):
    """``pitrctl verify``; ``target`` None: the restored table of the restore in flight."""

    target: str | None = None
    comparison: Comparison = field(default_factory=Comparison)


VERIFY_MODES = ("ask", "yes", "no")


@dataclass(frozen=True)
class CutoverOptions(Deployed):
    """``pitrctl cutover``; ``verify`` (one of ``VERIFY_MODES``) compares the tables first."""

    verify: str = "ask"
    yes: bool = False
    comparison: Comparison = field(default_factory=Comparison)


@dataclass(frozen=True)
class AbortOptions(Deployed):
    """``pitrctl abort``."""

    yes: bool = False


@dataclass(frozen=True)
class DeadLettersOptions(Deployed):
    """``pitrctl deadletters``; ``max_messages`` 0: every message."""

    max_messages: int = 0


@dataclass(frozen=True)
class RehearsalOptions:
    """``pitrctl rehearse``: the simulated traffic, restore and faults (times in simulated seconds)."""

    items: int = 300
    write_rate: float = 40.0
    duration: float = 40.0
    restore_seconds: float = 10.0
    replay_from: str = "restore_point"
    large_items: int = 3
    fault_rate: float = 0.0  # every fault class at this rate
    faults: dict[str, float] = field(default_factory=dict)  # per-class rates (tests), over fault_rate
    seed: int = 7
    tick_seconds: float = 1.0
