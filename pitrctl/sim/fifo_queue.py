"""An in-memory SQS FIFO queue speaking the boto3 client calls the data path uses.

Why: moto's SQS recomputes every queue attribute on each ``SendMessage`` (it walks all queued
messages), so a 20,000-message workload takes hours there. ``make bench`` uses this fake for both
pipelines alike; the tests use moto's queue.

Semantics kept from SQS FIFO: message group order; a group with a message in flight delivers
nothing else; a receive returns up to 10 messages, taking as many from one group as it can before
moving to the next (as SQS does); deduplication id per group (scope ``messageGroup``) for the
5-minute deduplication interval, kept after the message is deleted, measured on ``clock`` when one is
given (``faults.DeduplicationInterval``; without a clock time does not pass, so the interval never
ends); the limits of 10 entries and 1 MiB per ``SendMessageBatch`` and per message. Received messages
stay in flight until deleted or made visible again with ``change_message_visibility``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pitrctl.sim.sqs_dedup import DedupWindow

MAX_BYTES = 1_048_576


@dataclass
class _Message:
    message_id: str
    group: str
    dedup: str
    body: str
    seq: int
    receive_count: int = 0
    in_flight: bool = False


class FakeFifoQueue:
    """One FIFO queue; pass it where the code expects an SQS client (``QueueUrl`` is checked)."""

    def __init__(
        self,
        name: str = "bench.fifo",
        region: str = "eu-west-1",
        account: str = "123456789012",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
        self.arn = f"arn:aws:sqs:{region}:{account}:{name}"
        self._groups: OrderedDict[str, deque[_Message]] = OrderedDict()
        self._by_handle: dict[str, _Message] = {}
        self.dedup = DedupWindow(clock or (lambda: 0.0))
        self._seq = itertools.count(1)
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def _check_url(self, url: str) -> None:
        if url != self.url:
            raise ClientError({"Error": {"Code": "QueueDoesNotExist", "Message": url}}, "SQS")

    def _enqueue(self, body: str, group: str, dedup: str) -> _Message | None:
        if len(body.encode()) > MAX_BYTES:
            raise ClientError(
                {"Error": {"Code": "InvalidParameterValue", "Message": "too long"}}, "SendMessage"
            )
        if not self.dedup.admit(self.arn, group, dedup):
            return None  # accepted, not delivered again (deduplicated)
        seq = next(self._seq)
        message = _Message(hashlib.md5(f"{seq}".encode()).hexdigest(), group, dedup, body, seq)
        self._groups.setdefault(group, deque()).append(message)
        return message

    # -- the client calls --------------------------------------------------------------------------

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self._count("send_message")
        self._check_url(kwargs["QueueUrl"])
        message = self._enqueue(
            kwargs["MessageBody"], kwargs["MessageGroupId"], kwargs["MessageDeduplicationId"]
        )
        return {"MessageId": message.message_id if message else "deduplicated"}

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        self._count("send_message_batch")
        self._check_url(kwargs["QueueUrl"])
        entries = kwargs["Entries"]
        if not 1 <= len(entries) <= 10:
            raise ClientError(
                {"Error": {"Code": "TooManyEntriesInBatchRequest", "Message": ""}}, "SendMessageBatch"
            )
        if sum(len(e["MessageBody"].encode()) for e in entries) > MAX_BYTES:
            raise ClientError({"Error": {"Code": "BatchRequestTooLong", "Message": ""}}, "SendMessageBatch")
        successful = []
        for entry in entries:
            message = self._enqueue(
                entry["MessageBody"], entry["MessageGroupId"], entry["MessageDeduplicationId"]
            )
            successful.append(
                {"Id": entry["Id"], "MessageId": message.message_id if message else "deduplicated"}
            )
        return {"Successful": successful, "Failed": []}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self._count("receive_message")
        self._check_url(kwargs["QueueUrl"])
        limit = int(kwargs.get("MaxNumberOfMessages", 1))
        out = []
        for group, messages in self._groups.items():
            if len(out) >= limit:
                break
            if not messages or messages[0].in_flight:
                continue  # SQS holds a group while one of its messages is in flight
            for message in messages:
                if len(out) >= limit or message.in_flight:
                    break
                message.in_flight = True
                message.receive_count += 1
                handle = f"{message.message_id}-{message.receive_count}"
                self._by_handle[handle] = message
                out.append(
                    {
                        "MessageId": message.message_id,
                        "ReceiptHandle": handle,
                        "Body": message.body,
                        "Attributes": {
                            "MessageGroupId": group,
                            "MessageDeduplicationId": message.dedup,
                            "SequenceNumber": str(message.seq),
                            "ApproximateReceiveCount": str(message.receive_count),
                        },
                    }
                )
        return {"Messages": out} if out else {}

    def delete_message(self, **kwargs: Any) -> dict[str, Any]:
        self._count("delete_message")
        message = self._by_handle.pop(kwargs["ReceiptHandle"])
        messages = self._groups[message.group]
        messages.remove(message)
        if not messages:
            del self._groups[message.group]
        return {}

    def change_message_visibility(self, **kwargs: Any) -> dict[str, Any]:
        self._count("change_message_visibility")
        message = self._by_handle.pop(kwargs["ReceiptHandle"])
        if int(kwargs["VisibilityTimeout"]) == 0:
            message.in_flight = False
        return {}

    def get_queue_attributes(self, **kwargs: Any) -> dict[str, Any]:
        self._count("get_queue_attributes")
        queued = [m for ms in self._groups.values() for m in ms]
        return {
            "Attributes": {
                "QueueArn": self.arn,
                "ApproximateNumberOfMessages": str(sum(not m.in_flight for m in queued)),
                "ApproximateNumberOfMessagesNotVisible": str(sum(m.in_flight for m in queued)),
            }
        }
