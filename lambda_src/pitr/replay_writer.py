"""Buffer -> restored table: apply buffered changes, each item's newest change winning
(docs/design.md#nothing-lost-order-per-item, docs/design.md#replay-window, docs/ordering.md).

Per batch from the FIFO replay mapping (at most 10 messages, in order within each message group):

1. read the restore record (cached per container, short TTL): the restore id, the target table and
   the replay start. No record (no restore active), no replay start yet, or a target that is the
   source or does not match ``TARGET_TABLE_NAME_PATTERN``: a clear error, and the batch stays in the
   buffer;
2. decode each message; changes older than the replay start are skipped and counted. The boundary
   is inclusive and compared at the stream's resolution: stream times are rounded down to the second,
   so a change is stale only when its time is before the replay start rounded down (minus the
   optional ``REPLAY_START_MARGIN_SECONDS``). Re-applying a full image is harmless, missing one is not;
3. per item (exact identity), only the batch's newest change by stream sequence number is written:
   a put of its full new image, or a delete by key (also deletes made by DynamoDB's time to live, so
   the target matches the source even where its own TTL would act later or not at all);
4. through the ordering guard (:mod:`pitr.guard`): ``TransactWriteItems`` of the target write and a
   conditional write of the item's watermark in the ledger table. A change older than (or the same
   as) what replay already wrote for its item is skipped, whatever order AWS delivers messages in:
   a lost delete, a visibility timeout that ran out under a running invocation, a stream batch sent
   twice, a redriven dead letter. Throttling and transaction conflicts are retried with capped
   exponential backoff and full jitter while the invocation has time (the only retry loop: the
   clients make one attempt per call, bounded by connect and read timeouts);
5. a message that cannot be applied is reported failed together with every later message of its
   group (earlier ones are superseded by it: it carries the item's full newer state). When nothing
   in the batch succeeded the handler raises instead, so the function's Errors metric (and alarm)
   shows it and the poller backs off. A change that cannot be written with its watermark (the ledger
   or the target refuses it) is logged as an error naming both tables and counted in
   ``GuardFailures`` (alarm ``replay-guard-failures``).

Environment: ``RESTORE_RECORD_PARAMETER``, ``SOURCE_TABLE_NAME``, ``TARGET_TABLE_NAME_PATTERN``,
``LEDGER_TABLE``, ``RECORD_CACHE_SECONDS``, ``REPLAY_START_MARGIN_SECONDS`` (all set by Terraform;
``ReplayWriterConfig``).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pitr import clients, environment, guard, logs, metrics, restore_record
from pitr.backoff import Backoff
from pitr.codec import Change, CodecError, SpillPointer, decode, decode_spilled, legacy_group_id
from pitr.patterns import check_target

RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "TransactionInProgressException",
        "TransactionConflictException",
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
    superseded: int = 0
    guard_failures: int = 0
    ttl_deletes: int = 0
    write_calls: int = 0
    lag_seconds: float | None = None
    written: list[Change] = field(default_factory=list)

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


def in_group(group: str, change: Change) -> bool:
    """A message group is one item: its exact group, or the group a version before exact number keys
    gave it (messages buffered before an upgrade; codec.legacy_group_id)."""
    return group in (change.group_id, legacy_group_id(change.key))


# ---------------------------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    """An item's newest change in the batch: where it came from and what it is."""

    group: str
    position: int  # index into the group's message list
    decoded: Change | SpillPointer
    change: Change  # the header (the full change once a spill is resolved)


