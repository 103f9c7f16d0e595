"""Property: random changes to a few hot items and many cold ones converge item for item, under
every delivery fault class AWS documents, all at once.

Fault classes (each with a random rate per example):

* refused ``SendMessageBatch`` entries and failed calls (the subscriber resends them);
* a stream batch processed again minutes later (SQS no longer deduplicates it: the older changes
  are buffered again after newer ones);
* a lost message delete: one message of a batch comes back after the visibility timeout while the
  later messages of its group were deleted;
* a visibility timeout running out under a running invocation: another invocation receives the
  same group (and what follows) and writes first; the first then writes its older batch;
* throttling and transaction conflicts of ``TransactWriteItems``, a lost response after a commit
  (read timeout), a crash after a commit (the batch comes back): the kit's classes ``throttle``,
  ``transaction_conflict``, ``lost_write_response``, ``crash`` (pitrctl.sim.faults.CountingDynamo),
  and ``send_entry``, ``send_call`` (CountingSqs);
* dead letters: messages that fail ``max_receive_count`` times move to the DLQ and are redriven to
  the end of their group at random moments (the old runbook), and at the end.

``UnprocessedItems`` no longer arises on the write path: ``TransactWriteItems`` is all-or-nothing.
"""

from __future__ import annotations

import copy
import os
import random
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pitr import clients
from pitrctl.sim.data_path import DataPath, Faults
from pitrctl.sim.faults import CLASSES as KIT_CLASSES
from pitrctl.sim.sqs_mapping import FakeContext

pytestmark = pytest.mark.slow

HOT = [("hot", i) for i in range(3)]
COLD = [("cold", i) for i in range(30)]


def key(pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


class ChaosPoller:
    """Lambda's FIFO poller with AWS's at-least-once faults, on a moto queue.

    Each poll receives up to ``batch_size`` messages (moto holds a group while a message of it is in
    flight) and invokes the writer. Faults: ``lost_delete`` loses single deletes (that message comes
    back, after later messages of its group were deleted); ``overlap`` lets the visibility timeout
    run out before the invocation writes: another invocation receives the group again and runs to
    completion first; ``max_receive_count`` moves messages to the DLQ.
    """

    def __init__(self, path: DataPath, rng: random.Random, rates: dict[str, float], dlq: str) -> None:
        self.path, self.rng, self.rates, self.dlq = path, rng, rates, dlq
        self.sqs = path.sqs.real
        self.url = path.queue_url
        self.max_receive_count = 4
        self.dead_lettered = 0

    def hit(self, name: str) -> bool:
        return self.rng.random() < self.rates[name]

    def _receive(self, batch_size: int) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=batch_size, VisibilityTimeout=900, AttributeNames=["All"]
        ).get("Messages", [])
        keep = []
        for message in got:
            if int(message["Attributes"]["ApproximateReceiveCount"]) > self.max_receive_count:
                attributes = message["Attributes"]
                self.sqs.send_message(
                    QueueUrl=self.dlq,
                    MessageBody=message["Body"],
                    MessageGroupId=attributes["MessageGroupId"],
                    MessageDeduplicationId=attributes["MessageDeduplicationId"],
                )
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                self.dead_lettered += 1
            else:
                keep.append(message)
        return keep

    def _settle(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        for message in messages:
            lost = message["MessageId"] not in failed and self.hit("lost_delete")
            try:
                if message["MessageId"] in failed or lost:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            except ClientError:
                pass  # an old receipt handle (the message was received again meanwhile)

    def poll(self, batch_size: int, depth: int = 0) -> int:
        messages = self._receive(batch_size)
        if not messages:
            return 0
        if depth == 0 and self.hit("overlap"):
            # The visibility timeout runs out before this invocation writes: the group is received
            # again by a second invocation, which finishes first.
            for message in messages:
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            self.poll(batch_size, depth + 1)
        event = {"Records": [self.path.poller._event_record(m) for m in messages]}
        try:
            response = self.path.replay_handler(event, FakeContext())
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        except Exception:  # function error or crash: the whole batch comes back
            failed = {m["MessageId"] for m in messages}
        self._settle(messages, failed)
        return len(messages)

    def redrive(self) -> int:
        """Move every DLQ message to the end of its group in the buffer (the old runbook)."""
        moved = 0
        while True:
            got = self.sqs.receive_message(QueueUrl=self.dlq, MaxNumberOfMessages=10, AttributeNames=["All"])
            if not got.get("Messages"):
                return moved
            for message in got["Messages"]:
                attributes = message["Attributes"]
                self.sqs.send_message(
                    QueueUrl=self.url,
                    MessageBody=message["Body"],
                    MessageGroupId=attributes["MessageGroupId"],
                    MessageDeduplicationId=f"redrive-{time.monotonic_ns()}",
                )
                self.sqs.delete_message(QueueUrl=self.dlq, ReceiptHandle=message["ReceiptHandle"])
                moved += 1

    def drain(self, batch_size: int, max_polls: int = 5_000) -> None:
        for _ in range(max_polls):
            if self.poll(batch_size) == 0:
                attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])[
                    "Attributes"
                ]
                if int(attributes["ApproximateNumberOfMessages"]) == 0 and self.redrive() == 0:
                    return
        raise AssertionError("the buffer did not drain")


