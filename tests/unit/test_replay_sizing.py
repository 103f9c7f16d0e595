"""Replay sizing (``pitr.replay_sizing``): the concurrency and pre-warm the steps function picks at
replay start, from DynamoDB's table descriptions and the buffer's backlog."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr import replay_sizing as rs
from pitr.environment import ConfigurationError
from pitr.restore_steps import StepsConfig
from pitrctl.sim import functions

CFG = rs.ReplaySizingConfig()


def on_demand(warm: int | None = None, max_write: int | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {"BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
    if warm is not None:
        table["WarmThroughput"] = {"ReadUnitsPerSecond": 3 * warm, "WriteUnitsPerSecond": warm}
    if max_write is not None:
        table["OnDemandThroughput"] = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": max_write}
    return table


def provisioned(wcu: int) -> dict[str, Any]:
    # A restore keeps the source's provisioned capacity; BillingModeSummary may be absent then.
    return {"ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": wcu}}


def test_write_capacity_of_each_billing_mode() -> None:
    assert rs.write_capacity(on_demand(4000)) == 4000
    assert rs.write_capacity(on_demand()) == rs.NEW_TABLE_WRITE_UNITS, "no warm throughput: a new table's"
    assert rs.write_capacity(on_demand(40_000, max_write=10_000)) == 10_000, "the on-demand maximum caps it"
    assert rs.write_capacity(provisioned(1500)) == 1500


def test_a_new_on_demand_table_gets_the_pollers_that_fill_it_with_one_item_per_batch() -> None:
    """The repetitive backlog's case: every invocation writes one item through the guard (2 units)."""
    sizing = rs.plan(on_demand(4000), on_demand(4000), 1_000_000, rs.ReplaySizingConfig(1000))
    assert sizing.concurrency == math.ceil(4000 * rs.INVOCATION_SECONDS / rs.UNITS_PER_WRITE) == 200
    assert sizing.write_capacity == 4000


def test_the_ceiling_and_the_aws_minimum_bound_the_concurrency() -> None:
    assert rs.plan(on_demand(40_000), on_demand(), 10, CFG).concurrency == CFG.maximum_concurrency
    assert rs.plan(provisioned(5), provisioned(5), 10, CFG).concurrency == 2


def test_sizing_counts_the_prewarm_the_target_will_get() -> None:
    """settings_sync raises the target to the source's warm throughput, and to the backlog's need up to
    the pre-warm ceiling: the replay is sized for that table, not the cold one."""
    cfg = rs.ReplaySizingConfig(maximum_concurrency=1000, warm_write_units_max=0)
    assert rs.plan(on_demand(4000), on_demand(12_000), 0, cfg).write_capacity == 12_000
    backlog = 6_000_000  # 6M messages: 40,000 units a second over the drain target
    need = math.ceil(backlog * rs.UNITS_PER_WRITE / rs.DRAIN_TARGET_SECONDS)
    capped = rs.plan(on_demand(4000), on_demand(4000), backlog, cfg)
    assert capped.warm_write_units_per_second == need and capped.write_capacity == 4000, (
        "no pre-warm ceiling: the need is asked for, but the table stays at 4,000"
    )
    warmed = rs.plan(
        on_demand(4000), on_demand(4000), backlog, rs.ReplaySizingConfig(1000, warm_write_units_max=15_000)
    )
    assert warmed.write_capacity == 15_000
    assert warmed.concurrency == math.ceil(15_000 * rs.INVOCATION_SECONDS / rs.UNITS_PER_WRITE)


def test_a_provisioned_target_keeps_its_capacity() -> None:
    cfg = rs.ReplaySizingConfig(1000, warm_write_units_max=50_000)
    sizing = rs.plan(provisioned(1000), provisioned(1000), 5_000_000, cfg)
    assert sizing.write_capacity == 1000
    assert sizing.concurrency == 50


def test_the_need_is_no_more_than_the_pollers_can_feed() -> None:
    """Pre-warming beyond what the ceiling's pollers can push is paid for and never used."""
    cfg = rs.ReplaySizingConfig(maximum_concurrency=10)
    sizing = rs.plan(on_demand(4000), on_demand(4000), 100_000_000, cfg)
    assert sizing.warm_write_units_per_second == rs.feed(10, rs.FIFO_BATCH_SIZE)


