"""The copied settings as ``catalogue.json`` lists them: the one list Python, Terraform and the docs share.

The JSON file (its ``about`` explains each field) says, per setting, its switch name and default,
what the restore drops, how and when it is handled, and the DynamoDB actions its code calls, so that
Terraform can build the ``settings`` switches and settings_sync's role from it with
``jsondecode(file(...))``. ``runner.SETTINGS`` is the registry of the code; a test keeps the two in
the same order. Loading is strict: a missing or unknown field fails at import, naming the setting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

PHASES = ("restore", "cutover")
HANDLING = ("copied", "reported")
AWS_DOCS = ("listed", "not included")


@dataclass(frozen=True)
class Setting:
    name: str
    default: bool
    dropped: str
    aws_docs: str
    handling: str
    description: str
    phase: str
    dynamodb_reads: tuple[str, ...]
    dynamodb_writes: tuple[str, ...]
    dropped_note: str = ""
    phase_note: str = ""


@dataclass(frozen=True)
class LeftToTheOperator:
    """Something a restore drops that no setting handles (the docs table lists it too)."""

    dropped: str
    aws_docs: str
    description: str


class CatalogueError(ValueError):
    """catalogue.json does not have the shape this module reads."""


def _setting(entry: dict[str, Any]) -> Setting:
    name = entry.get("name", "?")
    # Every field but the notes is required: Terraform reads the action lists of every entry.
    fields = {k: tuple(v) if k in ("dynamodb_reads", "dynamodb_writes") else v for k, v in entry.items()}
    try:
        setting = Setting(**fields)
    except TypeError as exc:
        raise CatalogueError(f"catalogue.json, setting {name!r}: {exc}") from exc
    problems = [
        f"{field} must be one of {allowed}"
        for field, allowed in (("phase", PHASES), ("handling", HANDLING), ("aws_docs", AWS_DOCS))
        if getattr(setting, field) not in allowed
    ]
    if not isinstance(setting.default, bool):
        problems.append("default must be true or false")
    problems += [
        f"{action!r} is not a DynamoDB action (dynamodb:<Operation>)"
        for action in setting.dynamodb_reads + setting.dynamodb_writes
        if not (isinstance(action, str) and action.startswith("dynamodb:"))
    ]
    if problems:
        raise CatalogueError(f"catalogue.json, setting {name!r}: {'; '.join(problems)}")
    return setting


def parse(text: str) -> tuple[tuple[Setting, ...], tuple[LeftToTheOperator, ...]]:
    """The settings and the rest of what a restore drops, from catalogue.json's text."""
    document = json.loads(text)
    settings = tuple(_setting(e) for e in document["settings"])
    others = tuple(LeftToTheOperator(**e) for e in document.get("left_to_the_operator", []))
    names = [s.name for s in settings]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CatalogueError(f"catalogue.json names {repeated} more than once")
    return settings, others


_FILE = resources.files(__package__).joinpath("catalogue.json")
SETTINGS, LEFT_TO_THE_OPERATOR = parse(_FILE.read_text(encoding="utf-8"))
NAMES: tuple[str, ...] = tuple(s.name for s in SETTINGS)
DEFAULTS: dict[str, bool] = {s.name: s.default for s in SETTINGS}
