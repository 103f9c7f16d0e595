"""Entry point of the ``pitrctl`` console script: parsing, clients, every error as a message."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from pitrctl import arguments, commands, deadletters, rehearse, session
from pitrctl.errors import PitrctlError, debugging, explain
from pitrctl.ui import Ui


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


def _common(parser: argparse.ArgumentParser, table: bool = True) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    if table:
        parser.add_argument("--region", help=session.REGION_HELP)
        parser.add_argument("--profile", help=session.PROFILE_HELP)
        parser.add_argument(
            "--table", required=True, type=arguments.table_name, help="the source table the module protects"
        )
        parser.add_argument("--ssm-prefix", help="the module's ssm_prefix, when it sets one")
        parser.add_argument(
            "--interval",
            type=arguments.positive_number,
            default=10.0,
            help="seconds between polls while waiting",
        )


def _restore_overrides(restore: argparse.ArgumentParser) -> None:
    overrides = restore.add_argument_group(
        "restored table overrides",
        "what RestoreTableToPointInTime lets you change; the plan shows the result",
    )
    overrides.add_argument(
        "--billing-mode",
        choices=["PROVISIONED", "PAY_PER_REQUEST"],
        help="billing mode of the restored table",
    )
    overrides.add_argument(
        "--without-index",
        action="append",
        default=[],
        metavar="INDEX",
        type=arguments.index_name,
        help="leave this global or local secondary index out of the restored table (repeatable): "
        "a restore without unneeded indexes is faster; the index's settings are skipped",
    )
    overrides.add_argument(
        "--read-capacity", type=arguments.capacity_units, help="provisioned read capacity units (PROVISIONED)"
    )
    overrides.add_argument(
        "--write-capacity",
        type=arguments.capacity_units,
        help="provisioned write capacity units (PROVISIONED)",
    )
    overrides.add_argument(
        "--max-read-units", type=arguments.capacity_units, help="on-demand maximum read request units"
    )
    overrides.add_argument(
        "--max-write-units", type=arguments.capacity_units, help="on-demand maximum write request units"
    )
    overrides.add_argument(
        "--kms-key", help="encrypt the restored table with this KMS key (ARN, id or alias)"
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
    defaults = HelpWithDefaults

    restore = subcommands.add_parser(
        "restore", help="restore the table to a point in time and start mirroring", formatter_class=defaults
    )
    _common(restore)
    when = restore.add_mutually_exclusive_group()
    when.add_argument(
        "--to",
        type=arguments.restore_time,
        help=f"restore point, ISO 8601 with a zone (e.g. {arguments.TIME_EXAMPLE})",
    )
    when.add_argument("--latest", action="store_true", help="the latest restorable time (default)")
    restore.add_argument(
        "--target",
        type=arguments.table_name,
        help="restored table name (default <source>-restored-<UTC timestamp>)",
    )
    restore.add_argument(
        "--replay-from", choices=["restore_point", "restore_request"], help="must match the module"
    )
    _restore_overrides(restore)
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.add_argument("--no-follow", dest="follow", action="store_false", help="return once started")

    status = subcommands.add_parser("status", help="show the restore in flight", formatter_class=defaults)
    _common(status)
    status.add_argument(
        "--follow",
        action="store_true",
        help="keep polling until the restore ends (Ctrl-C stops); with --json, one JSON object per line",
    )

    verify = subcommands.add_parser(
        "verify",
        help="compare the restored table with the source, item for item",
        formatter_class=defaults,
    )
    _common(verify)
    from pitrctl import verify as verifying  # noqa: PLC0415 - keeps the parser's imports in one place

    verifying.add_arguments(verify)

    cutover = subcommands.add_parser(
        "cutover", help="drain, stop replay, copy triggers; then 'switch now'", formatter_class=defaults
    )
    _common(cutover)
    cutover.add_argument(
        "--verify",
        choices=["ask", "yes", "no"],
        default="ask",
        help="compare the tables (pitrctl verify) before cutting over: ask, always, or never",
    )
    cutover.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    abort = subcommands.add_parser(
        "abort", help="end the restore in flight at any point (no cut-over)", formatter_class=defaults
    )
    _common(abort)
    abort.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    dead = subcommands.add_parser(
        "deadletters",
        help="re-apply the items of the buffer's dead letters from the source, then delete them",
        formatter_class=defaults,
    )
    _common(dead)
    deadletters.add_arguments(dead)

    rehearsal = subcommands.add_parser(
        "rehearse", help="run the whole pipeline locally against moto", formatter_class=defaults
    )
    _common(rehearsal, table=False)
    rehearse.add_arguments(rehearsal)
    return parser


def _handler(command: str) -> Callable[..., dict[str, Any]]:
    from pitrctl import verify  # noqa: PLC0415

    return {
        "restore": commands.restore,
        "status": commands.status,
        "verify": verify.command,
        "cutover": commands.cutover,
        "abort": commands.abort,
        "deadletters": deadletters.deadletters,
    }[command]


def _run(args: argparse.Namespace, ui: Ui) -> int:
    if args.command == "rehearse":
        result = rehearse.run(args, ui)
        ui.result(result)
        return 0 if result.get("verification", {}).get("passed") else 1
    aws = session.clients(args.region, args.profile)
    where = session.context(aws)
    ui.header(session.header(args.command, where))
    result = _handler(args.command)(args, aws, ui)
    ui.result({"aws": where} | result)
    return 0 if result.get("passed", True) else 1


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        # The reader went away (`pitrctl status --json | head -1`): nothing more to say to it, and
        # Python's flush at exit must not report the broken pipe either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: list[str]) -> int:
    parser = build_parser(json_errors="--json" in argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    ui = Ui(json_mode=args.json, follow=bool(getattr(args, "follow", False)))
    try:
        return _run(args, ui)
    except KeyboardInterrupt:
        ui.error("interrupted", "a restore in flight goes on in AWS; `pitrctl status` shows it")
        return 130
    except Exception as exc:  # every failure is a message with a hint, never a traceback
        if debugging() and not isinstance(exc, PitrctlError):
            raise
        explained = explain(exc)
        ui.error(explained.message, explained.hint)
        return explained.exit_code
    finally:
        ui.close()


if __name__ == "__main__":
    sys.exit(main())