@given(
    warm=st.integers(min_value=0, max_value=200_000),
    source_warm=st.integers(min_value=0, max_value=200_000),
    messages=st.integers(min_value=0, max_value=10**9),
    ceiling=st.integers(min_value=2, max_value=1000),
    warm_max=st.integers(min_value=0, max_value=200_000),
    batch=st.integers(min_value=1, max_value=10),
)
def test_sizing_always_stays_inside_its_bounds(
    *, warm: int, source_warm: int, messages: int, ceiling: int, warm_max: int, batch: int
) -> None:
    cfg = rs.ReplaySizingConfig(ceiling, warm_max)
    sizing = rs.plan(on_demand(warm or None), on_demand(source_warm or None), messages, cfg, batch_size=batch)
    assert 2 <= sizing.concurrency <= ceiling
    assert 0 <= sizing.warm_write_units_per_second <= rs.feed(ceiling, batch)
    assert sizing.write_capacity >= max(warm or rs.NEW_TABLE_WRITE_UNITS, source_warm)
    # Enough pollers for the table when each writes one item, unless the ceiling says no.
    if sizing.concurrency < ceiling:
        assert sizing.concurrency * rs.UNITS_PER_WRITE / rs.INVOCATION_SECONDS >= sizing.write_capacity


def _steps_env(**values: str) -> dict[str, str]:
    env = functions.render_part(
        "pitr.restore_steps.handler",
        {
            **functions.RESTORE_WORKFLOW_TUNING,
            "SOURCE_TABLE_NAME": "orders",
            "TARGET_TABLE_NAME_PATTERN": "orders-restored-*",
            "RESTORE_RECORD_PARAMETER": "/p/restore",
            "COVERAGE_PARAMETER": "/p/coverage",
            "BUFFER_QUEUE_URL": "https://sqs/q",
            "REPLAY_MAPPING_UUID": "u",
            "TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t",
            "LEDGER_TABLE": "pitr-orders-ledger",
        },
    )
    return {**env, **values}


def test_the_bounds_come_from_the_steps_functions_configuration() -> None:
    assert StepsConfig.from_env(_steps_env()).sizing == rs.ReplaySizingConfig(
        rs.DEFAULT_MAXIMUM_CONCURRENCY, 0, "pitr-orders-ledger"
    )
    cfg = StepsConfig.from_env(_steps_env(REPLAY_MAXIMUM_CONCURRENCY="300", WARM_WRITE_UNITS_MAX="40000"))
    assert cfg.sizing == rs.ReplaySizingConfig(300, 40_000, "pitr-orders-ledger")
    for name, value in (
        ("REPLAY_MAXIMUM_CONCURRENCY", "lots"),
        ("REPLAY_MAXIMUM_CONCURRENCY", "1001"),
        ("REPLAY_MAXIMUM_CONCURRENCY", "1"),
        ("WARM_WRITE_UNITS_MAX", "-1"),
    ):
        with pytest.raises(ConfigurationError, match=f"{name} is {value!r}"):
            StepsConfig.from_env(_steps_env(**{name: value}))


def test_the_step_output_names_the_concurrency_and_the_need() -> None:
    out = rs.ReplaySizing(120, 4000, 900, 5000).as_dict()
    assert out == {
        "replay_concurrency": 120,
        "write_capacity": 4000,
        "warm_write_units_per_second": 900,
        "backlog_messages": 5000,
    }
    assert rs.ReplaySizing(200, 0, 0, 0, reason="why").as_dict()["reason"] == "why"


def test_the_ledger_bounds_the_replay_too() -> None:
    """Every replayed item also writes its ledger row (2 units): a pre-warmed target behind a cold
    ledger replays at the ledger's pace, and more pollers would only be throttled there."""
    cfg = rs.ReplaySizingConfig(1000)
    sizing = rs.plan(
        on_demand(12_000), on_demand(12_000), 10, cfg, ledger=on_demand(4000), raise_ledger=False
    )
    assert sizing.write_capacity == 4000
    assert sizing.concurrency == 200
    warm_ledger = rs.plan(on_demand(12_000), on_demand(12_000), 10, cfg, ledger=on_demand(20_000))
    assert warm_ledger.write_capacity == 12_000
    assert StepsConfig.from_env(_steps_env()).sizing.ledger_table == "pitr-orders-ledger"


