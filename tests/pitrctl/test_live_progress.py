"""The live progress display: renders in a terminal, updates in place, ends cleanly (also on Ctrl-C);
``--json --follow`` prints one JSON object per line."""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import pexpect
import pytest
from moto_world import create_table, put_manifest

from pitrctl import progress
from pitrctl.status import Status

REPO = Path(__file__).resolve().parents[2]

# Runs the real CLI in a pseudo-terminal against moto; only the restore's state is scripted.
DRIVER = textwrap.dedent(
    """
    import sys
    from moto import mock_aws
    from moto_world import create_table, put_manifest
    from pitrctl import commands
    from pitrctl.cli import main
    from pitrctl.status import Status

    PHASES = [
        ("restoring", "CREATING", None, None, 40),
        ("replaying", "ACTIVE", 55.0, 120.0, 30),
        ("replaying", "ACTIVE", 60.0, 20.0, 9),
        ("caught_up", "ACTIVE", 61.0, 3.0, 0),
    ] * int(sys.argv[2])

    def scripted(found, aws, now):
        if not PHASES:
            return Status(source_table="orders", restore=None, backlog=0, in_flight=0)
        phase, table, rate, lag, backlog = PHASES.pop(0)
        return Status(
            source_table="orders",
            restore={"status": phase, "target_table": "orders-restored-1"},
            target_status=table,
            backlog=backlog,
            in_flight=0,
            replay_rate_per_s=rate,
            lag_seconds=lag,
            eta_seconds=None if not rate else backlog / rate,
        )

    with mock_aws():
        create_table("orders")
        put_manifest(cdc_buffer={"buffer_queue_url": "unused"})
        commands.gather = scripted
        sys.exit(main(["status", "--table", "orders", "--follow", "--interval", sys.argv[1]]))
    """
)


def _spawn(tmp_path: Path, interval: str, rounds: int) -> pexpect.spawn:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}
    env.pop("NO_COLOR", None)
    env["PYTHONPATH"] = str(Path(__file__).parent)  # the driver sets up moto as the tests do (moto_world)
    return pexpect.spawn(
        sys.executable,
        [str(driver), interval, str(rounds)],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
        # A shell without job control (CI running the suite in the background) starts its children
        # with SIGINT ignored, and Python then installs no KeyboardInterrupt handler; an operator's
        # terminal delivers Ctrl-C to a default handler, so the child gets that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_live_display_renders_updates_in_place_and_ends_cleanly(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "0.4", 1)
    child.expect("account 123456789012 · region eu-west-1")
    child.expect("phase")
    child.expect("restoring")
    child.expect("replaying")
    child.expect("55.0/s")
    child.expect("caught_up")
    child.expect(r"as of \d\d:\d\d:\d\dZ")
    child.expect("No restore in flight for orders")
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.before or ""
    assert child.exitstatus == 0, transcript
    assert "Traceback" not in transcript


def test_live_display_moves_the_cursor_instead_of_reprinting(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "0.3", 1)
    child.expect(pexpect.EOF)
    output = child.before or ""
    child.close()
    assert child.exitstatus == 0, output
    assert "\x1b[?25l" in output  # the display hides the cursor while it updates ...
    assert output.index("\x1b[?25h") < output.index("No restore in flight")  # ... and shows it again
    assert output.count("\x1b[2K") >= 2  # earlier states are erased, not scrolled away
    # One display, not a table per poll: the headings appear once per redraw, not as 14-line tables.
    assert output.count("backlog") >= 2
    assert "Restore of orders" not in output.split("No restore in flight")[0]


def test_ctrl_c_ends_the_display_with_a_message(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "5", 100)
    child.expect("restoring")
    child.kill(signal.SIGINT)
    child.expect("interrupted")
    child.expect("pitrctl status")
    child.expect(pexpect.EOF)
    output = child.before or ""
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in output


def test_json_follow_prints_one_object_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, aws: None
) -> None:
    from pitrctl import commands
    from pitrctl.cli import main

    put_manifest()
    create_table("orders")
    states = [
        Status("orders", {"status": "restoring", "target_table": "t"}, backlog=5),
        Status("orders", {"status": "replaying", "target_table": "t"}, backlog=2, replay_rate_per_s=4.0),
        Status("orders", None, backlog=0),
    ]
    monkeypatch.setattr(commands, "gather", lambda *_: states.pop(0))
    monkeypatch.setattr(commands.time, "sleep", lambda _s: None)
    assert main(["status", "--table", "orders", "--follow", "--json", "--interval", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    documents = [json.loads(line) for line in lines]
    assert [d["progress"]["phase"] for d in documents[:-1]] == ["restoring", "replaying", "idle"]
    assert documents[1]["progress"]["replay_rate_per_s"] == 4.0
    assert documents[-1]["result"]["active"] is False
    assert documents[-1]["result"]["aws"]["account"] == "123456789012"


def test_line_and_duration() -> None:
    assert progress.duration(3725) == "1h02m05s"
    assert progress.duration(65) == "1m05s"
    assert progress.duration(None) == "-"
    shown = progress.line(progress.Progress(phase="replaying", elapsed_seconds=5, backlog=3, eta_seconds=9))
    assert shown.startswith("phase replaying  elapsed 5s")
    assert "backlog 3" in shown
    assert "ETA 9s" in shown


def test_without_a_terminal_each_update_is_one_stamped_line() -> None:
    import io

    from pitrctl.ui import Ui

    out = io.StringIO()
    ui = Ui(stream=out, live=False)
    ui.update(progress.Progress(phase="restoring", elapsed_seconds=1, as_of="03:04:05Z"))
    ui.update(progress.Progress(phase="replaying", elapsed_seconds=61, backlog=7, as_of="03:05:05Z"))
    ui.update(progress.Progress(phase="replaying", elapsed_seconds=71, backlog=5, as_of="03:05:15Z"))  # quiet
    assert out.getvalue().splitlines() == [
        "[03:04:05Z] phase restoring  elapsed 1s  backlog -  rate -  lag -  ETA -",
        "[03:05:05Z] phase replaying  elapsed 1m01s  backlog 7  rate -  lag -  ETA -",
    ]


@pytest.mark.slow
def test_rehearse_shows_the_live_display_and_ends_cleanly(tmp_path: Path) -> None:
    pitrctl = Path(sys.executable).parent / "pitrctl"
    args = ["rehearse", "--items", "30", "--write-rate", "5", "--duration", "30", "--restore-seconds", "5"]
    child = pexpect.spawn(
        str(pitrctl), args, cwd=str(tmp_path), encoding="utf-8", timeout=300, dimensions=(40, 120)
    )
    child.expect("phase")
    child.expect("simulated time")
    child.expect("verification passed")
    child.expect(pexpect.EOF)
    output = child.before or ""
    child.close()
    assert child.exitstatus == 0, output
    assert "Traceback" not in output