@dataclass
class ReplayWriter:
    """Applies buffered changes to the target table of the active restore, through the guard."""

    dynamodb: Any
    s3: Any
    records: Callable[[], restore_record.RestoreRecord | None]
    source_table: str
    target_pattern: str
    ledger_table: str
    record_parameter: str = ""
    margin_seconds: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.05, cap=2.0))
    max_attempts: int = 10
    # Longest one AWS call can take (the clients' connect + read timeouts, one attempt): no call
    # starts unless it can end before the deadline.
    call_seconds: float = 0.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rand: Callable[[], float] = random.random
    emit: Callable[..., Any] = metrics.emit

    # -- restore record ------------------------------------------------------------------------

    def _restore(self) -> restore_record.RestoreRecord:
        try:
            record = self.records()
        except (ClientError, BotoCoreError) as exc:
            raise ReplayError(
                f"the restore record {self.record_parameter or '(parameter)'} cannot be read ({exc}); "
                "the messages stay in the buffer and are retried"
            ) from exc
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
        return record

    def _has_time(self, deadline: float, wait: float = 0.0) -> bool:
        return self.clock() + wait + self.call_seconds <= deadline

    # -- planning ------------------------------------------------------------------------------

    def _plan(
        self, messages: Sequence[Message], groups: Mapping[str, Sequence[int]], stale: float, report: Report
    ) -> tuple[dict[str, _Candidate], dict[str, int]]:
        """Per item (exact identity) its newest change of the batch; per group the position from
        which its messages fail (a message that cannot be decoded or is not of its group)."""
        candidates: dict[str, _Candidate] = {}
        failed_from: dict[str, int] = {}
        seen: set[str] = set()
        for group, indices in groups.items():
            for position, index in enumerate(indices):
                try:
                    decoded = decode(messages[index].body)
                    change = decoded.change if isinstance(decoded, SpillPointer) else decoded
                    mark = change.watermark
                except CodecError as exc:
                    logs.error(
                        "message cannot be decoded; it and the later messages of its group stay in the "
                        "buffer",
                        message_id=messages[index].message_id,
                        error=str(exc),
                    )
                    failed_from[group] = position
                    break
                if not in_group(group, change):
                    # A message group is one item (codec.group_id); anything else is not ours to apply.
                    logs.error(
                        "message does not belong to its group; it and the later messages of the group "
                        "stay in the buffer",
                        message_id=messages[index].message_id,
                        group=group,
                    )
                    failed_from[group] = position
                    break
                if change.event_id in seen:
                    report.duplicates += 1
                seen.add(change.event_id)
                if change.time < stale:
                    report.skipped += 1
                    continue
                key = change.item_key
                current = candidates.get(key)
                if current is not None:
                    report.coalesced += 1
                    if current.change.watermark >= mark:
                        continue  # an older (or the same) change delivered after a newer one
                candidates[key] = _Candidate(group, position, decoded, change)
        return candidates, failed_from

    def _resolve(self, candidate: _Candidate, messages: Sequence[Message], deadline: float) -> Change | None:
        """The candidate's full change, reading a spilled image from S3; None on error."""
        if not isinstance(candidate.decoded, SpillPointer):
            return candidate.change
        pointer = candidate.decoded
        if not self._has_time(deadline):
            return None
        try:
            blob = self.s3.get_object(Bucket=pointer.bucket, Key=pointer.key)["Body"].read()
            return decode_spilled(pointer, blob)
        except (ClientError, BotoCoreError, CodecError) as exc:
            logs.error(
                "spilled change cannot be read",
                event_id=pointer.change.event_id,
                bucket=pointer.bucket,
                key=pointer.key,
                error=str(exc),
            )
            return None

    # -- writing through the guard -------------------------------------------------------------

    def _refused(self, target: str, keys: Sequence[str], code: str, error: str, report: Report) -> None:
        report.guard_failures += len(keys)
        logs.error(
            "the ordering guard cannot write these changes with their watermark: the ledger or the "
            "target table refused the transaction. Check that the ledger table exists and the replay "
            "writer's role may write it and the target; the messages stay in the buffer",
            ledger_table=self.ledger_table,
            target_table=target,
            code=code,
            error=error,
            changes=len(keys),
        )

    def _cancelled(
        self,
        target: str,
        pending: list[str],
        exc: ClientError,
        *,
        outcome: tuple[set[str], set[str]],
        report: Report,
    ) -> tuple[list[str], list[str], str]:
        """Sort the changes of a cancelled transaction by their cancellation reasons."""
        stale, failed = outcome
        verdicts = guard.verdicts(exc.response.get("CancellationReasons") or [], len(pending))
        now_keys, later_keys = [], []
        for key, verdict in zip(pending, verdicts, strict=True):
            if verdict.stale:
                stale.add(key)
            elif verdict.failed is not None:
                failed.add(key)
                self._refused(target, [key], "TransactionCanceledException", verdict.failed, report)
            elif verdict.own:
                later_keys.append(key)
            else:
                now_keys.append(key)
        if not later_keys and len(now_keys) == len(pending):
            return [], now_keys, "TransactionCanceledException"  # no reason given: back off with all
        return now_keys, later_keys, "TransactionConflict or throttling"

    def _attempt(
        self,
        target: str,
        restore_id: str,
        pending: list[str],
        changes: Mapping[str, Change],
        *,
        outcome: tuple[set[str], set[str]],
        report: Report,
    ) -> tuple[list[str], list[str], str]:
        """One ``TransactWriteItems`` of ``pending``. Returns (keys to retry at once: cancelled only
        because of others; keys to retry after a backoff; the error behind those). Stale and refused
        keys go to ``outcome`` (stale, failed)."""
        failed = outcome[1]
        now = self.clock()
        actions = []
        for key in pending:
            actions.append(guard.target_action(target, changes[key]))
            actions.append(guard.ledger_action(self.ledger_table, restore_id, changes[key], now))
        report.write_calls += 1
        try:
            self.dynamodb.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in RETRYABLE_CODES:
                return [], pending, code
            if code != "TransactionCanceledException":
                if len(pending) > 1:
                    # A refusal of the whole request (a ValidationException names no action):
                    # try each change alone, so one bad change does not fail the others.
                    return pending, [], "split"
                self._refused(target, pending, code, str(exc), report)
                failed.update(pending)
                return [], [], code
            return self._cancelled(target, pending, exc, outcome=outcome, report=report)
        except BotoCoreError as exc:
            # A timeout leaves the outcome unknown: retrying is safe, a committed change is then
            # refused by its own watermark (stale) and stays written.
            return [], pending, type(exc).__name__
        report.written.extend(changes[k] for k in pending)
        return [], [], ""

    def _write(
        self,
        target: str,
        restore_id: str,
        changes: Mapping[str, Change],
        deadline: float,
        report: Report,
    ) -> tuple[set[str], set[str]]:
        """Apply ``changes`` (item key -> change); returns (stale keys, failed keys)."""
        outcome: tuple[set[str], set[str]] = (set(), set())
        keys = list(changes)
        # Work list of (keys, attempts so far); keys cancelled only because of others go first.
        work = [
            ([keys[i] for i in chunk], 0)
            for chunk in reversed(guard.transactions([changes[k] for k in keys]))
        ]
        while work:
            pending, attempt = work.pop()
            if attempt:
                delay = self.backoff.delay(attempt - 1, self.rand)
                if attempt >= self.max_attempts or not self._has_time(deadline, delay):
                    logs.warning(
                        "writes still throttled or conflicting; returning them to the buffer",
                        target_table=target,
                        pending=len(pending),
                        attempts=attempt,
                    )
                    outcome[1].update(pending)
                    continue
                self.sleep(delay)
            if not self._has_time(deadline):
                logs.warning("no time left for another write; returning changes to the buffer")
                outcome[1].update(pending)
                continue
            now_keys, later_keys, error = self._attempt(
                target, restore_id, pending, changes, outcome=outcome, report=report
            )
            if later_keys:
                work.append((later_keys, attempt + 1))
            if error == "split":
                work.extend(([key], 0) for key in reversed(now_keys))
            elif now_keys:
                work.append((now_keys, 0))
        return outcome

    # -- one invocation ------------------------------------------------------------------------

    def process(self, event_records: Sequence[Mapping[str, Any]], deadline: float | None = None) -> Report:
        messages = [Message.from_event(record) for record in event_records]
        report = Report()
        if not messages:
            return report
        record = self._restore()
        target = record.target_table
        stale_time = stale_before(record.replay_start_epoch or 0.0, self.margin_seconds)
        deadline = self.clock() + 60.0 if deadline is None else deadline

        groups = by_group(messages)
        candidates, failed_from = self._plan(messages, groups, stale_time, report)
        changes: dict[str, Change] = {}
        failed_keys: set[str] = set()
        for key, candidate in candidates.items():
            change = self._resolve(candidate, messages, deadline)
            if change is None:
                failed_keys.add(key)
            else:
                changes[key] = change

        stale, failed = self._write(target, record.restore_id, changes, deadline, report)
        failed_keys |= failed
        report.superseded = len(stale)
        for key in failed_keys:
            group, position = candidates[key].group, candidates[key].position
            failed_from[group] = min(failed_from.get(group, position), position)

        now = self.clock()
        for key, change in changes.items():
            if key in failed_keys or key in stale:
                continue
            report.replayed += 1
            report.ttl_deletes += int(change.ttl)
            lag = max(0.0, now - change.time)
            report.lag_seconds = lag if report.lag_seconds is None else max(report.lag_seconds, lag)
        for group, position in failed_from.items():
            report.failed_ids += [messages[i].message_id for i in groups[group][position:]]

        self._emit(target, report)
        if report.failed_ids and len(report.failed_ids) == len(messages):
            raise ReplayError(
                f"no message of this batch could be applied to {target} "
                f"({len(messages)} messages; see the error logs above). They stay in the buffer and "
                "are retried; messages that keep failing go to the dead-letter queue (alarm; "
                "pitrctl deadletters re-applies their items)."
            )
        return report

    def _emit(self, target: str, report: Report) -> None:
        values: dict[str, tuple[float, str]] = {
            "ReplayedChanges": (report.replayed, metrics.COUNT),
            "SkippedChanges": (report.skipped, metrics.COUNT),
            "CoalescedChanges": (report.coalesced, metrics.COUNT),
            "DuplicateChanges": (report.duplicates, metrics.COUNT),
            "SupersededChanges": (report.superseded, metrics.COUNT),
            "GuardFailures": (report.guard_failures, metrics.COUNT),
            "FailedChanges": (len(report.failed_ids), metrics.COUNT),
        }
        if report.lag_seconds is not None:
            values[metrics.REPLAY_LAG] = (report.lag_seconds, metrics.SECONDS)
        self.emit(
            self.source_table,
            values,
            {"TargetTable": target, "WriteCalls": report.write_calls, "TtlDeletes": report.ttl_deletes},
        )


