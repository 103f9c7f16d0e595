"""Faults of the guarded write path (``TransactWriteItems``), as AWS documents them.

* throttling: the whole call fails with ``ThrottlingException``; nothing is written;
* a transaction conflict: "There is an ongoing TransactWriteItems operation that conflicts with a
  concurrent TransactWriteItems request. In this case the TransactWriteItems operation fails with a
  TransactionCanceledException" (TransactionCanceledException, DynamoDB API reference), with the
  cancellation reason ``TransactionConflict`` on the contended item; nothing is written;
* an unknown outcome: the transaction commits, then the response is lost (read timeout); the caller
  retries a transaction that already happened;
* a crash after the commit: the function dies before it reports; the messages come back after the
  visibility timeout.

The proxy wraps a moto client (moto implements ``TransactWriteItems`` with conditions and
``CancellationReasons``) and records every request for inspection.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from pitrctl.sim.faults import Crash


@dataclass
class GuardFaults:
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    throttle: float = 0.0
    conflict: float = 0.0
    lost_response: float = 0.0
    crash_after_commit: float = 0.0

    def hit(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


class GuardedDynamo:
    """DynamoDB client proxy: records and fails ``TransactWriteItems`` calls; the rest passes through."""

    def __init__(self, real: Any, faults: GuardFaults | None = None) -> None:
        self.real = real
        self.faults = faults or GuardFaults()
        self.transactions: list[list[dict[str, Any]]] = []
        self.calls = 0

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        items = kwargs["TransactItems"]
        faults = self.faults
        if faults.hit(faults.throttle):
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "TransactWriteItems"
            )
        if faults.hit(faults.conflict):
            victim = faults.rng.randrange(len(items))
            reasons = [{"Code": "None"} for _ in items]
            reasons[victim] = {"Code": "TransactionConflict", "Message": "injected conflict"}
            error = ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
            raise error
        response = self.real.transact_write_items(**kwargs)
        self.transactions.append(items)
        if faults.hit(faults.lost_response):
            raise ReadTimeoutError(endpoint_url="https://dynamodb.injected")
        if faults.hit(faults.crash_after_commit):
            raise Crash("injected crash after a committed transaction")
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def target_writes(self, table: str) -> list[dict[str, Any]]:
        """Every committed action on ``table``, in commit order."""
        out = []
        for items in self.transactions:
            for action in items:
                ((kind, body),) = action.items()
                if body["TableName"] == table:
                    out.append({kind: body})
        return out
