"""The command line: every option of every command, and the types that refuse a bad value while
parsing, with an example of a good one. The only module that knows argparse: it reads each option's
default from the command's dataclass (``pitrctl.options``), so ``--help`` shows what a command uses.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from pitr.restore_record import REPLAY_FROM, RecordError, parse_time
from pitrctl import session
from pitrctl.options import (
    VERIFY_MODES,
    Comparison,
    CutoverOptions,
    DeadLettersOptions,
    Deployed,
    RehearsalOptions,
    RestoreOptions,
    StatusOptions,
)
from pitrctl.restore_options import ON_DEMAND, PROVISIONED
from pitrctl.ui import Ui

TIME_EXAMPLE = "2026-11-22T09:30:00Z"
# DynamoDB: "3 - 255 characters ... a-z, A-Z, 0-9, '_' (underscore), '-' (dash), and '.' (dot)".
_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")

################################################################################
# Types
################################################################################


def restore_time(text: str) -> datetime:
    """An ISO 8601 time with its zone (``Z`` or ``+02:00``): a naive time is ambiguous, so refused."""
    try:
        moment = parse_time(text)
    except RecordError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give ISO 8601 with a zone, e.g. {TIME_EXAMPLE} (UTC) "
            "or 2026-11-22T11:30:00+02:00"
        ) from None
    if not re.search(r"(Z|[+-]\d\d:?\d\d)$", text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone: add Z for UTC (e.g. {TIME_EXAMPLE}) or an offset like +02:00"
        )
    return moment.astimezone(UTC)


def _name(text: str, what: str, example: str) -> str:
    if not _NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not {what}: 3 to 255 of a-z A-Z 0-9 _ . - (e.g. {example})"
        )
    return text


def table_name(text: str) -> str:
    return _name(text, "a DynamoDB table name", "orders")


def index_name(text: str) -> str:
    return _name(text, "an index name", "by-customer")


N = TypeVar("N", int, float)


def _number(text: str, convert: Callable[[str], N], kind: str, ok: Callable[[N], bool], rule: str) -> N:
    """``convert(text)`` when it is ``ok``; otherwise says it is not ``kind`` or must be ``rule``."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be {rule}")
    return value


def positive_number(text: str) -> float:
    return _number(
        text, float, "a number (e.g. 10)", lambda v: 0 < v < float("inf"), "a positive number (e.g. 10)"
    )


def non_negative_number(text: str) -> float:
    return _number(text, float, "a number (e.g. 5)", lambda v: 0 <= v < float("inf"), "0 or more (e.g. 5)")


def positive_integer(text: str) -> int:
    return _number(text, int, "a whole number (e.g. 4)", lambda v: v >= 1, "at least 1 (e.g. 4)")


def fraction(text: str) -> float:
    """A share in (0, 1]: ``0.1`` reads one item in ten."""
    return _number(
        text,
        float,
        "a fraction (e.g. 0.1 for one item in ten)",
        lambda v: 0 < v <= 1,
        "above 0 and at most 1 (e.g. 0.1)",
    )


def capacity_units(text: str) -> int:
    """Read or write capacity units: DynamoDB accepts 1 and more (-1 means "no limit" for on-demand)."""
    return _number(
        text,
        int,
        "a whole number of units (e.g. 100)",
        lambda v: v >= 1 or v == -1,
        "at least 1, or -1 for no limit (e.g. 100)",
    )


################################################################################
# The parser
################################################################################


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as JSON when ``--json`` is on the command line."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if Parser.json_errors:
            Ui(json_mode=True).error(f"{self.prog}: {message}", f"see `{self.prog} --help`")
            raise SystemExit(2)
        super().error(message)


