"""The 5-minute deduplication interval of SQS FIFO queues, over moto (``faults.DeduplicationInterval``).

moto deduplicates a ``MessageDeduplicationId`` only against the messages still in the queue (and on
wall-clock time): once the first copy is received and deleted, a resend is delivered again. AWS keeps
the id for 5 minutes after the first send, deleted or not, within the queue's ``DeduplicationScope``
(``messageGroup``: per group), and a resend after the interval is a new message. Here the interval is
measured on the simulation's clock.

Usage::

    with dedup_interval(clock.clock) as window:
        ...send, receive, delete...
        window.expire()        # every remembered id is older than the interval (a late resend)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

DEDUPLICATION_INTERVAL_SECONDS = 300.0


class DedupWindow:
    """The ids each FIFO queue has seen, with when it first saw them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.first_seen: dict[tuple[str, str, str], float] = {}

    def admit(self, queue: str, scope: str, dedup: str) -> bool:
        """True when a message with this id is new to the queue now (and remember it)."""
        key, now = (queue, scope, dedup), self.clock()
        first = self.first_seen.get(key)
        if first is not None and now - first < DEDUPLICATION_INTERVAL_SECONDS:
            return False
        self.first_seen[key] = now
        return True

    def expire(self) -> None:
        """Forget every id, as if the interval had passed for all of them."""
        self.first_seen.clear()


@contextlib.contextmanager
def dedup_interval(clock: Callable[[], float]) -> Iterator[DedupWindow]:
    from unittest import mock  # noqa: PLC0415

    from moto.sqs.models import Queue  # noqa: PLC0415 - moto only when simulating

    window = DedupWindow(clock)
    original = Queue.add_message

    def add_message(queue: Any, message: Any) -> None:
        dedup = message.deduplication_id
        if not queue.fifo_queue or not dedup:
            return original(queue, message)
        scope = message.group_id if queue.attributes.get("DeduplicationScope") == "messageGroup" else ""
        if not window.admit(queue.queue_arn, scope or "", dedup):
            return None  # accepted, not delivered (a duplicate within the interval)
        # moto's own check (against queued messages, on wall-clock time) must not drop it: hide the id.
        message.deduplication_id = f"{dedup}#{window.clock()}"
        try:
            return original(queue, message)
        finally:
            message.deduplication_id = dedup

    with mock.patch.object(Queue, "add_message", add_message):
        yield window
