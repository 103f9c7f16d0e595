"""The argparse edge: each command line becomes the command's typed options, with the defaults the
options declare (what ``--help`` shows is what a command called directly uses)."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from moto_world import REGION

from pitrctl import rehearse
from pitrctl.arguments import build_parser
from pitrctl.cli import OPTIONS, main, options
from pitrctl.errors import PitrctlError
from pitrctl.options import Comparison, RehearsalOptions, RestoreOptions, StatusOptions, VerifyOptions
from pitrctl.restore_options import Choices
from pitrctl.ui import Ui

# Options the edge itself uses: output format, AWS session, where the rehearsal's logs go.
EDGE_ONLY = {"help", "json", "region", "profile", "latest", "log_file", "verbose"}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _flat(instance: Any) -> dict[str, Any]:
    """Every field of ``instance``, the fields of its option groups (overrides, comparison) inlined."""
    flat: dict[str, Any] = {}
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        flat |= _flat(value) if dataclasses.is_dataclass(value) else {field.name: value}
    return flat


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_option_is_a_field_with_the_same_default(command: str) -> None:
    parser = _subcommands()[command]
    defaults = _flat(OPTIONS[command](table="orders") if command != "rehearse" else RehearsalOptions())
    parsed = [a for a in parser._actions if a.dest not in EDGE_ONLY]
    assert parsed, command
    for action in parsed:
        assert action.dest in defaults, f"{command} {action.option_strings}: no field {action.dest!r}"
        if action.required:
            continue
        default = tuple(action.default) if isinstance(action.default, list) else action.default
        assert default == defaults[action.dest], f"{command} {action.option_strings}"


def _parsed(*argv: str) -> Any:
    args = build_parser().parse_args(argv)
    return options(OPTIONS[args.command], args)


def test_a_restore_command_line_becomes_typed_options() -> None:
    chosen = _parsed(
        *("restore", "--table", "orders", "--to", "2026-11-22T11:30:00+02:00", "--read-capacity", "5"),
        *("--without-index", "by-status", "--without-index", "by-date", "--no-follow", "--yes"),
    )
    assert chosen == RestoreOptions(
        table="orders",
        to=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
        overrides=Choices(without_indexes=("by-status", "by-date"), read_capacity=5),
        yes=True,
        follow=False,
    )
    assert _parsed("restore", "--table", "orders") == RestoreOptions(table="orders")


def test_verify_options_carry_the_comparison() -> None:
    chosen = _parsed("verify", "--table", "orders", "--settle", "0", "--segments", "2", "--sample", "0.5")
    assert chosen == VerifyOptions(
        table="orders", comparison=Comparison(segments=2, sample=0.5, settle_seconds=0)
    )


def test_main_hands_the_command_its_typed_options(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[Any] = []

    def status(chosen: Any, _aws: Any, _ui: Ui) -> dict[str, Any]:
        received.append(chosen)
        return {}

    monkeypatch.setattr("pitrctl.commands.status", status)
    assert (
        main(["status", "--table", "orders", "--follow", "--interval", "2", "--json", "--region", REGION])
        == 0
    )
    assert received == [StatusOptions(table="orders", follow=True, interval=2.0)]


@pytest.mark.parametrize("bad", [{"items": 0}, {"write_rate": 0.0}, {"duration": -1.0}, {"fault_rate": 1.0}])
def test_a_rehearsal_with_impossible_values_is_refused_before_it_starts(bad: dict[str, Any]) -> None:
    with pytest.raises(PitrctlError, match="must be positive") as info:
        rehearse.run(RehearsalOptions(**bad), Ui(json_mode=True))
    assert info.value.exit_code == 2