class HelpWithDefaults(argparse.HelpFormatter):
    """Shows an option's default when it has a meaningful one (not None, a flag, or already said)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS) or "default" in text:
            return text
        return f"{text} (default: %(default)s)"


def _command(
    subcommands: argparse._SubParsersAction, name: str, summary: str, deployed: bool = True
) -> Parser:
    """A subcommand with ``--json`` and, on a deployment, the options of ``Deployed``."""
    parser: Parser = subcommands.add_parser(name, help=summary, formatter_class=HelpWithDefaults)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    if deployed:
        parser.add_argument("--region", help=session.REGION_HELP)
        parser.add_argument("--profile", help=session.PROFILE_HELP)
        parser.add_argument(
            "--table", required=True, type=table_name, help="the source table the module protects"
        )
        parser.add_argument("--ssm-prefix", help="the module's ssm_prefix, when it sets one")
        parser.add_argument(
            "--interval",
            type=positive_number,
            default=Deployed.interval,
            help="seconds between polls while waiting",
        )
    return parser


def _yes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _restore(restore: argparse.ArgumentParser) -> None:
    when = restore.add_mutually_exclusive_group()
    when.add_argument(
        "--to", type=restore_time, help=f"restore point, ISO 8601 with a zone (e.g. {TIME_EXAMPLE})"
    )
    when.add_argument("--latest", action="store_true", help="the latest restorable time (default)")
    restore.add_argument(
        "--target", type=table_name, help="restored table name (default <source>-restored-<UTC timestamp>)"
    )
    restore.add_argument("--replay-from", choices=REPLAY_FROM, help="must match the module")
    overrides = restore.add_argument_group(
        "restored table overrides",
        "what RestoreTableToPointInTime lets you change; the plan shows the result",
    )
    overrides.add_argument(
        "--billing-mode",
        choices=[PROVISIONED, ON_DEMAND],
        help="billing mode of the restored table",
    )
    overrides.add_argument(
        "--without-index",
        dest="without_indexes",
        action="append",
        default=[],
        metavar="INDEX",
        type=index_name,
        help="leave this global or local secondary index out of the restored table (repeatable): "
        "a restore without unneeded indexes is faster; the index's settings are skipped",
    )
    for option, meaning in (
        ("--read-capacity", "provisioned read capacity units (PROVISIONED)"),
        ("--write-capacity", "provisioned write capacity units (PROVISIONED)"),
        ("--max-read-units", "on-demand maximum read request units"),
        ("--max-write-units", "on-demand maximum write request units"),
    ):
        overrides.add_argument(option, type=capacity_units, help=meaning)
    overrides.add_argument(
        "--kms-key", help="encrypt the restored table with this KMS key (ARN, id or alias)"
    )
    _yes(restore)
    restore.add_argument(
        "--no-follow",
        dest="follow",
        action="store_false",
        default=RestoreOptions.follow,
        help="return once started",
    )


def _verify(verify: argparse.ArgumentParser) -> None:
    verify.add_argument(
        "--target", type=table_name, help="the restored table (default: the restore in flight)"
    )
    verify.add_argument(
        "--segments",
        type=positive_integer,
        default=Comparison.segments,
        help="parallel scan segments per table",
    )
    verify.add_argument(
        "--read-rate",
        type=positive_number,
        default=Comparison.read_rate,
        help="read capacity units per second, both tables together (protects the live table)",
    )
    verify.add_argument(
        "--sample",
        type=fraction,
        metavar="FRACTION",
        help="scan only this share of the source (e.g. 0.1) and read the same keys from the restored table",
    )
    verify.add_argument(
        "--consistent", action="store_true", help="strongly consistent scans (twice the read capacity)"
    )
    verify.add_argument(
        "--settle",
        dest="settle_seconds",
        metavar="SETTLE",
        type=non_negative_number,
        default=Comparison.settle_seconds,
        help="seconds to wait before reading differing keys again (changes still in flight)",
    )


# The rehearsal's options: (option, type, help); each sets the RehearsalOptions field of its name.
_SIMULATION: tuple[tuple[str, Callable[[str], Any], str], ...] = (
    ("--items", int, "distinct items the traffic touches"),
    ("--write-rate", float, "source writes per second"),
    ("--duration", float, "simulated seconds of live traffic before cut-over"),
    ("--restore-seconds", float, "simulated seconds the restore takes"),
    ("--replay-from", str, "replay start"),
    ("--large-items", int, "items written near the 400 KB limit"),
    (
        "--fault-rate",
        float,
        "turn on every AWS fault class of the simulation (pitrctl.sim.faults) at this rate, 0 to <1",
    ),
    ("--seed", int, "random seed of the traffic and the faults"),
)


def _rehearse(rehearsal: argparse.ArgumentParser) -> None:
    for option, kind, meaning in _SIMULATION:
        field = option.removeprefix("--").replace("-", "_")
        choices = REPLAY_FROM if field == "replay_from" else None
        rehearsal.add_argument(
            option, type=kind, choices=choices, default=getattr(RehearsalOptions, field), help=meaning
        )
    rehearsal.add_argument(
        "--log-file",
        help="where the functions' JSON log lines go (default: a new file in the temporary directory, "
        "named in the report)",
    )
    rehearsal.add_argument(
        "--verbose", action="store_true", help="show the functions' log lines on stderr instead of a file"
    )


def build_parser(json_errors: bool = False) -> argparse.ArgumentParser:
    Parser.json_errors = json_errors
    parser = Parser(
        prog="pitrctl",
        description="Operate near-zero-downtime point-in-time restores of DynamoDB tables.",
        epilog="AWS account and region: --profile/--region, else what boto3 reads (AWS_PROFILE, "
        "AWS_DEFAULT_REGION, the profile's region). Every command names both in its first line.",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _restore(_command(subcommands, "restore", "restore the table to a point in time and start mirroring"))
    status = _command(subcommands, "status", "show the restore in flight")
    status.add_argument(
        "--follow",
        action="store_true",
        default=StatusOptions.follow,
        help="keep polling until the restore ends (Ctrl-C stops); with --json, one JSON object per line",
    )
    _verify(_command(subcommands, "verify", "compare the restored table with the source, item for item"))
    cutover = _command(subcommands, "cutover", "drain, stop replay, copy triggers; then 'switch now'")
    cutover.add_argument(
        "--verify",
        choices=VERIFY_MODES,
        default=CutoverOptions.verify,
        help="compare the tables (pitrctl verify) before cutting over: ask, always, or never",
    )
    _yes(cutover)
    _yes(_command(subcommands, "abort", "end the restore in flight at any point (no cut-over)"))
    dead = _command(
        subcommands,
        "deadletters",
        "re-apply the items of the buffer's dead letters from the source, then delete them",
    )
    dead.add_argument(
        "--max-messages",
        type=int,
        default=DeadLettersOptions.max_messages,
        help="stop after this many messages (default: all)",
    )
    _rehearse(
        _command(subcommands, "rehearse", "run the whole pipeline locally against moto", deployed=False)
    )
    return parser
