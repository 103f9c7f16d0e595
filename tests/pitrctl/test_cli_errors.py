"""No traceback from any command: bad arguments, AWS errors, malformed records, markup in values."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError
from moto_world import RECORD, REGION, client, create_table, put_manifest

from pitr.restore_record import RecordError
from pitrctl import arguments
from pitrctl.cli import main
from pitrctl.errors import PitrctlError, explain
from pitrctl.ui import Ui


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-45T99:00:00Z", "2026-11-22T09:30:00", "", "now"])
def test_bad_restore_times_are_refused_with_an_example(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["restore", "--table", "orders", "--to", bad])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert arguments.TIME_EXAMPLE in err
    assert "Traceback" not in err


def test_good_restore_times_parse_to_utc() -> None:
    assert arguments.restore_time("2026-11-22T11:30:00+02:00").isoformat() == "2026-11-22T09:30:00+00:00"
    assert arguments.restore_time("2026-11-22T09:30:00Z").tzinfo is not None


def test_bad_argument_with_json_is_a_json_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["status", "--table", "or[/]ders", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert "or[/]ders" in document["error"]
    assert "3 to 255 of a-z A-Z 0-9 _ . -" in document["error"]
    assert document["hint"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["verify", "--table", "orders", "--sample", "1.5"], "at most 1"),
        (["verify", "--table", "orders", "--sample", "0"], "above 0"),
        (["status", "--table", "orders", "--interval", "-1"], "positive"),
        (["restore", "--table", "orders", "--read-capacity", "0"], "at least 1"),
        (["restore", "--table", "orders", "--without-index", "x"], "index name"),
    ],
)
def test_bad_numbers_are_refused(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    assert needle in capsys.readouterr().err


def test_markup_in_values_prints_as_it_is() -> None:
    out, err = io.StringIO(), io.StringIO()
    ui = Ui(stream=out, error_stream=err)
    ui.error("pattern: [a-zA-Z0-9_.-]+ and or[/]ders", "use [bold]literally[/]")
    ui.table("t[/]", ("a",), [("[red]x[/]",)])
    ui.text("[/] alone")
    assert "pattern: [a-zA-Z0-9_.-]+ and or[/]ders" in err.getvalue()
    assert "use [bold]literally[/]" in err.getvalue()
    assert "[red]x[/]" in out.getvalue()
    assert "[/] alone" in out.getvalue()


def _client_error(code: str, operation: str = "GetParameter") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, operation)


@pytest.mark.parametrize(
    ("exc", "needle"),
    [
        (NoRegionError(), "--region"),
        (NoCredentialsError(), "--profile"),
        (EndpointConnectionError(endpoint_url="https://x"), "network"),
        (_client_error("ExpiredTokenException"), "log in again"),
        (_client_error("AccessDeniedException"), "may not call GetParameter"),
        (_client_error("ThrottlingException"), "wait a minute"),
        (_client_error("ResourceNotFoundException"), "--region"),
        (_client_error("SomethingNew"), "fix what AWS names"),
        (RecordError("bad status"), "delete the parameter"),
        (ModuleNotFoundError("No module named 'x'", name="x"), "reinstall"),
        (KeyError("boom"), "PITRCTL_DEBUG=1"),
    ],
)
def test_every_error_has_a_message_and_a_hint(exc: BaseException, needle: str) -> None:
    explained = explain(exc)
    assert isinstance(explained, PitrctlError)
    assert explained.message
    assert needle in explained.hint


def test_malformed_restore_record_is_a_message_in_json(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    create_table("orders")
    queue = client("sqs").create_queue(QueueName="b.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    put_manifest(cdc_buffer={"buffer_queue_url": queue})
    client("ssm").put_parameter(Name=RECORD, Value='{"status": "nonsense"', Type="String")
    code = main(["status", "--table", "orders", "--json", "--region", REGION])
    captured = capsys.readouterr()
    assert code == 1
    document = json.loads(captured.out)
    assert document["error"].startswith("the restore record is unreadable")
    assert "Traceback" not in captured.err


def test_unexpected_errors_are_messages_unless_debugging(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("pitrctl.commands.status", broken)
    monkeypatch.setattr("pitrctl.deployment.load", broken)
    assert main(["status", "--table", "orders", "--region", REGION]) == 1
    err = capsys.readouterr().err
    assert "unexpected error: ZeroDivisionError" in err
    assert "Traceback" not in err
    monkeypatch.setenv("PITRCTL_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["status", "--table", "orders", "--region", REGION])


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    import subprocess
    import sys

    code = (
        "import sys, time; time.sleep(1); from pitrctl import cli; "
        "cli._run = lambda args, ui: ui.result({'items': ['x' * 100] * 1000}) or 0; "
        "sys.exit(cli.main(['status', '--table', 'orders', '--json']))"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    child.stdout.close()  # like `| head -0`: the reader is gone before pitrctl writes
    _, err = child.communicate(timeout=60)
    assert child.returncode == 141, err
    assert "Traceback" not in err
    assert "BrokenPipe" not in err


def test_every_pitrctl_error_in_the_code_has_a_hint() -> None:
    import ast
    from pathlib import Path

    missing = []
    for path in (Path(__file__).resolve().parents[2] / "pitrctl").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            is_error = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "PitrctlError"
            if is_error and len(node.args) < 2 and not any(k.arg == "hint" for k in node.keywords):
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []
