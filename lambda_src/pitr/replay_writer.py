"""Buffer -> restored table: apply buffered changes in order (DESIGN 3.1, 3.2).

Per batch from the FIFO replay mapping (at most 10 messages, in order within each message group):

1. read the restore record (cached per container, short TTL): the target table and the replay
   start. No record (no restore active), no replay start yet, or a target that is the source or does
   not match ``TARGET_TABLE_NAME_PATTERN``: a clear error, and the batch stays in the buffer;
2. decode each message; changes older than the replay start are skipped and counted. The boundary
   is inclusive and compared at the stream's resolution: stream times are rounded down to the second,
   so a change is stale only when its time is before the replay start rounded down (minus the
   optional ``REPLAY_START_MARGIN_SECONDS``). Re-applying a full image is harmless, missing one is not;
3. per item, only the newest change of the batch (in queue order) is written: a put of its full new
   image, or a delete by key (also deletes made by DynamoDB's time to live, so the target matches the
   source even where its own TTL would act later or not at all);
4. ``BatchWriteItem`` in requests of at most 25, retrying throttling and ``UnprocessedItems`` with
   capped exponential backoff and full jitter while the invocation has time;
5. a message that cannot be applied is reported failed together with every later message of its
   group (earlier ones are superseded by it: it carries the item's full newer state). When nothing
   in the batch succeeded the handler raises instead, so the function's Errors metric (and alarm)
   shows it and the poller backs off.

Environment: ``RESTORE_RECORD_PARAMETER``, ``SOURCE_TABLE_NAME``, ``TARGET_TABLE_NAME_PATTERN``,
optional ``RECORD_CACHE_SECONDS`` (default 10), ``REPLAY_START_MARGIN_SECONDS``
(default 0).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pitr import clients, environment, logs, metrics, restore_record
from pitr.backoff import Backoff
from pitr.codec import DELETE, Change, CodecError, SpillPointer, decode, decode_spilled, to_client_image
from pitr.patterns import check_target

MAX_WRITES = 25  # BatchWriteItem limit
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)


class ReplayError(RuntimeError):
    """Replay cannot run; the message says what to do. The batch stays in the buffer."""


@dataclass(frozen=True)
class Message:
    """One SQS message of the replay mapping's event, in delivery order."""

    message_id: str
    group_id: str
    body: str

    @classmethod
    def from_event(cls, record: Mapping[str, Any]) -> Message:
        attributes = record.get("attributes") or {}
        return cls(
            message_id=record["messageId"],
            group_id=attributes.get("MessageGroupId", ""),
            body=record.get("body", ""),
        )


@dataclass
class Report:
    """What one invocation did."""

    failed_ids: list[str] = field(default_factory=list)
    replayed: int = 0
    skipped: int = 0
    coalesced: int = 0
    duplicates: int = 0
    ttl_deletes: int = 0
    write_calls: int = 0
    lag_seconds: float | None = None

    @property
    def response(self) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": m} for m in self.failed_ids]}


# ---------------------------------------------------------------------------------------------
# Pure logic
# ---------------------------------------------------------------------------------------------


def stale_before(replay_start: float, margin_seconds: float = 0.0) -> float:
    """Changes with a stream time below this are older than the replay start.

    Stream times are rounded down to the second, so a change made at or after the replay start has a
    time >= floor(replay start): anything from that second on is replayed.
    """
    return math.floor(replay_start) - margin_seconds


def by_group(messages: Sequence[Message]) -> dict[str, list[int]]:
    """Message indices per group, in delivery order."""
    groups: dict[str, list[int]] = {}
    for index, message in enumerate(messages):
        groups.setdefault(message.group_id, []).append(index)
    return groups


def write_request(change: Change) -> dict[str, Any]:
    """The ``BatchWriteItem`` request that makes the target hold what the change left in the source."""
    if change.op == DELETE:
        return {"DeleteRequest": {"Key": to_client_image(change.key)}}
    assert change.item is not None  # decode() refuses puts without an item
    return {"PutRequest": {"Item": to_client_image(change.item)}}


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# ---------------------------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """Per group: the change to write, the message it came from, the messages failed before writing."""

    group: str
    change: Change | SpillPointer | None = None
    change_index: int | None = None
    failed_from: int | None = None  # index into the group's message list


