"""The ordering guard: a change reaches the restored table only if it is newer than what replay
already wrote for its item, decided atomically with the write (docs/ordering.md).

Each change is applied with one ``TransactWriteItems`` holding two actions:

* the target write: a ``Put`` of the change's full new image, or a ``Delete`` by key;
* a ``Put`` of the item's watermark row in the ledger table, conditioned on
  ``attribute_not_exists(pk) OR wm < :wm``.

AWS: "The actions are completed atomically so that either all of them succeed or none of them
succeeds" (DynamoDB developer guide, TransactWriteItems API). So the target holds the change of the
ledger's watermark, always. A ``TransactionCanceledException`` whose cancellation reason for a ledger
action is ``ConditionalCheckFailed`` means the item already holds a newer (or the same) change: the
older one is skipped, never written. A delete keeps its ledger row, so no older put can bring the
item back. The restored table receives nothing else: no attribute, no tombstone.

Ledger rows are keyed per restore (``<restore id>#<item identity>``), so every restore starts from an
empty ledger without creating a table; rows expire by time to live (``expires_at``).

Pure functions only; the replay writer and ``pitrctl deadletters`` send the requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pitr.codec import DELETE, Change, group_id, to_client_image

# Longer than anything a ledger row must outlive: a change waits at most 14 days in the buffer and
# 14 more in its dead-letter queue (a FIFO dead-letter queue resets the enqueue time).
LEDGER_TTL_SECONDS = 35 * 24 * 3600
LEDGER_CONDITION = "attribute_not_exists(pk) OR wm < :wm"
# TransactWriteItems: "up to 100 write actions"; "The aggregate size of the items in the
# transaction cannot exceed 4 MB". Two actions per change; sizes are estimated with margin.
MAX_CHANGES_PER_TRANSACTION = 50
MAX_TRANSACTION_BYTES = 3_500_000

# Cancellation reason codes (TransactWriteItems API reference) we retry: the transaction as a whole
# was not the problem.
RETRYABLE_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
STALE_REASON = "ConditionalCheckFailed"


def ledger_key(restore_id: str, change: Change) -> str:
    """The ledger partition key of the change's item in one restore (exact identity, hashed)."""
    return f"{restore_id}#{group_id(change.key)}"


def target_action(target: str, change: Change) -> dict[str, Any]:
    """The transaction action that makes the target hold what the change left in the source."""
    if change.op == DELETE:
        return {"Delete": {"TableName": target, "Key": to_client_image(change.key)}}
    assert change.item is not None  # decode() refuses puts without an item
    return {"Put": {"TableName": target, "Item": to_client_image(change.item)}}


def ledger_action(ledger: str, restore_id: str, change: Change, now: float) -> dict[str, Any]:
    """The conditional watermark write that admits ``change`` only if it is newer than the item's."""
    wm = change.watermark
    return {
        "Put": {
            "TableName": ledger,
            "Item": {
                "pk": {"S": ledger_key(restore_id, change)},
                "wm": {"S": wm},
                "op": {"S": change.op},
                "expires_at": {"N": str(int(now) + LEDGER_TTL_SECONDS)},
            },
            "ConditionExpression": LEDGER_CONDITION,
            "ExpressionAttributeValues": {":wm": {"S": wm}},
        }
    }


def approximate_size(change: Change) -> int:
    """Upper estimate of a change's share of a transaction's 4 MB (its image as JSON)."""
    return len(repr(change.item or change.key)) + 200


def transactions(changes: Sequence[Change]) -> list[list[int]]:
    """Indices of ``changes`` in consecutive transactions within the count and size limits."""
    out: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index, change in enumerate(changes):
        cost = approximate_size(change)
        if current and (len(current) >= MAX_CHANGES_PER_TRANSACTION or size + cost > MAX_TRANSACTION_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(index)
        size += cost
    if current:
        out.append(current)
    return out


@dataclass(frozen=True)
class Verdict:
    """What a cancelled transaction says about one change: stale (skip), retry, or failed.

    ``retry`` with ``own`` False: the change's actions had no reason of their own (it was cancelled
    only because another change of the transaction failed), so it is retried at once without them.
    """

    stale: bool = False
    retry: bool = False
    own: bool = True
    failed: str | None = None


def verdicts(reasons: Sequence[Mapping[str, Any]], count: int) -> list[Verdict]:
    """Per change (two actions each: target, ledger), the meaning of ``CancellationReasons``.

    A change whose own actions show no reason was cancelled only because another change failed:
    it is retried. Reasons missing altogether (never seen; the API documents them) retry everything.
    """
    if len(reasons) != 2 * count:
        return [Verdict(retry=True)] * count
    out = []
    for index in range(count):
        target, ledger = (str(r.get("Code") or "None") for r in reasons[2 * index : 2 * index + 2])
        if ledger == STALE_REASON and target in ("None", STALE_REASON):
            out.append(Verdict(stale=True))
        elif target == ledger == "None":
            out.append(Verdict(retry=True, own=False))
        elif {target, ledger} <= {"None"} | RETRYABLE_REASONS:
            out.append(Verdict(retry=True))
        else:
            failed = ledger if ledger not in ("None", *RETRYABLE_REASONS) else target
            where = "ledger" if failed == ledger else "target"
            own = reasons[2 * index : 2 * index + 2]
            message = next((str(r["Message"]) for r in own if r.get("Message")), "")
            out.append(Verdict(failed=f"{where}: {failed} {message}".strip()))
    return out


def ledger_table_spec(name: str) -> dict[str, Any]:
    """``CreateTable`` arguments of the ledger as modules/cdc_buffer creates it (for simulations:
    tests, ``make bench``, ``pitrctl rehearse``): one string partition key ``pk``, on demand."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
