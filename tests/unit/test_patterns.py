from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr.patterns import PatternError, check_target, default_pattern, matches, pattern_regex

NAME_CHARS = st.sampled_from("abcXYZ019_.-")
names = st.text(NAME_CHARS, min_size=3, max_size=40)


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("orders-restored-2026", "orders-restored-*", True),
        ("orders-restored-", "orders-restored-*", True),
        ("orders", "orders-restored-*", False),
        ("xorders-restored-1", "orders-restored-*", False),
        ("orders.v2", "orders.v2", True),
        ("ordersXv2", "orders.v2", False),  # '.' is literal, not "any character"
        ("a-b-c", "a*c", True),
        ("a-b-c-d", "a*c", False),
    ],
)
def test_matches(name: str, pattern: str, expected: bool) -> None:
    assert matches(name, pattern) is expected


@given(prefix=names, suffix=st.text(NAME_CHARS, max_size=10))
def test_prefix_glob_matches_exactly_the_names_that_start_with_it(prefix: str, suffix: str) -> None:
    assert matches(prefix + suffix, prefix + "*")
    assert matches(prefix + suffix, "*" + suffix)


@given(name=names)
def test_literal_pattern_matches_only_itself(name: str) -> None:
    assert matches(name, name)
    assert not matches(name + "x", name)


@pytest.mark.parametrize("pattern", ["orders[0-9]", "orders?", "a/b", ""])
def test_pattern_with_other_wildcards_is_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        pattern_regex(pattern)


def test_check_target_accepts_matching_target() -> None:
    check_target("orders", "orders-restored-1", default_pattern("orders"))


@pytest.mark.parametrize(
    ("target", "pattern", "message"),
    [
        ("orders", "orders*", "matches the source"),
        ("orders", "orders-restored-*", "is the source"),
        ("other-table", "orders-restored-*", "does not match"),
        ("o!", "*", "matches the source"),
    ],
)
def test_check_target_refuses(target: str, pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        check_target("orders", target, pattern)
