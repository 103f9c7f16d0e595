"""How many processes read the source table's stream: DynamoDB Streams serves two per shard.

The DynamoDB developer guide (DynamoDB Streams and AWS Lambda / reading a stream): "No more than
two processes at most should be reading from the same streams shard at the same time. Having more
than two readers per shard can result in throttling." The API reference of LimitExceededException
says the same: "More than 2 processes are reading from the same streams shard at the same time.
Exceeding this limit may result in request throttling."

Every Lambda event source mapping on the stream is one reader of every shard, this module's
subscriber included. A throttled subscriber falls behind; records older than the stream's 24 hours
are gone before it buffers them, and the restore's coverage breaks.
"""

from __future__ import annotations

from typing import Any

from pitrctl.preflight import Finding

MAX_READERS_PER_SHARD = 2
# Mappings in these states poll (or are about to); Disabled ones do not read.
_READING = {"Creating", "Enabling", "Enabled", "Updating"}


def stream_arn(description: dict[str, Any]) -> str | None:
    """The source's current stream (DescribeTable ``Table``), None when streams are off."""
    spec = description.get("StreamSpecification") or {}
    return description.get("LatestStreamArn") if spec.get("StreamEnabled") else None


def readers(mappings: list[dict[str, Any]]) -> list[str]:
    """The functions of the mappings that read the stream (ListEventSourceMappings entries)."""
    return sorted(
        m.get("FunctionArn", "?").rsplit(":", 1)[-1]
        for m in mappings
        if m.get("State", "Enabled") in _READING
    )


def check(mappings: list[dict[str, Any]]) -> Finding:
    """A warning (still ok: the restore can go on) when more than two mappings read the stream."""
    names = readers(mappings)
    if len(names) <= MAX_READERS_PER_SHARD:
        return Finding(
            "stream readers",
            True,
            f"{len(names)} of {MAX_READERS_PER_SHARD} reader slots per shard in use ({', '.join(names)})",
        )
    return Finding(
        "stream readers",
        True,
        f"WARNING: {len(names)} Lambda mappings read the source stream ({', '.join(names)}); DynamoDB "
        f"Streams serves {MAX_READERS_PER_SHARD} readers per shard: reads get throttled, the buffer "
        "falls behind, and records older than 24 hours are lost before they are buffered",
        "fan out through one reader: disable the extra mappings, or move their consumers behind a "
        "Kinesis Data Streams destination or EventBridge Pipes fed by one mapping",
    )


def list_mappings(lambda_client: Any, arn: str) -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate(EventSourceArn=arn):
        mappings.extend(page.get("EventSourceMappings", []))
    return mappings


def finding(aws: Any, description: dict[str, Any]) -> Finding:
    arn = stream_arn(description)
    if arn is None:
        return Finding(
            "stream readers",
            False,
            "the source table has no stream",
            "enable its stream (NEW_AND_OLD_IMAGES)",
        )
    return check(list_mappings(aws("lambda"), arn))
