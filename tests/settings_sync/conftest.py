"""Fixtures for settings_sync: moto with the full-settings source table and a restored target."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from pitrctl.sim.worlds import PATTERN, SOURCE, World, build


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_TABLE_NAME", SOURCE)
    monkeypatch.setenv("TARGET_TABLE_NAME_PATTERN", PATTERN)
    # As Terraform renders them with the default switches and options.
    monkeypatch.setenv("SETTINGS_SWITCHES", "{}")
    monkeypatch.setenv("SETTINGS_OPTIONS", "{}")


@pytest.fixture
def world(aws: None, env: None) -> World:
    return build()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"message": record.getMessage(), **(getattr(record, "fields", None) or {})})


@pytest.fixture
def logged() -> Iterator[list[dict[str, Any]]]:
    """Structured records pitr.logs writes (the package logger does not propagate to caplog)."""
    from pitr import logs

    logger = logs.get_logger()
    capture = _Capture()
    logger.addHandler(capture)
    yield capture.records
    logger.removeHandler(capture)
