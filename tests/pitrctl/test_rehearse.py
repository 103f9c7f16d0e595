"""pitrctl rehearse, small: both replay modes, with faults, a broken pipeline caught, and the CLI report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pitr import guard
from pitr.codec import DELETE
from pitrctl.cli import main
from pitrctl.options import RehearsalOptions
from pitrctl.rehearse.rehearsal import expected_items, rehearse
from pitrctl.ui import Ui

SMALL = {"items": 30, "write_rate": 6.0, "duration": 40.0, "restore_seconds": 8.0, "large_items": 1}


def _run(**overrides: Any) -> dict[str, Any]:
    return rehearse(RehearsalOptions(**(SMALL | overrides)), Ui(json_mode=True))


def test_restore_point_with_faults_converges() -> None:
    report = _run(fault_rate=0.2, seed=3)
    verification = report["verification"]
    assert verification["passed"], json.dumps(verification, default=str)[:3000]
    counts = report["counts"]
    assert counts["changes_made"] >= 200 and counts["replayed"] > 0 and counts["spilled"] >= 0
    assert verification["items_expected"] > 0
    assert verification["simulated_settings"] == [
        "contributor_insights",
        "kinesis",
        "replicas",
        "warm_throughput",
    ]
    # A restore is single-Region: the source's replicas are reported, not copied (by default).
    assert (
        verification["settings"]["replicas"]["reported"] and not verification["settings"]["replicas"]["equal"]
    )


def test_restore_request_keeps_the_incident_discarded() -> None:
    report = _run(replay_from="restore_request", seed=5)
    verification = report["verification"]
    assert verification["passed"], json.dumps(verification, default=str)[:3000]
    # Changes between the restore point and the request were buffered but must not be replayed.
    assert report["counts"]["skipped"] > 0


def test_a_broken_replay_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deletes written as key-only puts: the target keeps items the source deleted."""
    original = guard.target_action

    def lossy(target: str, change: Any) -> dict[str, Any]:
        action = original(target, change)
        if change.op == DELETE:
            return {"Put": {"TableName": target, "Item": action["Delete"]["Key"]}}
        return action

    monkeypatch.setattr(guard, "target_action", lossy)
    verification = _run(seed=9)["verification"]
    assert not verification["passed"]
    assert verification["item_difference_count"] > 0


def test_expected_items_in_recover_mode() -> None:
    def item(key: str, value: str) -> dict[str, Any]:
        return {"pk": {"S": key}, "sk": {"S": "v"}, "value": {"S": value}}

    snapshot = [item("a", "old"), item("b", "old"), item("c", "old")]
    source = [item("a", "incident"), item("b", "new")]  # c deleted after the request
    changed = {repr(sorted([("pk", k), ("sk", "v")])) for k in ("b", "c")}
    expected = expected_items(source, snapshot, changed, "restore_request")
    assert sorted((i["pk"]["S"], i["value"]["S"]) for i in expected) == [("a", "old"), ("b", "new")]
    assert expected_items(source, snapshot, changed, "restore_point") == source


def test_cli_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "rehearse",
            "--json",
            "--items",
            "20",
            "--write-rate",
            "5",
            "--duration",
            "30",
            "--restore-seconds",
            "5",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report["verification"]
    for key in ("changes_made", "replayed", "skipped", "coalesced", "duplicates"):
        assert key in report["counts"]
    assert report["verification"]["passed"] is True
    assert {"restore_point_s", "caught_up_s", "cut_over_s"} <= report["timeline"].keys()


def test_cli_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", "--json", "--fault-rate", "1.5"]) == 2
    assert "fault-rate" in json.loads(capsys.readouterr().out)["error"]


def test_a_stuck_pipeline_is_a_failed_verification_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pitrctl.sim.stream_mapping import StreamDriver, StreamStuckError

    def stuck(*_args: Any, **_kwargs: Any) -> None:
        raise StreamStuckError("record 42 failed 50 times")

    monkeypatch.setattr(StreamDriver, "deliver", stuck)
    code = main(
        ["rehearse", "--json", "--items", "5", "--duration", "10", "--log-file", str(tmp_path / "f.log")]
    )
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout is the report alone
    assert code == 1
    assert report["verification"]["passed"] is False
    assert "StreamStuckError: record 42 failed 50 times" in report["verification"]["reason"]
    assert "Traceback" not in captured.out + captured.err


def test_function_logs_go_to_a_file_unless_verbose(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "functions.log"
    args = ["rehearse", "--json", "--items", "10", "--write-rate", "5", "--duration", "20"]
    args += ["--restore-seconds", "5", "--log-file", str(log)]
    assert main(args) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["function_log"] == str(log)
    lines = log.read_text().splitlines()
    assert lines and all(json.loads(line)["level"] for line in lines), "JSON lines of every level"
    assert '"level"' not in captured.err, "no function log line on the terminal"


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rehearse", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 300)", "(default: 40.0)", "(default: 0.0)", "(default: restore_point)"):
        assert default in text
    assert "--verbose" in text
