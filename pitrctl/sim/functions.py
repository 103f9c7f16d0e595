"""The functions as Lambda builds them: the environment Terraform renders, then the handler's ``from_env``.

``environment`` renders a function's environment from the deployed names and checks it against the
function's contract (``pitr.environment``), as Terraform's ``environment`` block holds it; the worlds
then call the module's own ``from_env`` with it and inject only what Lambda's runtime provides and a
simulation replaces: clients, clock, sleep and the metric sink.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pitr import cdc_subscriber, environment, metrics, replay_sizing, replay_writer
from pitr.restore_steps import StepsConfig
from pitr.restore_waiter import WaiterConfig


def render(handler: str, values: Mapping[str, Any]) -> dict[str, str]:
    """The environment of ``handler``'s function: exactly its contract's variables, as strings."""
    declared = set(environment.VARIABLES[handler])
    missing, unknown = declared - set(values), set(values) - declared
    if missing or unknown:
        raise ValueError(
            f"{handler}: the environment must hold exactly {sorted(declared)}; "
            f"missing {sorted(missing)}, not in the contract {sorted(unknown)}"
        )
    rendered = {name: str(value) for name, value in values.items()}
    rendered.update(LOG_LEVEL="INFO")  # modules/lambda_function adds it to every function
    return rendered


def render_part(handler: str, values: Mapping[str, Any]) -> dict[str, str]:
    """``render`` with the part of ``values`` the function's contract lists (the waiter and the
    steps get different parts of the restore workflow's values)."""
    declared = set(environment.VARIABLES[handler])
    return render(handler, {name: value for name, value in values.items() if name in declared})


class MetricLines:
    """The metric sink a simulation gives a function (``emit``): keeps the EMF lines it writes."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, source: str, values: Any, properties: Any = None) -> str:
        line = metrics.emf_line(source, values, properties)
        self.lines.append(line)
        return line

    def values(self, name: str) -> list[float]:
        return [d.value for line in self.lines for d in metrics.parse(line) if d.name == name]

    def value(self, name: str) -> float | None:
        """The sum of metric ``name`` over the lines; None when no line has it."""
        found = self.values(name)
        return sum(found) if found else None


def subscriber(env: Mapping[str, str], **runtime: Any) -> cdc_subscriber.Subscriber:
    return dataclasses.replace(cdc_subscriber.from_env(env), **runtime)


def replay_writer_of(env: Mapping[str, str], **runtime: Any) -> replay_writer.ReplayWriter:
    replay_writer.reset_cache()  # a container's cache must not outlive its simulated account
    return dataclasses.replace(replay_writer.from_env(env), **runtime)


# The buffer's retention while no restore is in flight (variables.tf's default).
STANDBY_RETENTION_SECONDS = 14_400


def buffer_queue_attributes(retention_seconds: int) -> dict[str, str]:
    """The FIFO buffer's attributes as cdc_buffer.tf creates it (high throughput: deduplication
    and throughput per message group), with the given retention."""
    return {
        "FifoQueue": "true",
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
        "MessageRetentionPeriod": str(retention_seconds),
    }


# The restore workflow's tuning variables at the module's defaults (variables.tf; the rehearsal and
# the workflow world set some of them).
RESTORE_WORKFLOW_TUNING: dict[str, Any] = {
    "REPLAY_FROM": "restore_point",
    "BUFFER_STANDBY_RETENTION_SECONDS": STANDBY_RETENTION_SECONDS,
    "MAX_RESTORE_WAIT_SECONDS": 7 * 86_400,
    # The waiter's tuning defaults are Terraform's (restore_waiter.WaiterConfig).
    "ACTIVE_POLL_CAP_SECONDS": WaiterConfig.active_poll_cap_seconds,
    "CAUGHT_UP_LAG_SECONDS": WaiterConfig.caught_up_lag_seconds,
    "DRAIN_QUIET_SECONDS": WaiterConfig.drain_quiet_seconds,
    "DRAIN_TIMEOUT_SECONDS": WaiterConfig.drain_timeout_seconds,
    "INVOCATION_BUDGET_SECONDS": WaiterConfig.invocation_budget_seconds,
    # The steps function's replay sizing (pitr.replay_sizing).
    "REPLAY_MAXIMUM_CONCURRENCY": replay_sizing.DEFAULT_MAXIMUM_CONCURRENCY,
    "WARM_WRITE_UNITS_MAX": 0,
}


def restore_workflow_configs(values: Mapping[str, Any]) -> tuple[WaiterConfig, StepsConfig]:
    """The waiter's and the steps' configurations, each read by its ``from_env`` from its own part of
    ``values`` (the restore workflow's variables, as Terraform renders them)."""
    return (
        WaiterConfig.from_env(render_part("pitr.restore_waiter.handler", values)),
        StepsConfig.from_env(render_part("pitr.restore_steps.handler", values)),
    )