# ---------------------------------------------------------------------------------------------
# Lambda wiring
# ---------------------------------------------------------------------------------------------

_cache: restore_record.RecordCache | None = None


@dataclass(frozen=True)
class ReplayWriterConfig(environment.Configuration):
    """The replay writer's environment: a field per variable of its contract (:mod:`pitr.environment`)."""

    handler = "pitr.replay_writer.handler"

    restore_record_parameter: str
    source_table_name: str
    target_table_name_pattern: str
    ledger_table: str
    record_cache_seconds: float
    replay_start_margin_seconds: float


def from_env(environ: Mapping[str, str] | None = None) -> ReplayWriter:
    """The writer of this function: its configuration (checked first), then its clients; the record
    cache lives as long as the container."""
    global _cache  # noqa: PLW0603 - per-container cache (SSM GetParameter is rate limited)
    config = ReplayWriterConfig.from_env(environ)
    if _cache is None:
        ssm = clients.bounded("ssm")  # one attempt, bounded: a failure leaves the batch in the buffer
        parameter = config.restore_record_parameter
        _cache = restore_record.RecordCache(
            lambda: restore_record.load(ssm, parameter), ttl_seconds=config.record_cache_seconds
        )
    return ReplayWriter(
        dynamodb=clients.bounded("dynamodb"),
        s3=clients.bounded("s3"),
        records=_cache.get,
        source_table=config.source_table_name,
        target_pattern=config.target_table_name_pattern,
        ledger_table=config.ledger_table,
        record_parameter=config.restore_record_parameter,
        margin_seconds=config.replay_start_margin_seconds,
        call_seconds=clients.BOUNDED_CALL_SECONDS,
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
        # Keep 2 s to report; no call starts unless it can end (call_seconds) before the deadline.
        deadline = writer.clock() + context.get_remaining_time_in_millis() / 1000.0 - 2.0
    report = writer.process(event.get("Records", []), deadline)
    if report.failed_ids:
        logs.warning("messages returned to the buffer", count=len(report.failed_ids))
    return report.response
