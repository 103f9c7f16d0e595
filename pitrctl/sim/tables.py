"""Tables for simulations and tests: on-demand, keyed as asked, with or without a stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def create_table(
    dynamodb: Any,
    name: str,
    keys: Sequence[tuple[str, str]] = (("pk", "S"),),
    stream: str | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """Create ``name`` keyed by ``keys`` ((attribute, type): the partition key, then the sort key if
    any), its stream on with view ``stream`` (``NEW_AND_OLD_IMAGES``...) when given, and any other
    ``CreateTable`` parameter in ``spec`` (an index and its attribute definitions, say); returns the
    table's description."""
    table: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [
            {"AttributeName": attribute, "KeyType": kind}
            for (attribute, _), kind in zip(keys, ("HASH", "RANGE"), strict=False)
        ],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t in keys],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if stream is not None:
        table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    return dynamodb.create_table(**(table | spec))["TableDescription"]
