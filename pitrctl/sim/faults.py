"""Fault injection at the data path's hops: failed SendMessageBatch entries and calls, throttled and
partly unprocessed BatchWriteItem requests, crashes part-way through a request.

Client proxies wrap a real (moto) client and decide each injection with ``Faults``' seeded random
source, so a run is reproducible. Used by the pipeline tests, ``make bench`` and ``pitrctl rehearse``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


class Crash(RuntimeError):  # noqa: N818 - it models a crash, not an error the code raises
    """An injected crash of the function in the middle of a batch (timeout, out of memory)."""


@dataclass
class Faults:
    """Fault rates (0..1) and the random source that decides each injection."""

    rng: random.Random = field(default_factory=lambda: random.Random(0))
    send_entry: float = 0.0  # a SendMessageBatch entry fails
    send_call: float = 0.0  # a whole SendMessageBatch call raises
    throttle: float = 0.0  # BatchWriteItem raises ProvisionedThroughputExceededException
    unprocessed: float = 0.0  # BatchWriteItem leaves a random part of the request unprocessed
    crash: float = 0.0  # BatchWriteItem writes part of the request, then the function crashes
    lost_delete: float = 0.0  # the poller's deletes of a batch are lost: whole batch redelivered
    duplicate_stream: float = 0.0  # the stream mapping invokes the subscriber twice with one batch

    def hit(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


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
    """DynamoDB client proxy that counts BatchWriteItem calls and injects throttling, partial
    results (UnprocessedItems) and crashes part-way through a request."""

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

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)