operation = st.tuples(
    st.sampled_from(["put", "put", "update", "delete"]),
    st.booleans(),  # hot item (else cold)
    st.integers(0, 10_000),  # item choice and value
    st.sampled_from(["none", "none", "subscribe", "subscribe", "replay", "redeliver_old", "redrive"]),
)

rates = st.fixed_dictionaries(
    {
        "send_entry": st.sampled_from([0.0, 0.2, 0.4]),
        "send_call": st.sampled_from([0.0, 0.1]),
        "lost_delete": st.sampled_from([0.0, 0.15, 0.3]),
        "overlap": st.sampled_from([0.0, 0.15, 0.3]),
        "throttle": st.sampled_from([0.0, 0.1, 0.3]),
        "transaction_conflict": st.sampled_from([0.0, 0.1, 0.2]),
        "lost_write_response": st.sampled_from([0.0, 0.1]),
        "crash": st.sampled_from([0.0, 0.1]),
    }
)


@settings(max_examples=40 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 15)
@given(
    ops=st.lists(operation, min_size=5, max_size=60),
    fault_rates=rates,
    seed=st.integers(0, 2**32 - 1),
    batch_sizes=st.tuples(st.integers(1, 20), st.integers(1, 10)),
)
def test_hot_and_cold_items_converge_under_every_fault_class(
    ops: list[tuple[str, bool, int, str]],
    fault_rates: dict[str, float],
    seed: int,
    batch_sizes: tuple[int, int],
) -> None:
    stream_batch, fifo_batch = batch_sizes
    rng = random.Random(seed)
    with mock_aws():
        clients.reset()
        # The kit's fault classes at the data path's hops (CountingSqs, CountingDynamo); the poller's
        # faults (lost single deletes, overlapping invocations, redrives) are ChaosPoller's.
        faults = Faults(rng, **{name: rate for name, rate in fault_rates.items() if name in KIT_CLASSES})
        path = DataPath.create(faults=faults, batch_size=fifo_batch)
        path.writer.max_attempts = 3  # give up soon: failures reach the DLQ, then the redrive
        dlq = path.sqs.real.create_queue(
            QueueName="orders-buffer-dlq.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        poller = ChaosPoller(path, rng, fault_rates, dlq)
        clock = float(int(time.time()) - 3600)
        path.set_restore(replay_start=clock)
        history: list[dict[str, Any]] = []

        def capture() -> None:
            def recording(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
                history.append(copy.deepcopy(event))
                return path.stream_handler(event, context)

            path.driver.deliver(recording, batch_size=stream_batch)

        for kind, hot, n, then in ops:
            pk, sk = (HOT if hot else COLD)[n % (len(HOT) if hot else len(COLD))]
            item_key = key(pk, sk)
            if kind == "delete":
                path.ddb.delete_item(TableName=path.source, Key=item_key)
            elif kind == "update":
                path.ddb.update_item(
                    TableName=path.source,
                    Key=item_key,
                    UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": str(n)}},
                )
            else:
                path.ddb.put_item(
                    TableName=path.source, Item={**item_key, "v": {"N": str(n)}, "w": {"S": "x" * (n % 50)}}
                )
            clock += rng.choice([0.0, 1.0])
            path.collect(at=clock)
            if then == "subscribe":
                capture()
            elif then == "replay":
                capture()
                for _ in range(rng.randrange(1, 6)):
                    poller.poll(fifo_batch)
            elif then == "redeliver_old" and history:
                # The stream mapping processes an old batch again, minutes later (no dedup by then).
                path.stream_handler(copy.deepcopy(rng.choice(history)))
            elif then == "redrive":
                poller.redrive()

        capture()
        poller.drain(fifo_batch)
        assert path.table_items(path.target) == path.table_items(path.source)
