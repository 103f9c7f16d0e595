"""Stream -> buffer: copy every change of the source table into the SQS FIFO buffer, in order.

Per stream batch (docs/design.md#nothing-lost-order-per-item):

1. each record becomes a change (:mod:`pitr.codec`); changes are coalesced per item to the item's
   newest, so one ``SendMessageBatch`` never holds two entries of one message group (two entries of
   one item could reorder: older fails, newer succeeds, the retried newer is dropped as a duplicate
   and the older ends last);
2. the surviving changes are packed in stream order into requests of at most 10 entries and 1 MiB;
3. requests are sent in stream order; entries the buffer refuses (``Failed``) or that a failed call
   did not send are sent again, alone, after a capped exponential backoff with full jitter, for at
   most ``max_rounds`` rounds while the invocation has time. A sustained share of refusals (say 20%)
   thus still completes the batch: each round leaves about that share of the previous round's
   entries, so a 100-record batch is through in a few rounds (tests/unit/test_cdc_subscriber.py).
   Resending an entry alone is safe: there is one entry per item, and the replay writer's ordering
   guard (docs/ordering.md) keeps every item's newest change whatever order its messages arrive in;
4. only what is still unsent after that is reported: the batch item failure at the earliest record
   whose change is not in the buffer, counting a record coalesced into a newer one that was not sent
   as not sent. The stream mapping retries from there.

Every AWS call is bounded: the clients make one attempt (no botocore retries: this loop is the only
retry policy) with connect and read timeouts, and no call starts unless it can end before the
invocation's deadline (``call_seconds``).

Failures are reported, never raised (a record that cannot be read or encoded cuts the batch before
its item's first record). A function error makes the mapping retry the batch, and with bisection
only a part of it: an item's older record could then reach the buffer after its newer one, which an
earlier attempt had sent. The mapping therefore runs without bisection (see modules/cdc_buffer).

Environment: ``BUFFER_QUEUE_URL``, ``SPILL_BUCKET``, ``SOURCE_TABLE_NAME``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pitr import clients, environment, logs, metrics
from pitr.backoff import Backoff
from pitr.codec import BATCH_BYTES_LIMIT, BODY_LIMIT, Change, CodecError, encode, from_stream_record

MAX_ENTRIES = 10  # SendMessageBatch limit


@dataclass(frozen=True)
class SubscriberConfig(environment.Configuration):
    """The subscriber's environment: a field per variable of its contract (:mod:`pitr.environment`)."""

    handler = "pitr.cdc_subscriber.handler"

    buffer_queue_url: str
    spill_bucket: str
    source_table_name: str


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
    rounds: int = 0
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
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.05, cap=1.0))
    max_rounds: int = 8
    # Longest one AWS call can take (connect + read timeouts, one attempt): see clients.bounded.
    call_seconds: float = 0.0

    def _has_time(self, deadline: float | None, wait: float = 0.0) -> bool:
        return deadline is None or self.clock() + wait + self.call_seconds <= deadline

    def _encode(
        self, changes: Sequence[Change], indices: Sequence[int], deadline: float | None = None
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
                    if not self._has_time(deadline):
                        raise CodecError("no time left to spill the change before the deadline")
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

    def _prepare(
        self, records: Sequence[Mapping[str, Any]], deadline: float | None = None
    ) -> tuple[list[str], list[Entry], int, int]:
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
            entries, spilled, bad = self._encode(changes, newest_per_item(item_keys), deadline)
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

    def _round(self, pending: Sequence[Entry], deadline: float | None, outcome: Outcome) -> list[Entry]:
        """Send ``pending`` once, in stream order; returns the entries not sent (refused, or left
        for lack of time)."""
        unsent: list[Entry] = []
        batches = pack(pending, self.max_entries, self.batch_bytes)
        for number, batch in enumerate(batches):
            if not self._has_time(deadline):
                logs.warning("close to the function timeout; reporting the unsent records")
                return unsent + [entry for later in batches[number:] for entry in later]
            outcome.requests += 1
            try:
                ok, failed = self._send(batch)
            except (ClientError, BotoCoreError) as exc:
                logs.warning("send_message_batch failed; its entries are retried", error=str(exc))
                failed = [
                    {"Id": str(entry.index), "Code": "Exception", "Message": str(exc)} for entry in batch
                ]
                ok = set()
            if failed:
                outcome.failed_entries += len(failed)
                logs.warning(
                    "buffer refused entries; they are retried",
                    failed=[{k: f.get(k) for k in ("Id", "Code", "Message", "SenderFault")} for f in failed],
                )
            # An entry neither in Successful nor in Failed was not confirmed: send it again (the
            # deduplication id makes a second copy harmless).
            unsent += [entry for entry in batch if entry.index not in ok]
        return unsent

    def process(self, records: Sequence[Mapping[str, Any]], deadline: float | None = None) -> Outcome:
        """Buffer a stream batch; never raises for a record or a send that fails, it reports them.

        Raising would make the stream mapping retry the batch, and with bisection a *part* of it:
        an item's older record could then be buffered after its newer one, sent by an earlier attempt.
        Reported failures are retried from the checkpoint with every later record of the batch, so
        coalescing picks the same (or a newer) record per item.
        """
        item_keys, entries, spilled, limit = self._prepare(records, deadline)
        outcome = Outcome(failure_index=None, spilled=spilled, coalesced=len(item_keys) - len(entries))

        pending: list[Entry] = list(entries)
        for attempt in range(self.max_rounds):
            pending = self._round(pending, deadline, outcome)
            outcome.rounds = attempt + 1
            if not pending:
                break
            delay = self.backoff.delay(attempt, self.rand)
            if attempt + 1 >= self.max_rounds or not self._has_time(deadline, delay):
                break
            self.sleep(delay)
        unsent = {entry.index for entry in pending}
        sent = {entry.index for entry in entries} - unsent

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
    """The subscriber of this function: its configuration (checked first), then its clients."""
    config = SubscriberConfig.from_env(environ)
    return Subscriber(
        sqs=clients.bounded("sqs"),
        s3=clients.bounded("s3"),
        queue_url=config.buffer_queue_url,
        spill_bucket=config.spill_bucket,
        source_table=config.source_table_name,
        call_seconds=clients.BOUNDED_CALL_SECONDS,
    )


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point for the stream event source mapping (ReportBatchItemFailures on)."""
    subscriber = from_env()
    deadline = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        # Keep 2 s to report; no call starts unless it can end (call_seconds) before the deadline, so
        # the function reports the rest rather than time out (a function error).
        deadline = subscriber.clock() + context.get_remaining_time_in_millis() / 1000.0 - 2.0
    return subscriber.process(event.get("Records", []), deadline).response
