"""``pitrctl deadletters``: re-apply the items of the buffer's dead-letter messages, safely.

A message reaches the buffer's dead-letter queue after failing ``max_receive_count`` times; its
item may be out of date in the restored table. Redriving the message into the buffer puts it at the
end of its group, after newer changes; the replay writer's ordering guard would skip
it then, but the item could still miss the change. This command does better: per message it reads
the item's CURRENT state from the source (``GetItem`` with a consistent read) and writes it to the
restored table through the ordering guard, in one ``TransactWriteItems``:

* the target ``Put`` of the current item (or ``Delete`` when the source no longer has it);
* the ledger row of the item with the dead letter's watermark, on condition
  ``attribute_not_exists(pk) OR wm < :wm``.

Why this is right (docs/ordering.md): the source's current state is at least as new as the dead
letter's change. If the ledger already holds a newer watermark, replay has written a change at
least as new as the dead letter (the condition fails: the message is superseded, nothing is
written). Otherwise the current state is written and the watermark raised to the dead letter's:
older changes still in the buffer are skipped, newer ones (all already in the stream and the buffer)
apply after it, and the item's last change wins. A message is deleted only after its item is
applied (or found superseded); a message that cannot be applied stays in the dead-letter queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pitr import codec, guard, restore_record
from pitr.restore_record import RestoreRecord
from pitrctl import deployment as deployments
from pitrctl.errors import PitrctlError
from pitrctl.options import DeadLettersOptions
from pitrctl.ui import Ui

Aws = Callable[[str], Any]


# What the command counts: messages received, then each one's outcome.
COUNTS = ("received", "applied", "superseded", "failed")


def apply_message(ddb: Any, body: str, *, source: str, record: RestoreRecord, ledger: str, now: float) -> str:
    """Re-apply the item of one dead-letter body from the source's current state, through the guard.

    Returns ``"applied"`` or ``"superseded"``; raises ``codec.CodecError`` for a body that cannot be
    read and ``ClientError``/``BotoCoreError`` when AWS refuses (the message then stays).
    """
    decoded = codec.decode(body)
    header = decoded.change if isinstance(decoded, codec.SpillPointer) else decoded
    key = codec.to_client_image(header.key)
    item = ddb.get_item(TableName=source, Key=key, ConsistentRead=True).get("Item")
    current = codec.Change(
        op=codec.PUT if item is not None else codec.DELETE,
        key=header.key,
        time=header.time,
        seq=header.seq,  # the dead letter's watermark: see the module docstring
        event_id=header.event_id,
        item=codec.to_event_image(item) if item is not None else None,
    )
    try:
        ddb.transact_write_items(
            TransactItems=[
                guard.target_action(record.target_table, current),
                guard.ledger_action(ledger, record.restore_id, current, now),
            ]
        )
    except ClientError as exc:
        reasons = exc.response.get("CancellationReasons") or []
        if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException" and guard.verdicts(
            reasons, 1
        ) == [guard.Verdict(stale=True)]:
            return "superseded"
        raise
    return "applied"


def deadletters(
    options: DeadLettersOptions, aws: Aws, ui: Ui, clock: Callable[[], float] = time.time
) -> dict[str, Any]:
    found = deployments.load(aws("ssm"), options.table, options.ssm_prefix)
    dlq_url = found.require("cdc_buffer", "buffer_dlq_url")
    ledger = found.require("cdc_buffer", "ledger_table_name")
    record = restore_record.load(aws("ssm"), found.restore_record_parameter)
    if record is None:
        raise PitrctlError(
            f"no restore of {found.source_table} is in flight: its dead letters belong to no restored table",
            hint=f"inspect them in the SQS console ({dlq_url}) and purge the queue when done",
        )
    sqs, ddb = aws("sqs"), aws("dynamodb")
    tally = dict.fromkeys(COUNTS, 0)
    failures: list[dict[str, str]] = []
    ui.text(f"re-applying dead-lettered items into {record.target_table} from {found.source_table}")
    limit = options.max_messages
    while not limit or tally["received"] < limit:
        batch = min(10, limit - tally["received"]) if limit else 10
        messages = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=batch, VisibilityTimeout=60, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            tally["received"] += 1
            try:
                outcome = apply_message(
                    ddb,
                    message["Body"],
                    source=found.source_table,
                    record=record,
                    ledger=ledger,
                    now=clock(),
                )
            except (codec.CodecError, ClientError, BotoCoreError) as exc:
                tally["failed"] += 1
                failures.append({"message_id": message["MessageId"], "error": str(exc)})
                continue  # stays in the dead-letter queue (visible again after 60 s)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            tally[outcome] += 1
        ui.say(
            f"  {tally['received']} messages: {tally['applied']} applied, {tally['superseded']} superseded, "
            f"{tally['failed']} failed"
        )
    ui.fields("dead letters", tally)
    for failure in failures:
        ui.text(f"  failed {failure['message_id']}: {failure['error']}")
    if tally["failed"]:
        raise PitrctlError(
            f"{tally['failed']} dead-lettered messages could not be applied and stay in {dlq_url}",
            hint="fix the cause shown above (permissions, the restored table, the ledger) and run again",
        )
    return tally | {"failures": failures, "target_table": record.target_table, "dead_letter_queue": dlq_url}
