"""A FIFO poller that behaves like Lambda's SQS event source mapping, against a moto queue.

moto's own enabled mapping is not used: it invokes on every send through the Docker path and does
not model partial batch responses (``shared/notes/moto.md``). This harness does, and simulates time:
a message whose visibility timeout would expire is made visible at once.

What it models (AWS behaviour for a FIFO queue with ReportBatchItemFailures):

* up to ``batch_size`` (<= 10) messages per invocation, possibly from several groups, in order
  within each group; a group with a message in flight delivers nothing else (SQS holds the group);
* the event has Lambda's format (``messageId``, ``receiptHandle``, ``body``, ``attributes`` with
  ``MessageGroupId``, ``SequenceNumber``, ``MessageDeduplicationId``, ``ApproximateReceiveCount``...);
* response ``batchItemFailures``: those messages return to the queue (visibility expires), every
  other message of the batch is deleted; an identifier not in the batch fails the whole batch;
* a raised exception (or a timeout) returns the whole batch;
* ``max_receive_count`` mirrors the queue's redrive policy: a message received more often than that
  is moved to ``dlq_url`` (the redrive keeps its group), counted in ``stats.dead_lettered``.

Order within a group is moto's (its FIFO keeps send order and holds a group while a message is in
flight; its ``SequenceNumber`` attribute is random, so the harness cannot check order by it).

Fault injection: ``lose_deletes`` returns True to skip deleting a batch's successes (a crash after
the writes), so the whole batch is delivered again; ``lose_message_delete`` is asked per succeeded
message and loses that one delete only (``faults.LostMessageDelete``); ``visibility_expires`` is asked
per invocation: its visibility timeout runs out while it works, so a second invocation receives the
same group and finishes first, then the first one's writes land (``faults.VisibilityTimeoutExpired``;
on one thread the worst interleaving is modelled: the first invocation's batch was fixed at receive
time and its handler runs after the second's); ``throttled`` is asked per invocation: the function
is throttled until the visibility timeout runs out, the batch goes back to the queue uninvoked and
the receive still counts toward ``max_receive_count`` (``faults.ThrottledInvocation``).
:func:`redrive` moves a dead-letter queue's messages back to their source queue, each at the end of
its group (``faults.DeadLetterRedrive``); ``redriven`` is asked per received message and plays
that round trip at once (the message leaves the batch and comes back at the end of its group).

Usage::

    poller = FifoPoller(sqs, queue_url, replay_writer.handler)
    poller.drain()                      # until the queue is empty; raises if a message never clears
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

Handler = Callable[[Mapping[str, Any], Any], Any]


class QueueStuckError(RuntimeError):
    """Messages kept failing until ``max_polls`` ran out."""


@dataclass
class PollStats:
    invocations: int = 0
    messages_delivered: int = 0
    deleted: int = 0
    failed: int = 0
    errors: int = 0
    redelivered_batches: int = 0
    dead_lettered: int = 0
    lost_message_deletes: int = 0
    expired_visibility: int = 0
    redriven: int = 0
    throttled: int = 0
    error_messages: list[str] = field(default_factory=list)


@dataclass
class FakeContext:
    """The part of Lambda's context object the handlers use."""

    remaining_ms: int = 60_000
    function_name: str = "replay-writer"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class FifoPoller:
    """Polls one FIFO queue and invokes one handler, like Lambda's FIFO event source mapping."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        *,
        batch_size: int = 10,
        context: Any = None,
        max_receive_count: int | None = None,
        dlq_url: str | None = None,
        lose_deletes: Callable[[], bool] | None = None,
        lose_message_delete: Callable[[], bool] | None = None,
        visibility_expires: Callable[[], bool] | None = None,
        throttled: Callable[[], bool] | None = None,
        redriven: Callable[[], bool] | None = None,
        region: str = "eu-west-1",
    ) -> None:
        if not 1 <= batch_size <= 10:
            raise ValueError("a FIFO event source mapping takes batch sizes from 1 to 10")
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.context = context if context is not None else FakeContext()
        self.max_receive_count = max_receive_count
        self.dlq_url = dlq_url
        self.lose_deletes = lose_deletes
        self.lose_message_delete = lose_message_delete
        self.visibility_expires = visibility_expires
        self.throttled = throttled
        self.redriven = redriven
        self._overtaking = False  # a second invocation runs while the first one "works"
        self.region = region
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.stats = PollStats()

    def _event_record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }

    def _return(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            # A stale receipt handle (the message was received again since): nothing to return.
            with contextlib.suppress(ClientError):
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            try:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            except ClientError:  # a stale receipt handle whose message is gone: AWS accepts it
                continue
            self.stats.deleted += 1

    def _send_back(self, message: dict[str, Any], dedup: str) -> None:
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=message["Body"],
            MessageGroupId=message["Attributes"]["MessageGroupId"],
            MessageDeduplicationId=dedup,
        )
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _dead_letter(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Move messages past ``max_receive_count`` to the DLQ (as the redrive policy does)."""
        if self.max_receive_count is None:
            return messages
        keep = []
        for message in messages:
            if int(message["Attributes"]["ApproximateReceiveCount"]) > self.max_receive_count:
                if self.dlq_url:
                    self.sqs.send_message(
                        QueueUrl=self.dlq_url,
                        MessageBody=message["Body"],
                        MessageGroupId=message["Attributes"]["MessageGroupId"],
                        MessageDeduplicationId=message["Attributes"]["MessageDeduplicationId"],
                    )
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                self.stats.dead_lettered += 1
            else:
                keep.append(message)
        return keep

    def poll_once(self) -> int:
        """Receive one batch and invoke the handler; returns the number of messages delivered."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            VisibilityTimeout=900,
            AttributeNames=["All"],
        )
        messages = self._dead_letter(response.get("Messages", []))
        if not messages:
            return 0
        if self.throttled is not None and self.throttled():
            # faults.ThrottledInvocation: retried until the visibility timeout, then dropped back.
            self.stats.throttled += 1
            self._return(messages)
            return len(messages)
        if self.redriven is not None:
            # faults.DeadLetterRedrive: the message went to the dead-letter queue and an operator
            # redrove it: it is back as a new message at the end of its group.
            moved = [m for m in messages if self.redriven()]
            for message in moved:
                self._send_back(message, f"redrive-{message['MessageId']}-{self.stats.redriven}")
                self.stats.redriven += 1
            messages = [m for m in messages if m not in moved]
            if not messages:
                return len(moved)
        if not self._overtaking and self.visibility_expires is not None and self.visibility_expires():
            # faults.VisibilityTimeoutExpired: the group is released while this invocation works; a
            # second invocation receives it (and its newer messages) and finishes first.
            self.stats.expired_visibility += 1
            self._return(messages)
            self._overtaking = True
            try:
                self.poll_once()
            finally:
                self._overtaking = False
        self.stats.invocations += 1
        self.stats.messages_delivered += len(messages)
        try:
            result = self.handler({"Records": [self._event_record(m) for m in messages]}, self.context)
        except Exception as exc:  # a function error returns the whole batch
            self.stats.errors += 1
            self.stats.error_messages.append(f"{type(exc).__name__}: {exc}")
            self._return(messages)
            return len(messages)
        failures = {f.get("itemIdentifier") for f in (result or {}).get("batchItemFailures") or []}
        ids = {m["MessageId"] for m in messages}
        if not failures <= ids:
            failures = ids  # AWS: an unknown identifier fails the whole batch
        failed = [m for m in messages if m["MessageId"] in failures]
        succeeded = [m for m in messages if m["MessageId"] not in failures]
        self.stats.failed += len(failed)
        if self.lose_deletes is not None and succeeded and self.lose_deletes():
            self.stats.redelivered_batches += 1
            self._return(messages)
            return len(messages)
        if self.lose_message_delete is not None:
            # One message's delete lost (faults.LostMessageDelete): its copy comes back after the
            # rest of the batch (its newer group-mates included) was deleted.
            lost = [m for m in succeeded if self.lose_message_delete()]
            if lost:
                self.stats.lost_message_deletes += len(lost)
                succeeded = [m for m in succeeded if m not in lost]
                failed = failed + lost
        self._delete(succeeded)
        self._return(failed)
        return len(messages)

    def drain(self, max_polls: int = 10_000) -> PollStats:
        """Poll until the queue is empty; :class:`QueueStuckError` when it does not empty in time."""
        # Between polls nothing is in flight (the harness returns or deletes every message it
        # received), so an empty receive means an empty queue; the attributes confirm it once
        # (moto computes them by walking every message, too slow to ask on each poll).
        for _ in range(max_polls):
            if self.poll_once() == 0:
                remaining = self.visible_and_in_flight()
                if remaining:
                    raise QueueStuckError(f"receive returned nothing but {remaining} messages remain")
                return self.stats
        raise QueueStuckError(
            f"queue not empty after {max_polls} polls; last errors: {self.stats.error_messages[-3:]}"
        )

    def visible_and_in_flight(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


def redrive(sqs: Any, dlq_url: str, source_url: str) -> int:
    """Move every message of a FIFO dead-letter queue back to its source queue, oldest first, as a
    new message (fresh deduplication id) in its original group: it lands after every message the
    source already holds for that group (``faults.DeadLetterRedrive``). Returns how many moved."""
    moved = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=900, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return moved
        for message in messages:
            sqs.send_message(
                QueueUrl=source_url,
                MessageBody=message["Body"],
                MessageGroupId=message["Attributes"]["MessageGroupId"],
                MessageDeduplicationId=f"redrive-{message['MessageId']}",
            )
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
