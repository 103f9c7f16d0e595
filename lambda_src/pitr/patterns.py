"""Target table name patterns: globs with ``*`` as the only wildcard.

The same pattern scopes IAM (``table/<pattern>``), Step Functions choices (``StringMatches``) and
the Python checks here, so it is deliberately limited to what all three understand alike.
"""

from __future__ import annotations

import re

_ALLOWED = re.compile(r"^[A-Za-z0-9_.*-]{1,255}$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


class PatternError(ValueError):
    """A target table name pattern that the module cannot use safely."""


def is_table_name(name: str) -> bool:
    """True when ``name`` is a valid DynamoDB table name."""
    return bool(_TABLE_NAME.match(name))


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Compile a ``*``-only glob into an anchored regular expression."""
    if not _ALLOWED.match(pattern):
        raise PatternError(
            f"target table name pattern {pattern!r} may hold only table name characters and '*'"
        )
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def matches(name: str, pattern: str) -> bool:
    """True when table ``name`` matches the glob ``pattern``."""
    return bool(pattern_regex(pattern).match(name))


def default_pattern(source_table: str) -> str:
    """The pattern used when the operator gives none: ``<source>-restored-*``."""
    return f"{source_table}-restored-*"


def check_target(source_table: str, target_table: str, pattern: str) -> None:
    """Refuse a target the module must not touch, with a message that says what to do.

    Raises PatternError when the target is the source itself, is not a table name, or does not
    match the pattern, and when the pattern would match the source.
    """
    if matches(source_table, pattern):
        raise PatternError(
            f"target table name pattern {pattern!r} matches the source table {source_table!r}; "
            "fix target_table_name_pattern so only restored tables match "
            f"(e.g. {default_pattern(source_table)!r})"
        )
    if target_table == source_table:
        raise PatternError(f"target table {target_table!r} is the source table; restore into a new table")
    if not is_table_name(target_table):
        raise PatternError(f"target table {target_table!r} is not a valid DynamoDB table name")
    if not matches(target_table, pattern):
        raise PatternError(
            f"target table {target_table!r} does not match {pattern!r}; restore into a table whose "
            f"name matches it, or change target_table_name_pattern"
        )
