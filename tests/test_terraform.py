"""Terraform checks: fmt, init + validate per directory, and `terraform test` where tests exist.

Every directory is a parametrized case, so a broken example or module is named in the report.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import REPO, require_terraform

from pitr import coverage

pytestmark = pytest.mark.terraform


def _config_dirs() -> list[Path]:
    dirs = [REPO]
    for parent in ("modules", "examples"):
        base = REPO / parent
        if base.is_dir():
            dirs += sorted(p for p in base.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return dirs


def _test_dirs() -> list[Path]:
    return [d for d in _config_dirs() if any((d / "tests").glob("*.tftest.hcl"))]


def _id(path: Path) -> str:
    return str(path.relative_to(REPO)) if path != REPO else "root"


def _run(tf: str, args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", NO_COLOR="1")
    return subprocess.run(
        [tf, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _succeed(
    tf: str, args: list[str], cwd: Path, failed: str, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run terraform and require success; ``failed`` opens the report, which names the directory."""
    result = _run(tf, args, cwd, timeout)
    assert result.returncode == 0, f"{failed} in {_id(cwd)}:\n{result.stdout}{result.stderr}"
    return result


_init_lock = threading.Lock()
_initialised: set[Path] = set()


def _init(tf: str, cwd: Path) -> None:
    with _init_lock:
        if cwd in _initialised:
            return
        _succeed(tf, ["init", "-backend=false", "-input=false", "-no-color"], cwd, "terraform init failed")
        _initialised.add(cwd)


def test_fmt() -> None:
    tf = require_terraform()
    fmt = ["fmt", "-check", "-recursive", "-diff", "-no-color"]
    _succeed(tf, fmt, REPO, "terraform fmt would change files (run `make fmt`)")


@pytest.mark.parametrize("config_dir", _config_dirs(), ids=_id)
def test_validate(config_dir: Path) -> None:
    tf = require_terraform()
    _init(tf, config_dir)
    _succeed(tf, ["validate", "-no-color"], config_dir, "terraform validate failed")


@pytest.mark.parametrize("config_dir", _test_dirs(), ids=_id)
def test_terraform_test(config_dir: Path) -> None:
    tf = require_terraform()
    _init(tf, config_dir)
    result = _succeed(tf, ["test", "-no-color"], config_dir, "terraform test failed", timeout=1200)
    # A directory whose runs were all filtered out or skipped would "pass" having checked nothing.
    assert " 0 passed" not in result.stdout, result.stdout


def test_bad_table_messages_reach_the_operator() -> None:
    """Each deliberately bad run fails, and with the message that says what to do."""
    tf = require_terraform()
    _init(tf, REPO)
    # The runs that use tests/fixtures need their module installed for this test directory.
    messages_init = [
        "init",
        "-backend=false",
        "-input=false",
        "-no-color",
        "-test-directory=tests/terraform/messages",
    ]
    _succeed(tf, messages_init, REPO, "terraform init failed")
    result = _run(tf, ["test", "-no-color", "-test-directory=tests/terraform/messages"], REPO)
    output = " ".join((result.stdout + result.stderr).split())  # undo Terraform's line wrapping
    assert result.returncode != 0, output
    for expected in (
        "Table orders has no DynamoDB stream",
        "stream view type KEYS_ONLY, which carries no new item images",
        'target_table_name_pattern "ord*" matches the source table orders itself',
        "Point-in-time recovery is off on orders",
    ):
        assert expected in output, f"missing message {expected!r} in:\n{output}"
    # The table created in the same configuration, given as source_table, fails at
    # plan (both runs are `command = plan`) with the same messages.
    # Each message now comes from two runs: the looked-up table and the table resource.
    for expected in (
        "stream view type KEYS_ONLY, which carries no new item images",
        "has no DynamoDB stream",
    ):
        assert output.count(expected) == 2, f"{expected!r} should fail both runs at plan:\n{output}"
    assert "local.source_from_resource is true" in output, output
    assert "0 passed, 5 failed" in output, output


def _code(text: str) -> str:
    """HCL without its comments (a number in a comment is no second source)."""
    return re.sub(r"#.*$", "", text, flags=re.MULTILINE)


def test_retention_values_have_one_source() -> None:
    """SQS's longest retention is local.sqs_max_retention_seconds; only a validation writes it again.

    A variable's validation cannot read locals before Terraform 1.9 (the module supports 1.7), so
    buffer_standby_retention_seconds states its upper bound itself: it must be the same number.
    """
    files = {path.name: _code(path.read_text()) for path in sorted(REPO.glob("*.tf"))}
    (local,) = re.findall(r"^\s*sqs_max_retention_seconds\s*=\s*(\d+)\s*$", files["main.tf"], re.MULTILINE)
    (bound,) = re.findall(r"var\.buffer_standby_retention_seconds <= (\d+)", files["variables.tf"])
    assert bound == local, f"the standby retention's upper bound {bound} is not SQS's maximum {local}"
    elsewhere = {name for name, text in files.items() if local in text} - {"main.tf", "variables.tf"}
    assert not elsewhere, f"{local} written again in {sorted(elsewhere)}: use local.sqs_max_retention_seconds"
    standby_variable = r'variable "buffer_standby_retention_seconds" \{.*?default\s*=\s*(\d+)'
    (standby,) = re.findall(standby_variable, files["variables.tf"], re.DOTALL)
    again = {name for name, text in files.items() if re.search(rf"\b{standby}\b", text)} - {"variables.tf"}
    assert not again, f"the standby retention {standby} is written again in {sorted(again)}: use the variable"
    # The restore steps raise the buffer's retention to the same maximum (their own constant).
    assert int(local) == coverage.RESTORE_RETENTION_SECONDS, "Terraform and pitr.coverage differ"
