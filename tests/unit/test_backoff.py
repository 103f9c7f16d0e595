from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr.backoff import Backoff


@given(
    base=st.floats(0.001, 10),
    cap=st.floats(0.01, 900),
    factor=st.floats(1.0, 4.0),
    attempt=st.integers(0, 10_000),
    r=st.floats(0, 0.999999),
)
def test_delay_stays_within_floor_and_cap(
    base: float, cap: float, factor: float, attempt: int, r: float
) -> None:
    schedule = Backoff(base=base, cap=cap, factor=factor)
    delay = schedule.delay(attempt, rand=lambda: r)
    assert 0 <= delay <= max(cap, 0) + 1e-9


def test_ceiling_grows_exponentially_then_caps() -> None:
    schedule = Backoff(base=1, cap=30, factor=2)
    assert [schedule.ceiling(a) for a in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_floor_is_a_minimum() -> None:
    schedule = Backoff(base=0.1, cap=10, floor=2)
    assert schedule.delay(0, rand=lambda: 0.0) == 2
    assert schedule.delay(20, rand=lambda: 0.999) <= 10


def test_full_jitter_uses_the_random_source() -> None:
    schedule = Backoff(base=1, cap=8)
    low = schedule.delay(3, rand=lambda: 0.0)
    high = schedule.delay(3, rand=lambda: 0.5)
    assert low == 0 and high == 4


def test_delays_iterates_attempts() -> None:
    schedule = Backoff(base=1, cap=4)
    assert list(itertools.islice(schedule.delays(rand=lambda: 0.5), 4)) == [0.5, 1, 2, 2]


def test_negative_attempt_is_an_error() -> None:
    with pytest.raises(ValueError, match="attempt"):
        Backoff().ceiling(-1)
