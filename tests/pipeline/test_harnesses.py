"""The harnesses behave like Lambda's pollers (the pipeline tests rely on it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pitrctl.sim.fifo_queue import FakeFifoQueue
from pitrctl.sim.sqs_mapping import FifoPoller, QueueStuckError
from pitrctl.sim.stream_mapping import StreamDriver, StreamStuckError
from pitrctl.sim.tables import create_table


@pytest.fixture(params=["moto", "fake"])
def queue(request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    with mock_aws():
        if request.param == "fake":
            fake = FakeFifoQueue()
            yield fake, fake.url
        else:
            sqs = boto3.client("sqs")
            url = sqs.create_queue(QueueName="h.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            yield sqs, url


def _send(sqs: Any, url: str, spec: list[tuple[str, int]]) -> None:
    for n, (group, value) in enumerate(spec):
        sqs.send_message(
            QueueUrl=url, MessageBody=f"{group}:{value}", MessageGroupId=group, MessageDeduplicationId=str(n)
        )


def test_poller_batches_hold_groups_and_redeliver_failures_in_order(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    spec = [(g, i) for i in range(9) for g in "abc"]  # 27 messages, interleaved groups
    _send(sqs, url, spec)
    applied: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    batches: list[list[str]] = []
    failed_once: set[str] = set()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        bodies = [r["body"] for r in event["Records"]]
        batches.append(bodies)
        failures: list[str] = []
        failing_groups: set[str] = set()
        for record in event["Records"]:
            group, value = record["body"].split(":")
            if group in failing_groups or (value == "4" and record["body"] not in failed_once):
                failed_once.add(record["body"])
                failing_groups.add(group)
                failures.append(record["messageId"])
                continue
            applied[group].append(int(value))
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failures]}

    stats = FifoPoller(sqs, url, handler).drain()
    assert all(1 <= len(b) <= 10 for b in batches)
    assert applied == {g: list(range(9)) for g in "abc"}  # every message once, in group order
    assert stats.failed > 0 and stats.deleted == 27


def test_poller_returns_the_batch_on_exceptions_and_stops_when_stuck(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    _send(sqs, url, [("a", 1)])

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    with pytest.raises(QueueStuckError, match="boom"):
        FifoPoller(sqs, url, handler).drain(max_polls=5)


def test_stream_driver_checkpoints_at_the_reported_record() -> None:
    with mock_aws():
        ddb = boto3.client("dynamodb")
        arn = create_table(ddb, "t", stream="NEW_AND_OLD_IMAGES")["LatestStreamArn"]
        for i in range(5):
            ddb.put_item(TableName="t", Item={"pk": {"S": f"k{i}"}, "b": {"B": b"\x01"}})
        driver = StreamDriver(boto3.client("dynamodbstreams"), arn)
        assert driver.collect(at=1234.9) == 5
        seen: list[list[str]] = []

        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            records = event["Records"]
            seen.append([r["dynamodb"]["Keys"]["pk"]["S"] for r in records])
            assert records[0]["dynamodb"]["ApproximateCreationDateTime"] == 1234.0
            assert records[0]["dynamodb"]["NewImage"]["b"] == {"B": "AQ=="}  # base64, as Lambda sends
            if len(seen) == 1:
                return {"batchItemFailures": [{"itemIdentifier": records[2]["dynamodb"]["SequenceNumber"]}]}
            return {"batchItemFailures": []}

        driver.deliver(handler, batch_size=4)
        assert seen == [["k0", "k1", "k2", "k3"], ["k2", "k3"], ["k4"]]

        def failing(event: dict[str, Any], context: Any) -> dict[str, Any]:
            raise RuntimeError("poison")

        ddb.put_item(TableName="t", Item={"pk": {"S": "k9"}})
        driver.collect()
        with pytest.raises(StreamStuckError):
            driver.deliver(failing, maximum_attempts=3)
