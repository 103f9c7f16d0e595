"""SQS's approximate message counts, as the restore workflow's functions read them."""

from __future__ import annotations

from typing import Any


def queued(sqs: Any, queue_url: str) -> int:
    """Messages in the queue: visible plus in flight (received, not yet deleted)."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs.get("ApproximateNumberOfMessages", 0)) + int(
        attrs.get("ApproximateNumberOfMessagesNotVisible", 0)
    )
