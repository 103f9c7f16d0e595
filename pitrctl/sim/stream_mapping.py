"""Drive a moto DynamoDB stream into a stream handler the way Lambda's stream poller does.

moto wipes a table's stream when a Lambda event source mapping exists on it (see
``shared/notes/moto.md``), so tests and ``pitrctl rehearse`` never create that mapping: they call
:meth:`StreamDriver.collect` after writing to the source table and :meth:`StreamDriver.deliver` to
run the handler.

What it models of Lambda's DynamoDB stream event source mapping (one shard, as in moto):

* records reach the handler in stream order, in batches of at most ``batch_size``, in the event
  format Lambda uses (binary values base64, ``ApproximateCreationDateTime`` in epoch seconds rounded
  down to the second, ``eventSourceARN``);
* ReportBatchItemFailures: a response naming a record's ``SequenceNumber`` checkpoints before it and
  retries from it (the rest of that batch); an empty list checkpoints the whole batch; an
  ``itemIdentifier`` that is not in the batch fails the whole batch, as on AWS;
* a raised exception retries the same batch, or with ``bisect=True`` (BisectBatchOnFunctionError)
  its first half, down to one record (the module runs the mapping without bisection: see
  ``cdc_subscriber``; ``bisect=True`` exists to show why);
* ``maximum_attempts`` bounds retries of one record (the real mapping retries until the record
  leaves the stream); exceeding it raises :class:`StreamStuckError` instead of hanging the test.

Usage::

    driver = StreamDriver(streams_client, stream_arn)
    ...write to the source table...
    driver.collect()                     # read new stream records (optionally stamp a synthetic time)
    driver.deliver(subscriber.handler)   # run the handler until everything collected is checkpointed
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pitr.codec import to_event_image

Handler = Callable[[Mapping[str, Any], Any], Any]


class StreamStuckError(RuntimeError):
    """A record kept failing: on AWS it would retry until it left the stream (24 h)."""


@dataclass
class DeliveryStats:
    invocations: int = 0
    records_delivered: int = 0
    partial_failures: int = 0
    errors: int = 0
    duplicate_invocations: int = 0


def to_event_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A boto3 ``get_records`` record in the form Lambda passes to the function."""
    data = dict(record["dynamodb"])
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        created = created.timestamp()
    if created is not None:
        data["ApproximateCreationDateTime"] = float(math.floor(created))  # AWS: rounded down to the second
    for image in ("Keys", "NewImage", "OldImage"):
        if image in data:
            data[image] = to_event_image(data[image])
    out = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": data,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        out["userIdentity"] = dict(record["userIdentity"])
    return out


class StreamDriver:
    """Reads one moto stream and delivers its records to a stream handler."""

    def __init__(self, streams: Any, stream_arn: str, region: str = "eu-west-1") -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.region = region
        self.pending: list[dict[str, Any]] = []
        self._iterators: dict[str, str | None] = {}
        self.stats = DeliveryStats()
        self.late: list[list[dict[str, Any]]] = []  # checkpointed batches to deliver again later

    # -- reading -------------------------------------------------------------------------------

    def collect(self, at: float | None = None, user_identity: Mapping[str, str] | None = None) -> int:
        """Read every new stream record into the pending list; returns how many were read.

        ``at`` stamps the new records' ``ApproximateCreationDateTime`` (epoch seconds, rounded down)
        so tests control stream time; ``user_identity`` marks them (e.g. TTL deletes:
        ``{"type": "Service", "principalId": "dynamodb.amazonaws.com"}``, which moto never sets).
        """
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        count = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard_id]
            while iterator:
                response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records = response.get("Records", [])
                iterator = response.get("NextShardIterator")
                for record in records:
                    event = to_event_record(record, self.stream_arn, self.region)
                    if at is not None:
                        event["dynamodb"]["ApproximateCreationDateTime"] = float(math.floor(at))
                    if user_identity is not None:
                        event["userIdentity"] = dict(user_identity)
                    self.pending.append(event)
                count += len(records)
                if not records:
                    break
            self._iterators[shard_id] = iterator
        return count

    # -- delivering ----------------------------------------------------------------------------

    def deliver(
        self,
        handler: Handler,
        batch_size: int = 100,
        maximum_attempts: int = 50,
        *,
        duplicate: Callable[[], bool] | None = None,
        bisect: bool = False,
        late_duplicate: Callable[[], bool] | None = None,
        before_late: Callable[[], None] | None = None,
    ) -> DeliveryStats:
        """Invoke ``handler`` until every pending record is checkpointed.

        ``duplicate`` (fault injection): when it returns True after a fully successful invocation,
        the same batch is delivered once more, as Lambda's at-least-once delivery may do.
        ``late_duplicate`` (``faults.LateDuplicateStreamBatch``): when it returns True after a fully
        successful invocation, the batch is kept and delivered again at the start of the next
        ``deliver`` call, after every newer batch of this one; ``before_late`` runs before each such
        copy (e.g. to let the deduplication interval pass: ``faults.DeduplicationInterval``).
        """
        for batch in self.late:
            if before_late is not None:
                before_late()
            self.stats.duplicate_invocations += 1
            try:
                handler({"Records": copy.deepcopy(batch)}, None)
            except Exception:  # already checkpointed: a failed copy changes nothing
                self.stats.errors += 1
        self.late = []
        attempts: dict[str, int] = {}
        retry: list[dict[str, Any]] | None = None
        while retry or self.pending:
            batch = retry if retry else self.pending[:batch_size]
            first = batch[0]["dynamodb"]["SequenceNumber"]
            attempts[first] = attempts.get(first, 0) + 1
            if attempts[first] > maximum_attempts:
                raise StreamStuckError(
                    f"record {first} failed {maximum_attempts} times; on AWS the mapping would keep "
                    "retrying it until it left the stream, then send it to the on-failure destination"
                )
            self.stats.invocations += 1
            self.stats.records_delivered += len(batch)
            try:
                response = handler({"Records": copy.deepcopy(batch)}, None)
            except Exception:  # any function error: retry the batch (or its first half)
                self.stats.errors += 1
                retry = batch[: max(1, len(batch) // 2)] if bisect else batch
                continue
            failed_at = self._failure_index(batch, response)
            done = len(batch) if failed_at is None else failed_at
            if failed_at is not None:
                self.stats.partial_failures += 1
            elif late_duplicate is not None and late_duplicate():
                self.late.append(copy.deepcopy(batch))
            elif duplicate is not None and duplicate():
                self.stats.duplicate_invocations += 1
                try:
                    handler({"Records": copy.deepcopy(batch)}, None)
                except Exception:  # the batch is already checkpointed; a failed copy changes nothing
                    self.stats.errors += 1
            # Checkpoint: drop what succeeded from the head of the pending list.
            del self.pending[:done]
            retry = batch[done:] if failed_at is not None else None
        return self.stats

    @staticmethod
    def _failure_index(batch: list[dict[str, Any]], response: Any) -> int | None:
        failures = (response or {}).get("batchItemFailures") or []
        if not failures:
            return None
        sequence = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
        indices = [sequence.get(f.get("itemIdentifier"), -1) for f in failures]
        if any(i < 0 for i in indices):
            return 0  # AWS: an unknown identifier fails the whole batch
        return min(indices)
