"""Each function's environment contract: the one list of variables Terraform sets and the code reads.

Terraform renders these keys in each function's ``environment`` block (``modules/*/main.tf``;
``modules/lambda_function`` adds ``COMMON`` to every function), the handlers read them through
``of(handler)``, and ``tests/unit/test_environment.py`` fails when the two differ. Reading a variable
the contract does not list raises ``UndeclaredVariableError``: add it here and to Terraform first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

# Set for every function by modules/lambda_function; read by pitr.logs.
COMMON = ("LOG_LEVEL",)

# One WatcherConfig serves the waiter and the steps; each reads only its own function's variables.
_WATCHER_COMMON = (
    "SOURCE_TABLE_NAME",
    "REPLAY_FROM",
    "BUFFER_QUEUE_URL",
    "BUFFER_STANDBY_RETENTION_SECONDS",
    "COVERAGE_PARAMETER",
    "MAX_RESTORE_WAIT_SECONDS",
)

# Handler -> the variables its function's environment holds (besides COMMON).
VARIABLES: dict[str, tuple[str, ...]] = {
    "pitr.cdc_subscriber.handler": ("BUFFER_QUEUE_URL", "SPILL_BUCKET", "SOURCE_TABLE_NAME"),
    "pitr.replay_writer.handler": (
        "RESTORE_RECORD_PARAMETER",
        "SOURCE_TABLE_NAME",
        "TARGET_TABLE_NAME_PATTERN",
        "LEDGER_TABLE",
        "RECORD_CACHE_SECONDS",
        "REPLAY_START_MARGIN_SECONDS",
    ),
    "pitr.settings_sync.handler": (
        "SOURCE_TABLE_NAME",
        "TARGET_TABLE_NAME_PATTERN",
        "SETTINGS_SWITCHES",
        "SETTINGS_OPTIONS",
    ),
    "pitr.restore_waiter.handler": (
        *_WATCHER_COMMON,
        "ACTIVE_POLL_CAP_SECONDS",
        "CAUGHT_UP_LAG_SECONDS",
        "DRAIN_QUIET_SECONDS",
        "DRAIN_TIMEOUT_SECONDS",
        "INVOCATION_BUDGET_SECONDS",
        "STREAM_FAILURE_QUEUE_URL",
    ),
    "pitr.restore_workflow.handler": (
        *_WATCHER_COMMON,
        "TARGET_TABLE_NAME_PATTERN",
        "RESTORE_RECORD_PARAMETER",
        "REPLAY_MAPPING_UUID",
        "TOPIC_ARN",
        # pitr.replay_sizing: the replay concurrency ceiling and the pre-warm ceiling
        "REPLAY_MAXIMUM_CONCURRENCY",
        "WARM_WRITE_UNITS_MAX",
        "LEDGER_TABLE",
    ),
}


class UndeclaredVariableError(RuntimeError):
    """The code read a variable its function's contract does not list (Terraform never sets it)."""


class Environment(Mapping[str, str]):
    """A function's view of its environment: only the contract's variables; remembers what was read."""

    def __init__(self, handler: str, environ: Mapping[str, str] | None = None) -> None:
        self.handler = handler
        self.names = frozenset(VARIABLES[handler]) | frozenset(COMMON)
        self._environ = os.environ if environ is None else environ
        self.read: set[str] = set()

    def _check(self, name: str) -> None:
        if name not in self.names:
            raise UndeclaredVariableError(
                f"{self.handler} reads {name}, which its environment contract (pitr.environment) "
                "does not list: Terraform never sets it"
            )
        self.read.add(name)

    def __getitem__(self, name: str) -> str:
        self._check(name)
        return self._environ[name]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self._check(name)
        return self._environ.get(name, default)

    def declared_only(self) -> _DeclaredOnly:
        """A view for a config shared by several functions (``WatcherConfig``): a variable this
        function's contract does not list reads as its default, unread."""
        return _DeclaredOnly(self)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names and name in self._environ

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.names if name in self._environ)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _DeclaredOnly:
    def __init__(self, env: Environment) -> None:
        self._env = env

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._env.get(name, default) if name in self._env.names else default


def of(handler: str, environ: Mapping[str, str] | None = None) -> Environment:
    """The environment of the function whose handler is ``handler`` (``pitr.<module>.handler``)."""
    if isinstance(environ, Environment):
        return environ
    return Environment(handler, environ)
