"""Argument types: bad values are refused while parsing, with an example of a good one."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from pitr.restore_record import RecordError, parse_time

TIME_EXAMPLE = "2026-11-22T09:30:00Z"
# DynamoDB: "3 - 255 characters ... a-z, A-Z, 0-9, '_' (underscore), '-' (dash), and '.' (dot)".
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
_INDEX_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")


def restore_time(text: str) -> datetime:
    """An ISO 8601 time with its zone (``Z`` or ``+02:00``): a naive time is ambiguous, so refused."""
    try:
        moment = parse_time(text)
    except RecordError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give ISO 8601 with a zone, e.g. {TIME_EXAMPLE} (UTC) "
            "or 2026-11-22T11:30:00+02:00"
        ) from None
    if not re.search(r"(Z|[+-]\d\d:?\d\d)$", text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone: add Z for UTC (e.g. {TIME_EXAMPLE}) or an offset like +02:00"
        )
    return moment.astimezone(UTC)


def table_name(text: str) -> str:
    if not _TABLE_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a DynamoDB table name: 3 to 255 of a-z A-Z 0-9 _ . - (e.g. orders)"
        )
    return text


def index_name(text: str) -> str:
    if not _INDEX_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an index name: 3 to 255 of a-z A-Z 0-9 _ . - (e.g. by-customer)"
        )
    return text


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 10)") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number (e.g. 10)")
    return value


def non_negative_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 5)") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more (e.g. 5)")
    return value


def positive_integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (e.g. 4)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1 (e.g. 4)")
    return value


def fraction(text: str) -> float:
    """A share in (0, 1]: ``0.1`` reads one item in ten."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a fraction (e.g. 0.1 for one item in ten)"
        ) from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0 and at most 1 (e.g. 0.1)")
    return value


def capacity_units(text: str) -> int:
    """Read or write capacity units: DynamoDB accepts 1 and more (-1 means "no limit" for on-demand)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of units (e.g. 100)") from None
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1, or -1 for no limit (e.g. 100)")
    return value
