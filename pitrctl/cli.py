"""Entry point of the ``pitrctl`` console script: parsing, clients, errors as messages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from pitrctl import commands, deadletters, rehearse
from pitrctl.errors import PitrctlError
from pitrctl.ui import Ui


def _common(parser: argparse.ArgumentParser, table: bool = True) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument("--region", help="AWS region (default: the SDK's, e.g. AWS_REGION)")
    if table:
        parser.add_argument("--table", required=True, help="the source table the module protects")
        parser.add_argument("--ssm-prefix", help="the module's ssm_prefix, when it sets one")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="seconds between polls while following"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitrctl",
        description="Operate near-zero-downtime point-in-time restores of DynamoDB tables.",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")

    restore = subcommands.add_parser(
        "restore", help="restore the table to a point in time and start mirroring"
    )
    _common(restore)
    when = restore.add_mutually_exclusive_group()
    when.add_argument("--to", help="restore point, ISO 8601 (e.g. 2026-11-22T09:30:00Z)")
    when.add_argument("--latest", action="store_true", help="the latest restorable time (default)")
    restore.add_argument("--target", help="restored table name (default <source>-restored-<UTC timestamp>)")
    restore.add_argument(
        "--replay-from", choices=["restore_point", "restore_request"], help="must match the module"
    )
    restore.add_argument(
        "--billing-mode", choices=["PROVISIONED", "PAY_PER_REQUEST"], help="override on the restored table"
    )
    restore.add_argument("--kms-key", help="encrypt the restored table with this KMS key")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.add_argument("--no-follow", dest="follow", action="store_false", help="return once started")

    status = subcommands.add_parser("status", help="show the restore in flight")
    _common(status)
    status.add_argument(
        "--follow", action="store_true", help="keep polling until the restore ends (Ctrl-C stops)"
    )

    cutover = subcommands.add_parser("cutover", help="drain, stop replay, copy triggers; then 'switch now'")
    _common(cutover)
    cutover.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    abort = subcommands.add_parser("abort", help="end the restore in flight at any point (no cut-over)")
    _common(abort)
    abort.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    dead = subcommands.add_parser(
        "deadletters",
        help="re-apply the items of the buffer's dead letters from the source, then delete them",
    )
    _common(dead)
    deadletters.add_arguments(dead)

    rehearsal = subcommands.add_parser("rehearse", help="run the whole pipeline locally against moto")
    _common(rehearsal, table=False)
    rehearse.add_arguments(rehearsal)
    return parser


def _clients(region: str | None) -> Callable[[str], Any]:
    session = boto3.Session(region_name=region)
    made: dict[str, Any] = {}

    def aws(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service)
        return made[service]

    return aws


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    ui = Ui(json_mode=args.json)
    try:
        if args.command == "rehearse":
            result = rehearse.run(args, ui)
            ui.result(result)
            return 0 if result.get("verification", {}).get("passed") else 1
        handler = {
            "restore": commands.restore,
            "status": commands.status,
            "cutover": commands.cutover,
            "abort": commands.abort,
            "deadletters": deadletters.deadletters,
        }[args.command]
        ui.result(handler(args, _clients(args.region), ui))
        return 0
    except PitrctlError as exc:
        ui.error(exc.message, exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        ui.error("interrupted", "the restore goes on in AWS; `pitrctl status` shows it")
        return 130
    except (ClientError, BotoCoreError) as exc:  # a message, never a traceback
        ui.error(f"AWS refused: {exc}", "check credentials, region and the IAM permissions of your role")
        return 1


if __name__ == "__main__":
    sys.exit(main())
