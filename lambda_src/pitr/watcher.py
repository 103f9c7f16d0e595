"""Configuration and time source shared by the restore workflow's two functions.

``restore_waiter`` (reads, waits) and ``restore_workflow`` (claims, switches, notifies) read the
same environment; tests pass a ``Runtime`` with a fake clock and sleep so nothing really waits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pitr import environment, metrics

# The namespace, dimension and metric the replay writer emits in EMF (docs/interfaces.md).
METRIC_NAMESPACE = metrics.NAMESPACE
METRIC_DIMENSION = metrics.DIMENSION
REPLAY_LAG_METRIC = "ReplayLagSeconds"


@dataclass
class Runtime:
    """Wall clock (epoch seconds), sleep and randomness: injectable so tests do not sleep."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)


def _int(env: Any, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} must be an integer") from exc


@dataclass(frozen=True)
class WatcherConfig:
    source_table_name: str
    target_table_name_pattern: str = ""
    replay_from: str = "restore_point"
    restore_record_parameter: str = ""
    coverage_parameter: str = ""
    buffer_queue_url: str = ""
    # The stream mapping's on-failure destination; the waiter reads it for coverage breaks.
    stream_failure_queue_url: str = ""
    buffer_standby_retention_seconds: int = 14_400
    replay_mapping_uuid: str = ""
    topic_arn: str = ""
    max_restore_wait_seconds: int = 7 * 86_400
    active_poll_cap_seconds: int = 30
    caught_up_lag_seconds: int = 30
    drain_quiet_seconds: int = 60
    drain_timeout_seconds: int = 900
    # Each waiter invocation returns before this many seconds (Lambda's limit is 900).
    invocation_budget_seconds: int = 840

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, handler: str = "pitr.restore_waiter.handler"
    ) -> WatcherConfig:
        """The config of ``handler``'s function (the waiter or the steps) from its environment."""
        env = environment.of(handler, env).declared_only()
        source = env.get("SOURCE_TABLE_NAME", "")
        if not source:
            raise ValueError("environment variable SOURCE_TABLE_NAME is not set")
        return cls(
            source_table_name=source,
            target_table_name_pattern=env.get("TARGET_TABLE_NAME_PATTERN", f"{source}-restored-*"),
            replay_from=env.get("REPLAY_FROM", "restore_point"),
            restore_record_parameter=env.get("RESTORE_RECORD_PARAMETER", ""),
            coverage_parameter=env.get("COVERAGE_PARAMETER", ""),
            buffer_queue_url=env.get("BUFFER_QUEUE_URL", ""),
            stream_failure_queue_url=env.get("STREAM_FAILURE_QUEUE_URL", ""),
            buffer_standby_retention_seconds=_int(env, "BUFFER_STANDBY_RETENTION_SECONDS", 14_400),
            replay_mapping_uuid=env.get("REPLAY_MAPPING_UUID", ""),
            topic_arn=env.get("TOPIC_ARN", ""),
            max_restore_wait_seconds=_int(env, "MAX_RESTORE_WAIT_SECONDS", 7 * 86_400),
            active_poll_cap_seconds=_int(env, "ACTIVE_POLL_CAP_SECONDS", 30),
            caught_up_lag_seconds=_int(env, "CAUGHT_UP_LAG_SECONDS", 30),
            drain_quiet_seconds=_int(env, "DRAIN_QUIET_SECONDS", 60),
            drain_timeout_seconds=_int(env, "DRAIN_TIMEOUT_SECONDS", 900),
            invocation_budget_seconds=_int(env, "INVOCATION_BUDGET_SECONDS", 840),
        )