def test_the_ledger_is_raised_to_the_target_within_the_prewarm_bound() -> None:
    """The ledger takes 2 units per replayed item like the target: it is raised to what the target
    absorbs once pre-warmed, no higher than ``warm_throughput_max_write_units_per_second``."""
    assert rs.ledger_raise(12_000, on_demand(4000), 40_000) == 12_000
    assert rs.ledger_raise(12_000, on_demand(), 40_000) == 12_000, "no warm throughput shown: a new table's"
    assert rs.ledger_raise(40_000, on_demand(4000), 15_000) == 15_000, "bounded by the pre-warm ceiling"


def test_the_ledger_is_never_raised_beyond_the_bound_nor_lowered() -> None:
    assert rs.ledger_raise(12_000, on_demand(4000), 0) == 0, "0: never above what it has"
    assert rs.ledger_raise(12_000, on_demand(20_000), 40_000) == 0, "warm enough: AWS cannot lower it"
    assert rs.ledger_raise(12_000, on_demand(12_000), 40_000) == 0, "equal: nothing to ask (nor pay)"
    assert rs.ledger_raise(3000, on_demand(), 40_000) == 0, "a new table's 4,000 already cover the target"
    assert rs.ledger_raise(1000, on_demand(), 40_000) == 0, "a small provisioned target needs no raise"


def test_sizing_counts_the_ledger_after_its_raise() -> None:
    """The cold ledger no longer caps a pre-warmed target at 4,000 units (2,000 items a second)."""
    cfg = rs.ReplaySizingConfig(1000, warm_write_units_max=40_000)
    sizing = rs.plan(on_demand(12_000), on_demand(12_000), 10, cfg, ledger=on_demand(4000))
    assert sizing.ledger_warm_write_units_per_second == 12_000
    assert sizing.write_capacity == 12_000 and sizing.concurrency == 600
    assert sizing.as_dict()["ledger_warm_write_units_per_second"] == 12_000
    bounded = rs.plan(
        on_demand(12_000), on_demand(4000), 10, rs.ReplaySizingConfig(1000, 8000), ledger=on_demand(4000)
    )
    assert bounded.ledger_warm_write_units_per_second == 8000 and bounded.write_capacity == 8000
    unraised = rs.plan(
        on_demand(12_000), on_demand(12_000), 10, cfg, ledger=on_demand(4000), raise_ledger=False
    )
    assert unraised.ledger_warm_write_units_per_second == 0 and unraised.write_capacity == 4000
    assert "ledger_warm_write_units_per_second" not in unraised.as_dict()


def test_the_ledger_follows_the_source_warm_throughput_like_the_target() -> None:
    """settings_sync warms the target to the source's warm throughput even with no pre-warm ceiling
    (0): the ledger is raised to the same level, or it would cap replay at 2,000 items a second."""
    cfg = rs.ReplaySizingConfig(1000)  # warm_write_units_max 0
    sizing = rs.plan(on_demand(4000), on_demand(12_000), 10, cfg, ledger=on_demand(4000))
    assert sizing.ledger_warm_write_units_per_second == 12_000
    assert sizing.write_capacity == 12_000
    cold_source = rs.plan(on_demand(4000), on_demand(4000), 10, cfg, ledger=on_demand(4000))
    assert cold_source.ledger_warm_write_units_per_second == 0 and cold_source.write_capacity == 4000


@given(
    target=st.integers(min_value=1, max_value=200_000),
    ledger=st.integers(min_value=0, max_value=200_000),
    warm_max=st.integers(min_value=0, max_value=200_000),
)
def test_the_ledger_raise_only_ever_goes_up_and_stays_bounded(
    *, target: int, ledger: int, warm_max: int
) -> None:
    to = rs.ledger_raise(target, on_demand(ledger or None), warm_max)
    if to:
        assert to > (ledger or rs.NEW_TABLE_WRITE_UNITS), "never asks for less than the ledger has"
        assert to <= min(target, warm_max)
    else:
        assert min(target, warm_max) <= (ledger or rs.NEW_TABLE_WRITE_UNITS)