@dataclass
class ReplayWriter:
    """Applies buffered changes to the target table of the active restore."""

    dynamodb: Any
    s3: Any
    records: Callable[[], restore_record.RestoreRecord | None]
    source_table: str
    target_pattern: str
    record_parameter: str = ""
    margin_seconds: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.05, cap=2.0))
    max_attempts: int = 10
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rand: Callable[[], float] = random.random
    emit: Callable[..., Any] = metrics.emit

    # -- restore record ------------------------------------------------------------------------

    def _target_and_start(self) -> tuple[str, float]:
        record = self.records()
        if record is None:
            raise ReplayError(
                f"no restore is active: the restore record {self.record_parameter or '(parameter)'} is "
                "absent. Replay runs only during a restore; the messages stay in the buffer. If no "
                "restore is in flight, disable the replay mapping (pitrctl abort)."
            )
        if record.replay_start_epoch is None:
            raise ReplayError(
                f"restore {record.restore_id} has no replay_start yet (status {record.status}): the "
                "workflow sets it before enabling replay. The messages stay in the buffer; if the "
                "replay mapping was enabled by hand, disable it until the workflow enables it."
            )
        check_target(self.source_table, record.target_table, self.target_pattern)
        return record.target_table, record.replay_start_epoch

    # -- planning ------------------------------------------------------------------------------

    def _plan_group(
        self, group: str, indices: Sequence[int], messages: Sequence[Message], stale: float, report: Report
    ) -> _Plan:
        plan = _Plan(group)
        seen: set[str] = set()
        for position, index in enumerate(indices):
            try:
                decoded = decode(messages[index].body)
            except CodecError as exc:
                logs.error(
                    "message cannot be decoded; it and the later messages of its group stay in the buffer",
                    message_id=messages[index].message_id,
                    error=str(exc),
                )
                plan.failed_from = position
                break
            change = decoded.change if isinstance(decoded, SpillPointer) else decoded
            if change.group_id != group:
                # A message group is one item (codec.group_id); anything else is not ours to coalesce.
                logs.error(
                    "message does not belong to its group; it and the later messages of the group stay "
                    "in the buffer",
                    message_id=messages[index].message_id,
                    group=group,
                )
                plan.failed_from = position
                break
            if change.event_id in seen:
                report.duplicates += 1
            seen.add(change.event_id)
            if change.time < stale:
                report.skipped += 1
                continue
            if plan.change is not None:
                report.coalesced += 1
            plan.change, plan.change_index = decoded, position
        return plan

    def _resolve(self, plan: _Plan, messages: Sequence[Message], indices: Sequence[int]) -> Change | None:
        """The plan's full change, reading a spilled image from S3; None (plan failed) on error."""
        if isinstance(plan.change, SpillPointer):
            pointer = plan.change
            try:
                blob = self.s3.get_object(Bucket=pointer.bucket, Key=pointer.key)["Body"].read()
                return decode_spilled(pointer, blob)
            except (ClientError, BotoCoreError, CodecError) as exc:
                logs.error(
                    "spilled change cannot be read",
                    message_id=messages[indices[plan.change_index or 0]].message_id,
                    bucket=pointer.bucket,
                    key=pointer.key,
                    error=str(exc),
                )
                return None
        return plan.change

    # -- writing -------------------------------------------------------------------------------

    def _write(
        self, target: str, requests: list[tuple[str, dict[str, Any]]], deadline: float, report: Report
    ) -> set[str]:
        """Write (group, request) pairs; returns the groups whose write did not succeed."""
        failed: set[str] = set()
        for chunk in chunks(requests, MAX_WRITES):
            pending = chunk
            attempt = 0
            while pending:
                try:
                    report.write_calls += 1
                    response = self.dynamodb.batch_write_item(
                        RequestItems={target: [request for _, request in pending]}
                    )
                    unprocessed = response.get("UnprocessedItems", {}).get(target, [])
                    matched = [pair for pair in pending if pair[1] in unprocessed]
                    # Should AWS ever hand back a request in another form than sent, retry all of
                    # them: re-writing the newest image of an item is harmless, dropping one is not.
                    pending = matched if len(matched) == len(unprocessed) else pending
                    error = "UnprocessedItems"
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code", "")
                    if code not in RETRYABLE_CODES:
                        logs.error("batch_write_item failed", target_table=target, code=code, error=str(exc))
                        failed |= {group for group, _ in pending}
                        break
                    error = code
                if not pending:
                    break
                attempt += 1
                delay = self.backoff.delay(attempt - 1, self.rand)
                if attempt >= self.max_attempts or self.clock() + delay > deadline:
                    logs.warning(
                        "writes still throttled or unprocessed; returning them to the buffer",
                        target_table=target,
                        pending=len(pending),
                        attempts=attempt,
                        last_error=error,
                    )
                    failed |= {group for group, _ in pending}
                    break
                self.sleep(delay)
        return failed

    # -- one invocation ------------------------------------------------------------------------

    def process(self, event_records: Sequence[Mapping[str, Any]], deadline: float | None = None) -> Report:
        messages = [Message.from_event(record) for record in event_records]
        report = Report()
        if not messages:
            return report
        target, replay_start = self._target_and_start()
        stale = stale_before(replay_start, self.margin_seconds)
        deadline = self.clock() + 60.0 if deadline is None else deadline

        groups = by_group(messages)
        plans = {g: self._plan_group(g, idx, messages, stale, report) for g, idx in groups.items()}
        requests: list[tuple[str, dict[str, Any]]] = []
        changes: dict[str, Change] = {}
        for group, plan in plans.items():
            if plan.change is None:
                continue
            change = self._resolve(plan, messages, groups[group])
            if change is None:
                plan.failed_from = plan.change_index
                continue
            changes[group] = change
            requests.append((group, write_request(change)))

        for group in self._write(target, requests, deadline, report):
            plans[group].failed_from = plans[group].change_index

        now = self.clock()
        for group, plan in plans.items():
            indices = groups[group]
            if plan.failed_from is not None:
                report.failed_ids += [messages[i].message_id for i in indices[plan.failed_from :]]
            elif group in changes:
                change = changes[group]
                report.replayed += 1
                report.ttl_deletes += int(change.ttl)
                lag = max(0.0, now - change.time)
                report.lag_seconds = lag if report.lag_seconds is None else max(report.lag_seconds, lag)

        self._emit(target, report)
        if report.failed_ids and len(report.failed_ids) == len(messages):
            raise ReplayError(
                f"no message of this batch could be applied to {target} "
                f"({len(messages)} messages; see the error logs above). They stay in the buffer and "
                "are retried; messages that keep failing go to the dead-letter queue (alarm)."
            )
        return report

    def _emit(self, target: str, report: Report) -> None:
        values: dict[str, tuple[float, str]] = {
            "ReplayedChanges": (report.replayed, metrics.COUNT),
            "SkippedChanges": (report.skipped, metrics.COUNT),
            "CoalescedChanges": (report.coalesced, metrics.COUNT),
            "DuplicateChanges": (report.duplicates, metrics.COUNT),
            "FailedChanges": (len(report.failed_ids), metrics.COUNT),
        }
        if report.lag_seconds is not None:
            values["ReplayLagSeconds"] = (report.lag_seconds, metrics.SECONDS)
        self.emit(
            self.source_table,
            values,
            {"TargetTable": target, "WriteCalls": report.write_calls, "TtlDeletes": report.ttl_deletes},
        )


