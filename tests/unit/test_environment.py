"""One environment contract per function (pitr.environment): Terraform sets exactly what the code reads.

Terraform's side is read from the root's HCL (python-hcl2): every function of
``local.function_modules`` (handler ``pitr.<module>.handler``) gives its ``environment`` map in
``local.<module>_function``, resolved through ``local.*`` and ``merge(...)``; the shared
``modules/lambda_function`` adds ``COMMON``. The code's side is what each ``from_env`` reads
when built from that environment (``Environment.read``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from pitr import cdc_subscriber, environment, replay_writer, settings_sync
from pitr.cdc_subscriber import SubscriberConfig
from pitr.replay_writer import ReplayWriterConfig
from pitr.restore_steps import StepsConfig
from pitr.restore_waiter import WaiterConfig

REPO = Path(__file__).resolve().parents[2]


def _split_top(text: str) -> list[str]:
    """Split ``text`` at commas outside brackets and quotes."""
    parts, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "({[":
            depth += 1
        elif not quoted and char in ")}]":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _keys(expression: Any, local: dict[str, Any]) -> set[str]:
    """The keys of an environment expression as python-hcl2 gives it."""
    if isinstance(expression, dict):
        return {key.strip('"') for key in expression if not key.startswith("__")}
    text = expression.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if text.startswith("local."):
        return _keys(local[text.removeprefix("local.")], local)
    if text.startswith("var."):
        return set()  # the caller's map (modules/lambda_function's var.environment)
    if text.startswith("merge(") and text.endswith(")"):
        return set().union(*(_keys(part, local) for part in _split_top(text[6:-1])))
    if text.startswith("{") and text.endswith("}"):
        return {re.match(r"\s*\"?(\w+)\"?\s*=", part).group(1) for part in _split_top(text[1:-1])}
    raise AssertionError(f"cannot read the environment expression {expression!r}")


def terraform_environments() -> dict[str, set[str]]:
    """Handler -> the environment keys Terraform renders for its function (COMMON included)."""
    function_module = hcl2.load((REPO / "modules/lambda_function/main.tf").open())
    (function,) = [
        r['"aws_lambda_function"'] for r in function_module["resource"] if '"aws_lambda_function"' in r
    ]
    (block,) = function['"this"']["environment"]
    common = _keys(block["variables"], {})
    # The root's files: each function is "local.<python module>_function", run as pitr.<module>.handler.
    local: dict[str, Any] = {}
    for path in sorted(REPO.glob("*.tf")):
        local.update({k: v for block in hcl2.load(path.open()).get("locals", []) for k, v in block.items()})
    return {
        f"pitr.{module}.handler": _keys(local[f"{module}_function"]["environment"], local) | common
        for module in (name.strip('"') for name in local["function_modules"])
    }


def test_every_function_has_a_contract_and_terraform_sets_exactly_it() -> None:
    rendered = terraform_environments()
    assert set(rendered) == set(environment.VARIABLES), "a function without a contract, or the reverse"
    for handler, keys in rendered.items():
        declared = set(environment.VARIABLES[handler]) | set(environment.COMMON)
        assert keys == declared, (
            f"{handler}: Terraform sets {sorted(keys - declared)} the contract lacks; "
            f"the contract lists {sorted(declared - keys)} Terraform never sets"
        )


def _values(handler: str) -> dict[str, str]:
    numbers = {"SECONDS", "RETENTION", "CONCURRENCY", "UNITS"}
    values = {}
    for name in (*environment.VARIABLES[handler], *environment.COMMON):
        if any(word in name for word in numbers):
            values[name] = "60"
        elif name in ("SETTINGS_SWITCHES", "SETTINGS_OPTIONS"):
            values[name] = "{}"
        elif name == "TARGET_TABLE_NAME_PATTERN":
            values[name] = "orders-restored-*"
        elif name == "REPLAY_FROM":
            values[name] = "restore_point"
        else:
            values[name] = "orders" if name == "SOURCE_TABLE_NAME" else f"value-of-{name.lower()}"
    return values


# Each function's typed configuration.
CONFIGS: dict[str, Any] = {
    "pitr.settings_sync.handler": settings_sync.SettingsSyncConfig,
    "pitr.cdc_subscriber.handler": SubscriberConfig,
    "pitr.replay_writer.handler": ReplayWriterConfig,
    "pitr.restore_waiter.handler": WaiterConfig,
    "pitr.restore_steps.handler": StepsConfig,
}


def _build(handler: str, env: environment.Environment) -> None:
    if handler == "pitr.cdc_subscriber.handler":
        cdc_subscriber.from_env(env)
    elif handler == "pitr.replay_writer.handler":
        replay_writer.reset_cache()
        replay_writer.from_env(env)
        replay_writer.reset_cache()
    elif handler == "pitr.settings_sync.handler":
        event = {"source_table": "orders", "target_table": "orders-restored-1", "phase": "restore"}
        settings_sync.parse(event, env)
    else:
        CONFIGS[handler].from_env(env)


@pytest.mark.parametrize("handler", sorted(environment.VARIABLES))
def test_the_code_reads_every_variable_of_its_contract(handler: str) -> None:
    env = environment.of(handler, _values(handler))
    _build(handler, env)
    assert env.read == set(environment.VARIABLES[handler]), "a variable Terraform sets and nothing reads"


def test_reading_a_variable_outside_the_contract_fails() -> None:
    env = environment.of("pitr.cdc_subscriber.handler", {"DRAIN_TIMEOUT_SECONDS": "5"})
    with pytest.raises(environment.UndeclaredVariableError, match="DRAIN_TIMEOUT_SECONDS"):
        env.get("DRAIN_TIMEOUT_SECONDS")


def test_drain_timeout_reaches_the_waiter() -> None:
    env = _values("pitr.restore_waiter.handler") | {"DRAIN_TIMEOUT_SECONDS": "1234"}
    assert WaiterConfig.from_env(env).drain_timeout_seconds == 1234


def test_each_configuration_holds_exactly_its_functions_variables() -> None:
    """One field per variable of the contract: no configuration carries another function's values."""
    for handler, config in CONFIGS.items():
        fields = {field.upper() for field in config.__dataclass_fields__}
        assert fields == set(environment.VARIABLES[handler]), handler


