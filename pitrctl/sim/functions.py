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

from pitr import cdc_subscriber, environment, replay_writer
from pitr.watcher import WatcherConfig


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
    """``render`` with the part of ``values`` the function's contract lists (functions that share
    a config, such as the waiter and the steps, get different parts of it)."""
    declared = set(environment.VARIABLES[handler])
    return render(handler, {name: value for name, value in values.items() if name in declared})


def subscriber(env: Mapping[str, str], **runtime: Any) -> cdc_subscriber.Subscriber:
    return dataclasses.replace(cdc_subscriber.from_env(env), **runtime)


def replay_writer_of(env: Mapping[str, str], **runtime: Any) -> replay_writer.ReplayWriter:
    replay_writer.reset_cache()  # a container's cache must not outlive its simulated account
    return dataclasses.replace(replay_writer.from_env(env), **runtime)


def watcher_config(env: Mapping[str, str], handler: str) -> WatcherConfig:
    return WatcherConfig.from_env(env, handler)
