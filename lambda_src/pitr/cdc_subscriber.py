"""Stream -> buffer: copy every change of the source table into the SQS FIFO buffer, in order.

Per stream batch (DESIGN 3.1):

1. each record becomes a change (:mod:`pitr.codec`); changes are coalesced per item to the item's
   newest, so one ``SendMessageBatch`` never holds two entries of one message group (two entries of
   one item could reorder: older fails, newer succeeds, the retried newer is dropped as a duplicate
   and the older ends last);
2. the surviving changes are packed in stream order into requests of at most 10 entries and 1 MiB;
3. requests are sent in stream order; at the first failed entry sending stops, and the batch item
   failure is reported at the earliest record whose change is not in the buffer, counting a record
   coalesced into a newer one that was not sent as not sent. The stream mapping retries from there.

Failures are reported, never raised (a record that cannot be read or encoded cuts the batch before
its item's first record). A function error makes the mapping retry the batch, and with bisection
only a part of it: an item's older record could then reach the buffer after its newer one, which an
earlier attempt had sent. The mapping therefore runs without bisection (see modules/cdc_buffer).

Environment: ``BUFFER_QUEUE_URL``, ``SPILL_BUCKET``, ``SOURCE_TABLE_NAME``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pitr import clients, environment, logs, metrics
from pitr.codec import BATCH_BYTES_LIMIT, BODY_LIMIT, Change, CodecError, encode, from_stream_record

MAX_ENTRIES = 10  # SendMessageBatch limit


@dataclass(frozen=True)
class Entry:
    """One message to send: the change of record ``index`` (the item's newest in the batch)."""

    index: int
    group_id: str
    dedup_id: str
    body: str

    @property
    def size(self) -> int:
        return len(self.body)  # bodies are ASCII: characters == bytes


# ---------------------------------------------------------------------------------------------
# Pure logic
# ---------------------------------------------------------------------------------------------


def newest_per_item(item_keys: Sequence[str]) -> list[int]:
    """Indices of each item's last record, in stream order (the coalesced batch)."""
    last: dict[str, int] = {}
    for index, key in enumerate(item_keys):
        last[key] = index
    return sorted(last.values())


def pack(
    entries: Sequence[Entry], max_entries: int = MAX_ENTRIES, max_bytes: int = BATCH_BYTES_LIMIT
) -> list[list[Entry]]:
    """Consecutive requests in stream order: <= ``max_entries``, <= ``max_bytes``, one entry per group."""
    batches: list[list[Entry]] = []
    current: list[Entry] = []
    size = 0
    groups: set[str] = set()
    for entry in entries:
        if current and (
            len(current) >= max_entries or size + entry.size > max_bytes or entry.group_id in groups
        ):
            batches.append(current)
            current, size, groups = [], 0, set()
        current.append(entry)
        size += entry.size
        groups.add(entry.group_id)
    if current:
        batches.append(current)
    return batches


def earliest_unsent(item_keys: Sequence[str], sent: set[int]) -> int | None:
    """Index of the first record whose item's newest change (the one sent for it) is not sent.

    A record coalesced into a newer record that did not reach the buffer is itself not in the buffer:
    the stream must deliver it again, so the retry starts at the earliest such record.
    """
    last: dict[str, int] = {}
    for index, key in enumerate(item_keys):
        last[key] = index
    for index, key in enumerate(item_keys):
        if last[key] not in sent:
            return index
    return None


# ---------------------------------------------------------------------------------------------
# Handler
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one invocation did: the response for Lambda plus counts for metrics and tests."""

    failure_index: int | None
    sent: int = 0
    spilled: int = 0
    coalesced: int = 0
    failed_entries: int = 0
    requests: int = 0
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class Subscriber:
    """Sends the changes of stream batches to the buffer."""

    sqs: Any
    s3: Any
    queue_url: str
    spill_bucket: str | None
    source_table: str
    body_limit: int = BODY_LIMIT
    batch_bytes: int = BATCH_BYTES_LIMIT
    max_entries: int = MAX_ENTRIES
    emit: Callable[..., Any] = metrics.emit
    clock: Callable[[], float] = time.time

    def _encode(
        self, changes: Sequence[Change], indices: Sequence[int]
    ) -> tuple[list[Entry], int, int | None]:
        """Entries for the records at ``indices``; stops at the first change that cannot be encoded
        or spilled and returns its index as the third value (None when all were encoded)."""
        entries: list[Entry] = []
        spilled = 0
        for index in indices:
            change = changes[index]
            try:
                encoded = encode(change, self.spill_bucket, self.body_limit)
                if encoded.spill is not None:
                    # Before the message: a pointer must never reach the buffer without its object.
                    # No SSE arguments: the bucket's default encryption (its KMS key if any) applies.
                    key, blob = encoded.spill
                    self.s3.put_object(Bucket=self.spill_bucket, Key=key, Body=blob)
                    spilled += 1
            except (CodecError, ClientError, BotoCoreError) as exc:
                logs.error("change cannot be buffered", event_id=change.event_id, error=str(exc))
                return entries, spilled, index
            entries.append(Entry(index, change.group_id, change.event_id, encoded.body))
        return entries, spilled, None

    def _prepare(self, records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[Entry], int, int]:
        """Coalesced, encoded entries for the longest prefix of ``records`` that can be buffered.

        A record that cannot be read or encoded cuts the batch before the item's first record: the
        prefix is coalesced on its own, so every item still reaches the buffer oldest first, and the
        stream mapping retries from the cut (until the record expires, then the failure destination).
        Returns (item keys of the prefix, entries, spilled count, prefix length).
        """
        limit = len(records)
        changes: list[Change] = []
        for index, record in enumerate(records):
            try:
                changes.append(from_stream_record(record))
            except CodecError as exc:
                logs.error("stream record cannot be read", index=index, error=str(exc))
                limit = index
                break
        while True:
            item_keys = [change.item_key for change in changes[:limit]]
            entries, spilled, bad = self._encode(changes, newest_per_item(item_keys))
            if bad is None:
                return item_keys, entries, spilled, limit
            limit = item_keys.index(item_keys[bad])  # the failing item's first record

    def _send(self, batch: Sequence[Entry]) -> tuple[set[int], list[dict[str, Any]]]:
        response = self.sqs.send_message_batch(
            QueueUrl=self.queue_url,
            Entries=[
                {
                    "Id": str(entry.index),
                    "MessageBody": entry.body,
                    "MessageGroupId": entry.group_id,
                    "MessageDeduplicationId": entry.dedup_id,
                }
                for entry in batch
            ],
        )
        ok = {int(item["Id"]) for item in response.get("Successful", [])}
        return ok, list(response.get("Failed", []))

    def process(self, records: Sequence[Mapping[str, Any]], deadline: float | None = None) -> Outcome:
        """Buffer a stream batch; never raises for a record or a send that fails, it reports them.

        Raising would make the stream mapping retry the batch, and with bisection a *part* of it:
        an item's older record could then be buffered after its newer one, sent by an earlier attempt.
        Reported failures are retried from the checkpoint with every later record of the batch, so
        coalescing picks the same (or a newer) record per item.
        """
        item_keys, entries, spilled, limit = self._prepare(records)
        outcome = Outcome(failure_index=None, spilled=spilled, coalesced=len(item_keys) - len(entries))

        sent: set[int] = set()
        for batch in pack(entries, self.max_entries, self.batch_bytes):
            if deadline is not None and self.clock() > deadline:
                logs.warning("close to the function timeout; reporting the unsent records")
                break
            outcome.requests += 1
            try:
                ok, failed = self._send(batch)
            except (ClientError, BotoCoreError) as exc:
                logs.error("send_message_batch failed; reporting the unsent records", error=str(exc))
                failed = [
                    {"Id": str(entry.index), "Code": "Exception", "Message": str(exc)} for entry in batch
                ]
                ok = set()
            sent |= ok
            if failed:
                outcome.failed_entries += len(failed)
                logs.warning(
                    "buffer refused entries; stopping this batch",
                    failed=[{k: f.get(k) for k in ("Id", "Code", "Message", "SenderFault")} for f in failed],
                )
                break

        outcome.sent = len(sent)
        outcome.failure_index = earliest_unsent(item_keys, sent)
        if outcome.failure_index is None and limit < len(records):
            outcome.failure_index = limit
        if outcome.failure_index is not None:
            seq = records[outcome.failure_index]["dynamodb"]["SequenceNumber"]
            outcome.response = {"batchItemFailures": [{"itemIdentifier": seq}]}
        else:
            outcome.response = {"batchItemFailures": []}
        self.emit(
            self.source_table,
            {
                "BufferedChanges": (outcome.sent, metrics.COUNT),
                "SpilledChanges": (outcome.spilled, metrics.COUNT),
                "CoalescedChanges": (outcome.coalesced, metrics.COUNT),
                "FailedSends": (outcome.failed_entries, metrics.COUNT),
            },
            {"records": len(records), "requests": outcome.requests},
        )
        return outcome


def from_env(environ: Mapping[str, str] | None = None) -> Subscriber:
    env = environment.of("pitr.cdc_subscriber.handler", environ)
    try:
        queue_url = env["BUFFER_QUEUE_URL"]
        source_table = env["SOURCE_TABLE_NAME"]
    except KeyError as exc:
        raise RuntimeError(f"cdc_subscriber needs the environment variable {exc.args[0]}") from exc
    return Subscriber(
        sqs=clients.client("sqs"),
        s3=clients.client("s3"),
        queue_url=queue_url,
        spill_bucket=env.get("SPILL_BUCKET") or None,
        source_table=source_table,
    )


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point for the stream event source mapping (ReportBatchItemFailures on)."""
    subscriber = from_env()
    deadline = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        # Start no request in the last 5 s: report the rest rather than time out (a function error).
        deadline = subscriber.clock() + context.get_remaining_time_in_millis() / 1000.0 - 5.0
    return subscriber.process(event.get("Records", []), deadline).response
