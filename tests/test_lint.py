"""ruff lint and format checks, as tests so the suite has one runner and one count."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_ruff_lint() -> None:
    result = _ruff("check", "--no-cache", ".")
    assert result.returncode == 0, (
        f"ruff check found problems (fix with `make fmt`):\n{result.stdout}{result.stderr}"
    )


def test_ruff_format() -> None:
    result = _ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, (
        f"ruff format would change files (run `make fmt`):\n{result.stdout}{result.stderr}"
    )