# ---------------------------------------------------------------------------------------------
# Lambda wiring
# ---------------------------------------------------------------------------------------------

_cache: restore_record.RecordCache | None = None


def _env(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise ReplayError(f"replay_writer needs the environment variable {name}")
    return value


def from_env(environ: Mapping[str, str] | None = None) -> ReplayWriter:
    """The writer configured from the environment; the record cache lives as long as the container."""
    global _cache  # noqa: PLW0603 - per-container cache (DESIGN 4: SSM GetParameter is rate limited)
    env = environment.of("pitr.replay_writer.handler", environ)
    parameter = _env(env, "RESTORE_RECORD_PARAMETER")
    if _cache is None:
        ssm = clients.client("ssm")
        _cache = restore_record.RecordCache(
            lambda: restore_record.load(ssm, parameter),
            ttl_seconds=float(env.get("RECORD_CACHE_SECONDS", "10")),
        )
    return ReplayWriter(
        dynamodb=clients.client("dynamodb"),
        s3=clients.client("s3"),
        records=_cache.get,
        source_table=_env(env, "SOURCE_TABLE_NAME"),
        target_pattern=_env(env, "TARGET_TABLE_NAME_PATTERN"),
        record_parameter=parameter,
        margin_seconds=float(env.get("REPLAY_START_MARGIN_SECONDS", "0")),
    )


def reset_cache() -> None:
    """Forget the cached restore record (tests; a new restore in the same process)."""
    global _cache  # noqa: PLW0603
    _cache = None


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point for the buffer's event source mapping (ReportBatchItemFailures on)."""
    writer = from_env()
    deadline = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        # Stop retrying with 10 s to spare, so failures are reported rather than lost to a timeout.
        deadline = writer.clock() + context.get_remaining_time_in_millis() / 1000.0 - 10.0
    report = writer.process(event.get("Records", []), deadline)
    if report.failed_ids:
        logs.warning("messages returned to the buffer", count=len(report.failed_ids))
    return report.response
