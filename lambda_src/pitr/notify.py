"""Notifications: one message to the SNS topic and one event on the default EventBridge bus.

Detail-types as docs/design.md#observability lists them; the detail always carries the source and
target table, the restore id, the restore point, the replay start and the counts (null while
unknown), so subscribers can filter on any of them.
"""

from __future__ import annotations

import json
from typing import Any

SOURCE = "dynamodb-pitr-restore"

STARTED = "Restore Started"
REFUSED = "Restore Refused"
TABLE_ACTIVE = "Restore Table Active"
COVERAGE_GAP = "Coverage Gap"
CAUGHT_UP = "Restore Caught Up"
CUT_OVER = "Restore Cut Over"
ABORTED = "Restore Aborted"
FAILED = "Restore Failed"
DETAIL_TYPES = (STARTED, REFUSED, TABLE_ACTIVE, COVERAGE_GAP, CAUGHT_UP, CUT_OVER, ABORTED, FAILED)

# What the operator should do next, by detail-type: the notification is where they learn it.
_NEXT_STEP = {
    STARTED: "Nothing to do yet: the workflow waits for the restored table to become ACTIVE.",
    REFUSED: "See the reason. Only one restore per source table can be in flight.",
    TABLE_ACTIVE: "Replay is on; settings are being copied.",
    COVERAGE_GAP: "Changes in the gap may be missing from the buffer. Decide: answer the workflow with "
    '{"action": "continue"} to replay anyway, or `pitrctl abort`.',
    CAUGHT_UP: "Replay is caught up and keeps mirroring. To cut over: pause writes to the source, run "
    "`pitrctl cutover`, then point the application at the restored table when told to switch.",
    CUT_OVER: "Switch now: point the application at the restored table.",
    ABORTED: "Mirroring stopped; the restored table is left as it is.",
    FAILED: "See the reason; replay is off and the restore record released. Fix and restore again.",
}

_DETAIL_KEYS = ("source_table", "target_table", "restore_id", "restore_point", "replay_start", "counts")


class NotifyError(RuntimeError):
    """EventBridge refused the event (the SNS message may already be out)."""


def build_detail(detail_type: str, **fields: Any) -> dict[str, Any]:
    """The event detail: the fixed keys (None when unknown) plus whatever else the caller adds."""
    if detail_type not in DETAIL_TYPES:
        raise ValueError(f"unknown notification detail-type {detail_type!r}; use one of {DETAIL_TYPES}")
    detail = {key: fields.get(key) for key in _DETAIL_KEYS}
    detail.update({k: v for k, v in fields.items() if k not in detail and v is not None})
    detail["next_step"] = _NEXT_STEP[detail_type]
    return detail


def subject(detail_type: str, detail: dict[str, Any]) -> str:
    """SNS subjects are limited to 100 characters and must not hold line breaks."""
    text = f"{detail_type}: {detail.get('source_table')} -> {detail.get('target_table')}"
    return " ".join(text.split())[:100]


def publish(
    detail_type: str, detail: dict[str, Any], *, topic_arn: str | None, sns: Any, events: Any
) -> None:
    """Send the SNS message (when a topic is configured) and the EventBridge event."""
    body = json.dumps(detail, sort_keys=True, indent=2, default=str)
    if topic_arn:
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject(detail_type, detail),
            Message=f"{detail_type}\n\n{detail['next_step']}\n\n{body}",
            MessageAttributes={"detail_type": {"DataType": "String", "StringValue": detail_type}},
        )
    response = events.put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "EventBusName": "default",
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise NotifyError(f"EventBridge refused the {detail_type!r} event: {response.get('Entries')}")
