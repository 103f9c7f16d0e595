"""The ordering guard's pure parts: actions, cancellation reasons, transaction sizes."""

from __future__ import annotations

from pitr import codec, guard


def change(n: int, op: str = codec.PUT, size: int = 10) -> codec.Change:
    keys = {"pk": {"S": f"k{n}"}}
    return codec.Change(
        op=op,
        key=keys,
        time=1.0,
        seq=str(10**20 + n),
        event_id=f"e{n}",
        item={**keys, "blob": {"S": "x" * size}} if op == codec.PUT else None,
    )


def test_ledger_action_is_conditional_on_an_older_watermark_and_expires() -> None:
    action = guard.ledger_action("ledger", "r-1", change(1), now=1000.0)["Put"]
    assert action["ConditionExpression"] == "attribute_not_exists(pk) OR wm < :wm"
    assert action["ExpressionAttributeValues"] == {":wm": {"S": codec.watermark(str(10**20 + 1))}}
    assert action["Item"]["pk"]["S"] == f"r-1#{codec.group_id({'pk': {'S': 'k1'}})}"
    assert int(action["Item"]["expires_at"]["N"]) == 1000 + guard.LEDGER_TTL_SECONDS


def test_target_actions_put_the_image_or_delete_by_key() -> None:
    assert guard.target_action("t", change(1))["Put"]["Item"]["pk"] == {"S": "k1"}
    assert guard.target_action("t", change(2, codec.DELETE)) == {
        "Delete": {"TableName": "t", "Key": {"pk": {"S": "k2"}}}
    }


def reasons(*codes: str) -> list[dict[str, str]]:
    return [{"Code": code} for code in codes]


def test_verdicts_read_cancellation_reasons_per_change() -> None:
    got = guard.verdicts(
        reasons(
            "None",
            "ConditionalCheckFailed",  # older change: stale
            "None",
            "None",  # cancelled only because of the others: at once
            "None",
            "TransactionConflict",  # contended: back off
            "ValidationError",
            "None",  # the target refuses it
            "None",
            "ResourceNotFound",  # the ledger refuses it
        ),
        5,
    )
    assert got[0] == guard.Verdict(stale=True)
    assert got[1] == guard.Verdict(retry=True, own=False)
    assert got[2] == guard.Verdict(retry=True)
    assert got[3].failed is not None and got[3].failed.startswith("target: ValidationError")
    assert got[4].failed is not None and got[4].failed.startswith("ledger: ResourceNotFound")


def test_missing_reasons_retry_everything() -> None:
    assert guard.verdicts([], 2) == [guard.Verdict(retry=True)] * 2


def test_transactions_stay_within_100_actions_and_4_mb() -> None:
    many = [change(n) for n in range(120)]
    assert [len(t) for t in guard.transactions(many)] == [50, 50, 20]
    big = [change(n, size=390_000) for n in range(20)]
    chunks = guard.transactions(big)
    assert all(
        sum(guard.approximate_size(big[i]) for i in chunk) <= guard.MAX_TRANSACTION_BYTES for chunk in chunks
    )
    assert sorted(i for chunk in chunks for i in chunk) == list(range(20))
