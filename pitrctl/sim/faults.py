"""Fault injection at the data path's hops: failed SendMessageBatch entries and calls, throttled and
partly unprocessed BatchWriteItem requests, crashes part-way through a request.

Client proxies wrap a real (moto) client and decide each injection with ``Faults``' seeded random
source, so a run is reproducible. Used by the pipeline tests, ``make bench`` and ``pitrctl rehearse``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError


class Crash(RuntimeError):  # noqa: N818 - it models a crash, not an error the code raises
    """An injected crash of the function in the middle of a batch (timeout, out of memory)."""


@dataclass
class Fault:
    """One documented AWS behaviour, injected at ``rate`` (0..1) of the occasions it can happen."""

    rate: float = 0.0


# ---- SQS ---------------------------------------------------------------------------------------


class SendEntryFailure(Fault):
    """A ``SendMessageBatch`` entry fails while the others succeed.

    AWS (SendMessageBatch API reference): "The result of sending each message is reported
    individually in the response. Because the batch request can result in a combination of
    successful and unsuccessful actions, you should check for batch errors even when the call
    returns an HTTP status code of 200."
    """


class SendCallThrottled(Fault):
    """A whole ``SendMessageBatch`` call is throttled (``RequestThrottled``).

    AWS (SQS API reference, common errors): "ThrottlingException: The request was denied due to
    request throttling."
    """


class LostBatchDelete(Fault):
    """Every delete of a batch is lost (a crash after the writes): the whole batch comes back.

    AWS (Lambda developer guide, SQS): "Lambda event source mappings process each event at least
    once, and duplicate processing of records can occur."
    """


class LostMessageDelete(Fault):
    """One message's delete is lost while the rest of its batch is deleted: that message comes back
    after the newer messages of its group were applied.

    AWS (SQS developer guide, "Amazon SQS at-least-once delivery"): "On rare occasions, one of the
    servers that stores a copy of a message might be unavailable when you receive or delete a
    message. If this occurs, the copy of the message isn't deleted on the server that is
    unavailable, and you might get that message copy again when you receive messages."
    """


class VisibilityTimeoutExpired(Fault):
    """The visibility timeout runs out while an invocation is still working on its batch: the group is
    released and a second invocation receives the same messages (and the group's newer ones) and
    finishes first; the first invocation's writes land after the second's.

    AWS (ReceiveMessage API reference, VisibilityTimeout): "If the message is not deleted or its
    visibility timeout is not extended before the timeout expires, it becomes visible again and can
    be retrieved by other consumers." And (Lambda developer guide, SQS): "After the visibility
    timeout, the messages become visible to Lambda again."
    """


class ThrottledInvocation(Fault):
    """The function is throttled: Lambda keeps the received batch, retries the invocation until the
    visibility timeout runs out and then lets the messages go back to the queue, never invoked; each
    such receive counts toward the queue's ``maxReceiveCount``.

    AWS (Lambda operator guide, "Handling errors for an SQS event source in Lambda"): "If the
    invocation fails due to throttling, Lambda gradually backs off retries by reducing the amount of
    concurrency allocated to your Amazon SQS event source mapping. Lambda continues to retry the
    message until the message's timestamp exceeds your queue's visibility timeout, at which point
    Lambda drops the message."
    """


class DeduplicationInterval(Fault):
    """A FIFO queue deduplicates a ``MessageDeduplicationId`` for 5 minutes after the first send, even
    once that message was received and deleted; a resend after the interval is a new message. The
    queues of the kit keep this window (``fifo_queue.FakeFifoQueue``, ``sqs_dedup.dedup_interval``
    over moto, which forgets an id once its message leaves the queue). The rate is how often a
    late duplicate stream batch (``LateDuplicateStreamBatch``) comes after the interval, so that its
    resent messages are new to the queue (``StreamDriver.deliver(before_late=...)``).

    AWS (SQS developer guide, "Amazon SQS FIFO queue key terms"): "If multiple messages with the same
    deduplication ID are sent within a 5 minute deduplication interval, they are treated as
    duplicates, and only one copy is delivered." and "Amazon SQS continues tracking the
    deduplication ID even after the message has been received and deleted."
    """


class DeadLetterRedrive(Fault):
    """A message moved to the dead-letter queue and redriven to its source queue comes back as a new
    message at the end of its group, after the group's newer messages (``sqs_mapping.redrive``). The
    rate is how often a received message makes that round trip (``FifoPoller(redriven=...)``).

    AWS (SQS developer guide, "Learn how to configure a dead-letter queue redrive in Amazon SQS"):
    "Dead-letter queues redrive messages in the order they are received, starting with the oldest
    message. However, the destination queue ingests the redriven messages, as well as new messages
    from other producers, according to the order in which it receives them."
    """


# ---- DynamoDB Streams + Lambda -----------------------------------------------------------------


class DuplicateStreamBatch(Fault):
    """The stream mapping invokes the function twice with one batch, back to back.

    AWS (Lambda developer guide, "How Lambda processes records from stream and queue-based event
    sources"): "Lambda event source mappings process each event at least once, and duplicate
    processing of records can occur."
    """


class LateDuplicateStreamBatch(Fault):
    """A batch already checkpointed is delivered again later, after newer batches were processed.

    AWS (same page): "Lambda event source mappings process each event at least once, and duplicate
    processing of records can occur." Nothing bounds when the duplicate arrives.
    """


class CrashMidBatch(Fault):
    """The function times out (or runs out of memory) after writing part of a batch.

    AWS (Lambda developer guide, DynamoDB error handling): "If your function returns an error,
    Lambda retries the batch until processing succeeds or the data expires."
    """


# ---- DynamoDB ----------------------------------------------------------------------------------


class BatchWriteThrottled(Fault):
    """``BatchWriteItem`` raises ``ProvisionedThroughputExceededException``.

    AWS (BatchWriteItem API reference): "If none of the items can be processed due to insufficient
    provisioned throughput on all of the tables in the request, then BatchWriteItem returns a
    ProvisionedThroughputExceededException."
    """


class UnprocessedItems(Fault):
    """``BatchWriteItem`` leaves part of the request in ``UnprocessedItems``.

    AWS (BatchWriteItem API reference): "If any requested operations fail because the table's
    provisioned throughput is exceeded or an internal processing failure occurs, the failed
    operations are returned in the UnprocessedItems response parameter."
    """


class TransactionConflict(Fault):
    """``TransactWriteItems`` is cancelled with the reason ``TransactionConflict`` on one item.

    AWS (TransactionCanceledException, DynamoDB API reference): "There is an ongoing
    TransactWriteItems operation that conflicts with a concurrent TransactWriteItems request. In
    this case the TransactWriteItems operation fails with a TransactionCanceledException."
    """


class LostWriteResponse(Fault):
    """A write commits but its response is lost (a read timeout): the caller retries a write that
    already happened.

    AWS (developer guide, "Amazon DynamoDB Transactions: How it works", idempotency): transactions
    can be "submitted multiple times due to a connection time-out or other connectivity issue".
    """


class DescribeTableNotFound(Fault):
    """``DescribeTable`` of a table just created by a restore answers ``ResourceNotFoundException``
    for a while (``Restores.start(not_found_seconds=...)``).

    AWS (DescribeTable API reference): "If you issue a DescribeTable request immediately after a
    CreateTable request, DynamoDB might return a ResourceNotFoundException. This is because
    DescribeTable uses an eventually consistent query, and the metadata for your table might not be
    available at that moment."
    """


# ---- Lambda ------------------------------------------------------------------------------------


class MappingConflict(Fault):
    """A second ``CreateEventSourceMapping`` of one function on one event source is refused with
    ``ResourceConflictException`` (``lambda_layer``; moto accepts duplicates). Always on where the
    layer is attached; the rate is unused.

    AWS (CreateEventSourceMapping, ResourceConflictException): "The resource already exists, or
    another operation is in progress." AWS's answer to a second mapping (aws/serverless-application-
    model#1320): "The event source arn (...) and function (...) provided mapping already exists.
    Please update or delete the existing mapping with UUID ..."
    """


class EncryptedFilterCriteria(Fault):
    """A mapping's ``FilterCriteria`` encrypted with a customer managed key: ``ListEventSourceMappings``
    shows it as null, only ``GetEventSourceMapping`` shows it (``lambda_layer``). The rate is how often
    a mapping created with a filter has it encrypted; a ``KMSKeyArn`` always encrypts it.

    AWS (GetEventSourceMapping response, FilterCriteria): "If filter criteria is encrypted, this
    field shows up as null in the response of ListEventSourceMapping API calls. You can view this
    field in plaintext in the response of GetEventSourceMapping and DeleteEventSourceMapping calls
    if you have kms:Decrypt permissions for the correct KMS key."
    """


# ---- Step Functions ----------------------------------------------------------------------------


class StopExecutionByHand(Fault):
    """An operator stops the workflow's execution (``sfn_layer.ExecutionRules.stop_by_hand``): it is
    ``ABORTED`` at once, whatever task it was in (moto leaves a parked execution ``RUNNING``). The
    rate is how often a test's world stops a running execution; the rehearsal does not (it would
    only abort itself).

    AWS (StopExecution API reference): "Stops an execution." and (SendTaskSuccess, TaskTimedOut):
    "The task token has either expired or the task associated with the token has already been
    closed."
    """


class TaskTokenClosed(Fault):
    """``SendTaskSuccess`` (``SendTaskFailure``, ``SendTaskHeartbeat``) with the token of a closed
    execution answers ``TaskTimedOut`` (``sfn_layer``; moto answers ``InvalidToken``). Always on where
    the layer is attached; the rate is unused.

    AWS (SFN.Client.exceptions.TaskTimedOut): "The task token has either expired or the task
    associated with the token has already been closed."
    """


class ExecutionNameTaken(Fault):
    """``StartExecution`` with a name used in the last 90 days answers ``ExecutionAlreadyExists``,
    unless the first execution is open and the input identical (``sfn_layer``). Always on where the
    layer is attached; the rate is unused.

    AWS (StartExecution API reference, name): "An execution can't use the name of another execution
    for 90 days. When you make multiple StartExecution calls with the same name, the new execution
    doesn't run and the following rules apply: When the original execution is open and the
    execution input from the new call is different, the ExecutionAlreadyExists message is returned.
    When the original execution is open and the execution input from the new call is identical, the
    Success message is returned. When the original execution is closed, the ExecutionAlreadyExists
    message is returned regardless of input."
    """


class HistoryLimit(Fault):
    """An execution whose history reaches 25,000 events without ``ExecutionSucceeded`` fails
    (``sfn_layer.attach(history_limit=...)``, a smaller limit in tests). The rate is unused.

    AWS (Step Functions developer guide, "Avoid reaching the history quota"): "AWS Step Functions has
    a hard quota of 25,000 entries in the execution event history. When an execution reaches 24,999
    events, it waits for the next event to happen." and "If the event number 25,000 isn't
    ExecutionSucceeded, the ExecutionFailed event is logged and the state machine execution fails
    because of reaching the history limit"
    """


# ---- SSM ---------------------------------------------------------------------------------------


class TooManyUpdates(Fault):
    """``PutParameter`` answered ``TooManyUpdates`` (``FlakySsm``).

    AWS (SSM API reference, TooManyUpdates): "There are concurrent updates for a resource that
    supports one update at a time."
    """


CLASSES: dict[str, type[Fault]] = {
    "send_entry": SendEntryFailure,
    "send_call": SendCallThrottled,
    "lost_delete": LostBatchDelete,
    "lost_message_delete": LostMessageDelete,
    "visibility_expired": VisibilityTimeoutExpired,
    "throttled_invocation": ThrottledInvocation,
    "dedup_interval": DeduplicationInterval,
    "dead_letter_redrive": DeadLetterRedrive,
    "duplicate_stream": DuplicateStreamBatch,
    "late_duplicate_stream": LateDuplicateStreamBatch,
    "crash": CrashMidBatch,
    "throttle": BatchWriteThrottled,
    "unprocessed": UnprocessedItems,
    "transaction_conflict": TransactionConflict,
    "lost_write_response": LostWriteResponse,
    "describe_not_found": DescribeTableNotFound,
    "too_many_updates": TooManyUpdates,
    "mapping_conflict": MappingConflict,
    "encrypted_filter": EncryptedFilterCriteria,
    "stop_by_hand": StopExecutionByHand,
    "task_token_closed": TaskTokenClosed,
    "execution_name_taken": ExecutionNameTaken,
    "history_limit": HistoryLimit,
}


class Faults:
    """Every fault class with its rate, and the seeded random source that decides each injection.

    ``Faults(throttle=0.2, lost_message_delete=0.1)`` turns on single classes (names: ``CLASSES``);
    ``Faults.every(0.05)`` turns on every class at one rate (``pitrctl rehearse --fault-rate``).
    """

    def __init__(self, rng: random.Random | None = None, **rates: float) -> None:
        unknown = set(rates) - set(CLASSES)
        if unknown:
            raise ValueError(f"unknown fault classes {sorted(unknown)}; known: {sorted(CLASSES)}")
        self.rng = rng or random.Random(0)
        self.classes: dict[str, Fault] = {name: cls(rates.get(name, 0.0)) for name, cls in CLASSES.items()}

    @classmethod
    def every(cls, rate: float, rng: random.Random | None = None, **overrides: float) -> Faults:
        return cls(rng, **{**dict.fromkeys(CLASSES, rate), **overrides})

    def __getattr__(self, name: str) -> Fault:
        classes = self.__dict__.get("classes", {})
        if name in classes:
            return classes[name]
        raise AttributeError(name)

    def rates(self) -> dict[str, float]:
        return {name: fault.rate for name, fault in self.classes.items() if fault.rate}

    def hit(self, fault: Fault | float) -> bool:
        rate = fault.rate if isinstance(fault, Fault) else fault
        return rate > 0 and self.rng.random() < rate


class FlakySsm:
    """SSM client proxy whose ``PutParameter`` may be answered ``TooManyUpdates``: at the fault's
    rate, at most ``failures`` times (None: no limit; 1: a racing claim on the same parameter)."""

    def __init__(self, real: Any, faults: Faults, failures: int | None = None) -> None:
        self.real, self.faults, self.failures = real, faults, failures

    def put_parameter(self, **kwargs: Any) -> dict[str, Any]:
        if self.failures != 0 and self.faults.hit(self.faults.too_many_updates):
            self.failures = None if self.failures is None else self.failures - 1
            raise ClientError({"Error": {"Code": "TooManyUpdates", "Message": "injected"}}, "PutParameter")
        return self.real.put_parameter(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class CountingSqs:
    """SQS client proxy that counts SendMessageBatch calls and can fail entries or calls."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self.real, self.faults = real, faults
        self.send_calls = 0
        self.sent = 0

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.send_calls += 1
        if self.faults.hit(self.faults.send_call):
            raise ClientError(
                {"Error": {"Code": "RequestThrottled", "Message": "injected"}}, "SendMessageBatch"
            )
        entries = kwargs["Entries"]
        failing = [e for e in entries if self.faults.hit(self.faults.send_entry)]
        ok = [e for e in entries if e not in failing]
        response = self.real.send_message_batch(QueueUrl=kwargs["QueueUrl"], Entries=ok) if ok else {}
        self.sent += len(response.get("Successful", []))
        failed = list(response.get("Failed", [])) + [
            {"Id": e["Id"], "Code": "InternalError", "Message": "injected", "SenderFault": False}
            for e in failing
        ]
        return {"Successful": response.get("Successful", []), "Failed": failed}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class CountingDynamo:
    """DynamoDB client proxy that counts BatchWriteItem and TransactWriteItems calls and injects
    throttling, partial results (UnprocessedItems), transaction conflicts, lost responses and
    crashes part-way through a request (after a transaction's commit: a transaction has no part)."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self.real, self.faults = real, faults
        self.write_calls = 0
        self.requests: list[dict[str, Any]] = []  # every BatchWriteItem request (for inspection)

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        self.write_calls += 1
        self.requests.append(kwargs["RequestItems"])
        faults = self.faults
        if faults.hit(faults.throttle):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}},
                "BatchWriteItem",
            )
        ((table, requests),) = kwargs["RequestItems"].items()
        if faults.hit(faults.crash):
            done = faults.rng.randrange(len(requests) + 1)
            if done:
                self.real.batch_write_item(RequestItems={table: requests[:done]})
            raise Crash(f"injected crash after {done} of {len(requests)} writes")
        left = [r for r in requests if faults.hit(faults.unprocessed)]
        keep = [r for r in requests if r not in left]
        if keep:
            self.real.batch_write_item(RequestItems={table: keep})
        return {"UnprocessedItems": {table: left} if left else {}}

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.write_calls += 1
        items = kwargs["TransactItems"]
        self.requests.append({"TransactItems": items})
        faults = self.faults
        if faults.hit(faults.throttle):
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "TransactWriteItems"
            )
        if faults.hit(faults.transaction_conflict):
            reasons = [{"Code": "None"} for _ in items]
            reasons[faults.rng.randrange(len(items))] = {"Code": "TransactionConflict", "Message": "injected"}
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        response = self.real.transact_write_items(**kwargs)
        if faults.hit(faults.lost_write_response):
            raise ReadTimeoutError(endpoint_url="https://dynamodb.injected")
        if faults.hit(faults.crash):
            raise Crash("injected crash after a committed transaction")
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)
