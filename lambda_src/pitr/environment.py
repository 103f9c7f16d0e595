"""Each function's environment contract: the one list of variables Terraform sets and the code reads.

Terraform renders these keys in each function's ``environment`` block (``modules/lambda_function``
adds ``COMMON`` to every function), each function's typed configuration reads them through
``of(handler)`` and the parsers below, and ``tests/unit/test_environment.py`` fails when the two
differ. Reading a variable the contract does not list raises ``UndeclaredVariableError``: add it here
and to Terraform first.

Terraform sets every variable of a function's contract, so a configuration requires each one: a
missing or invalid value is a deployment error (``ConfigurationError``, naming the variable), raised
when the function builds its configuration, at the first invocation before any AWS call.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Collection, Iterator, Mapping
from typing import Any, ClassVar, Self, TypeVar

# Set for every function by modules/lambda_function; read by pitr.logs.
COMMON = ("LOG_LEVEL",)

# What both functions of the restore workflow read (each has its own configuration).
_RESTORE_WORKFLOW_COMMON = (
    "SOURCE_TABLE_NAME",
    "REPLAY_FROM",
    "BUFFER_QUEUE_URL",
    "BUFFER_STANDBY_RETENTION_SECONDS",
    "COVERAGE_PARAMETER",
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
        *_RESTORE_WORKFLOW_COMMON,
        "ACTIVE_POLL_CAP_SECONDS",
        "CAUGHT_UP_LAG_SECONDS",
        "DRAIN_QUIET_SECONDS",
        "DRAIN_TIMEOUT_SECONDS",
        "INVOCATION_BUDGET_SECONDS",
        "STREAM_FAILURE_QUEUE_URL",
    ),
    "pitr.restore_steps.handler": (
        *_RESTORE_WORKFLOW_COMMON,
        "MAX_RESTORE_WAIT_SECONDS",
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


class ConfigurationError(RuntimeError):
    """A variable of the function's contract is missing or invalid: the deployment is broken."""


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

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names and name in self._environ

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.names if name in self._environ)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def of(handler: str, environ: Mapping[str, str] | None = None) -> Environment:
    """The environment of the function whose handler is ``handler`` (``pitr.<module>.handler``)."""
    if isinstance(environ, Environment):
        return environ
    return Environment(handler, environ)


# ---------------------------------------------------------------------------------------------
# Typed configurations: one frozen dataclass per function, each field read from its variable.
# ---------------------------------------------------------------------------------------------

C = TypeVar("C")


class Configuration:
    """Base of each function's typed configuration (a frozen dataclass naming its ``handler``)."""

    handler: ClassVar[str]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The configuration from the function's environment (``load``)."""
        return load(cls, cls.handler, environ)


def variable(
    *,
    minimum: float = 0,
    maximum: float = math.inf,
    choices: Collection[str] = (),
    default: Any = dataclasses.MISSING,
) -> Any:
    """A configuration field with rules beyond its type: its least and greatest value, or the values
    allowed."""
    rules = {"minimum": minimum, "maximum": maximum, "choices": tuple(choices)}
    return dataclasses.field(default=default, metadata=rules)


def load(config: type[C], handler: str, environ: Mapping[str, str] | None = None) -> C:
    """``config`` (a dataclass) from ``handler``'s environment: each field from the variable of its
    name in capitals, parsed by the field's type (``str``, ``int``, ``float``) and rules (``variable``).

    Every variable is required (Terraform sets them all): a missing, empty or invalid one raises
    ``ConfigurationError`` naming it.
    """
    env = of(handler, environ)
    values = {}
    for field in dataclasses.fields(config):  # type: ignore[arg-type]
        values[field.name] = _parse(env, field.name.upper(), _type_name(field.type), field.metadata)
    return config(**values)


def _type_name(annotation: Any) -> str:
    """``str`` for both ``str`` and ``"str"`` (a module with postponed annotations)."""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))


def _parse(env: Environment, name: str, kind: str, rules: Mapping[str, Any]) -> str | int | float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        raise _problem(env, name, "is not set" if raw is None else "is empty")
    if kind == "str":
        choices = rules.get("choices") or ()
        if choices and raw not in choices:
            raise _problem(env, name, f"is {raw!r}, not one of {', '.join(choices)}")
        return raw
    if kind not in ("int", "float"):
        raise TypeError(f"a configuration field is str, int or float, not {kind} ({name})")
    try:
        value: float = int(raw) if kind == "int" else float(raw)
    except ValueError:
        value = math.nan
    minimum, maximum = rules.get("minimum", 0), rules.get("maximum", math.inf)
    if not math.isfinite(value) or not minimum <= value <= maximum:
        whole = "whole " if kind == "int" else ""
        bounds = f"from {minimum:g} to {maximum:g}" if math.isfinite(maximum) else f">= {minimum:g}"
        raise _problem(env, name, f"is {raw!r}, not a {whole}number {bounds}")
    return value


def _problem(env: Environment, name: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"{env.handler}: environment variable {name} {problem}; Terraform sets it for this function: "
        "redeploy the module (or correct the function's configuration if it was edited by hand)"
    )