CASES = [(handler, name) for handler in sorted(CONFIGS) for name in environment.VARIABLES[handler]]


@pytest.mark.parametrize(("handler", "name"), CASES)
def test_a_missing_variable_fails_naming_it(handler: str, name: str) -> None:
    env = _values(handler)
    del env[name]
    with pytest.raises(
        environment.ConfigurationError, match=rf"{handler}: environment variable {name} is not set"
    ):
        CONFIGS[handler].from_env(env)


@pytest.mark.parametrize(("handler", "name"), CASES)
def test_an_empty_variable_fails_naming_it(handler: str, name: str) -> None:
    with pytest.raises(environment.ConfigurationError, match=rf"environment variable {name} is empty"):
        CONFIGS[handler].from_env(_values(handler) | {name: " "})


NUMBERS = [(handler, name) for handler, name in CASES if "SECONDS" in name]


@pytest.mark.parametrize(("handler", "name"), NUMBERS)
@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_number_that_is_not_one_fails_naming_it(handler: str, name: str, value: str) -> None:
    with pytest.raises(environment.ConfigurationError, match=rf"environment variable {name} is"):
        CONFIGS[handler].from_env(_values(handler) | {name: value})


@pytest.mark.parametrize("handler", ["pitr.restore_waiter.handler", "pitr.restore_steps.handler"])
def test_replay_from_must_be_a_known_choice(handler: str) -> None:
    with pytest.raises(environment.ConfigurationError, match="REPLAY_FROM is 'restore_time', not one of"):
        CONFIGS[handler].from_env(_values(handler) | {"REPLAY_FROM": "restore_time"})


def test_the_handlers_fail_at_the_first_call_before_any_aws_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Lambda environment without the variables: each handler names the first one it misses, with
    no client created (``clients`` would raise on first use)."""
    from pitr import clients, restore_steps, restore_waiter

    def no_aws(service: str) -> Any:
        raise AssertionError(f"an AWS client ({service}) was asked for before the configuration")

    monkeypatch.setattr(clients, "client", no_aws)
    monkeypatch.setattr(clients, "bounded", no_aws)
    for name in {name for names in environment.VARIABLES.values() for name in names}:
        monkeypatch.delenv(name, raising=False)
    replay_writer.reset_cache()
    calls = [
        ("BUFFER_QUEUE_URL", lambda: cdc_subscriber.handler({"Records": []})),
        ("RESTORE_RECORD_PARAMETER", lambda: replay_writer.handler({"Records": []})),
        ("SOURCE_TABLE_NAME", lambda: restore_waiter.handler({"action": "wait_active"}, None)),
        ("SOURCE_TABLE_NAME", lambda: restore_steps.handler({"action": "claim"}, None)),
        ("SOURCE_TABLE_NAME", lambda: settings_sync.handler({"target_table": "t", "phase": "restore"})),
    ]
    for name, call in calls:
        with pytest.raises(environment.ConfigurationError, match=f"environment variable {name} is not set"):
            call()


def test_the_waiters_tuning_defaults_are_terraforms() -> None:
    """WaiterConfig's defaults (configurations built in code: tests, the kit, the scale model) are the
    module's: the inputs' defaults, and the locals that set the drain timeout and the budget."""
    variables = (REPO / "variables.tf").read_text()
    workflow = (REPO / "restore_workflow.tf").read_text()

    def default(name: str) -> int:
        (value,) = re.findall(rf'variable "{name}" \{{.*?default\s*=\s*(\d+)', variables, re.DOTALL)
        return int(value)

    def local(name: str) -> str:
        (value,) = re.findall(rf"^\s*{name}\s*=\s*(.+?)\s*$", workflow, re.MULTILINE)
        return value

    assert WaiterConfig.active_poll_cap_seconds == default("active_poll_cap_seconds")
    assert WaiterConfig.caught_up_lag_seconds == default("caught_up_lag_seconds")
    assert WaiterConfig.drain_quiet_seconds == default("drain_quiet_seconds")
    assert WaiterConfig.drain_timeout_seconds == int(local("drain_timeout_seconds"))
    timeout = int(local("restore_waiter_timeout_seconds"))
    margin = re.fullmatch(
        r"local\.restore_waiter_timeout_seconds - (\d+)", local("restore_waiter_budget_seconds")
    )
    assert margin, "the waiter's budget is its timeout minus a margin"
    assert WaiterConfig.invocation_budget_seconds == timeout - int(margin.group(1))
