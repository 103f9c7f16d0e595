"""Entry point of the ``pitrctl`` console script: the parsed command line (``pitrctl.arguments``)
becomes a command's typed options (``pitrctl.options``), then clients, then every error as a message."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pitrctl import commands, deadletters, rehearse, session, verify
from pitrctl.arguments import build_parser
from pitrctl.errors import PitrctlError, debugging, explain
from pitrctl.options import (
    AbortOptions,
    CutoverOptions,
    DeadLettersOptions,
    RehearsalOptions,
    RestoreOptions,
    StatusOptions,
    VerifyOptions,
)
from pitrctl.ui import Ui

T = TypeVar("T")


# Each command's options (``pitrctl.options``), built from the parsed command line by ``options``.
OPTIONS: dict[str, type[Any]] = {
    "restore": RestoreOptions,
    "status": StatusOptions,
    "verify": VerifyOptions,
    "cutover": CutoverOptions,
    "abort": AbortOptions,
    "deadletters": DeadLettersOptions,
    "rehearse": RehearsalOptions,
}


def options(kind: type[T], args: argparse.Namespace) -> T:
    """``kind`` from the parsed options named as its fields (a repeated option's list as a tuple).

    A field that is itself a group of options (the restore's overrides, verify's comparison) is
    built the same way; a field no option sets keeps its default.
    """
    values: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        group = field.default_factory
        if group is not dataclasses.MISSING and dataclasses.is_dataclass(group):
            values[field.name] = options(group, args)
        elif hasattr(args, field.name):
            value = getattr(args, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
    return kind(**values)


def _handler(command: str) -> Callable[..., dict[str, Any]]:
    """The command's function, looked up when it runs (a test may replace it)."""
    return {
        "restore": commands.restore,
        "status": commands.status,
        "verify": verify.command,
        "cutover": commands.cutover,
        "abort": commands.abort,
        "deadletters": deadletters.deadletters,
    }[command]


def _run(args: argparse.Namespace, ui: Ui) -> int:
    chosen = options(OPTIONS[args.command], args)
    if args.command == "rehearse":
        result = rehearse.run(chosen, ui, log_file=args.log_file, verbose=args.verbose)
        ui.result(result)
        return 0 if result.get("verification", {}).get("passed") else 1
    aws = session.clients(args.region, args.profile)
    where = session.context(aws)
    ui.header(session.header(args.command, where))
    result = _handler(args.command)(chosen, aws, ui)
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
