"""Contract tests: the kit produces each fault class as the AWS sentence in its docstring says.

End-to-end tests under the fault classes today's code does not survive are marked
``xfail(strict=True)`` with the issue that fixes them; that change removes the mark.
"""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pitrctl.sim import faults as kit_faults
from pitrctl.sim.clock import SimClock
from pitrctl.sim.data_path import DataPath
from pitrctl.sim.faults import CountingDynamo, CountingSqs, Faults, FlakySsm
from pitrctl.sim.restores import Restores
from pitrctl.sim.sqs_mapping import FifoPoller
from pitrctl.sim.stream_mapping import StreamDriver
from pitrctl.sim.tables import create_table


def test_every_class_is_named_documented_and_turned_on_by_one_rate() -> None:
    everything = Faults.every(0.25)
    for name, cls in kit_faults.CLASSES.items():
        assert issubclass(cls, kit_faults.Fault)
        assert cls.__doc__ and "AWS" in cls.__doc__ and '"' in cls.__doc__, f"{name}: quote AWS"
        assert getattr(everything, name).rate == 0.25
    assert Faults(throttle=0.5).rates() == {"throttle": 0.5}
    with pytest.raises(ValueError, match="unknown fault classes"):
        Faults(no_such_fault=0.1)


def _fifo(sqs: Any) -> str:
    return sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def test_lost_message_delete_comes_back_after_its_newer_group_mates(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = _fifo(sqs)
    for n in (1, 2, 3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n), MessageGroupId="g", MessageDeduplicationId=str(n))
    seen: list[list[str]] = []
    losses = iter([True, False, False])  # the first message's delete is lost, the others' are not

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        seen.append([r["body"] for r in event["Records"]])
        return {"batchItemFailures": []}

    poller = FifoPoller(sqs, url, handler, lose_message_delete=lambda: next(losses, False))
    poller.drain()
    assert seen == [["1", "2", "3"], ["1"]], "message 1 again, after 2 and 3 were applied and deleted"
    assert poller.stats.lost_message_deletes == 1


def test_late_duplicate_stream_batch_arrives_after_newer_batches(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    arn = create_table(ddb, "t", stream="NEW_AND_OLD_IMAGES")["LatestStreamArn"]
    driver = StreamDriver(boto3.client("dynamodbstreams"), arn)
    seen: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> None:
        seen.extend(r["dynamodb"]["NewImage"]["v"]["S"] for r in event["Records"])

    late = iter([True])
    for value in ("1", "2"):
        ddb.put_item(TableName="t", Item={"pk": {"S": "k"}, "v": {"S": value}})
    driver.collect()
    driver.deliver(handler, batch_size=1, late_duplicate=lambda: next(late, False))
    ddb.put_item(TableName="t", Item={"pk": {"S": "k"}, "v": {"S": "3"}})
    driver.collect()
    driver.deliver(handler, batch_size=1, late_duplicate=lambda: False)
    assert seen == ["1", "2", "1", "3"], "the first batch again, after the newer one"


def test_describe_table_not_found_for_a_while_after_the_restore_call(aws: None) -> None:
    from moto.dynamodb.models.table import Table  # noqa: F401 - moto loaded

    from pitrctl.sim import moto_patches

    ddb = boto3.client("dynamodb")
    create_table(ddb, "orders")
    clock = SimClock()
    restores = Restores(clock.clock)
    with moto_patches.restore_status(restores):
        restores.start(
            ddb,
            source="orders",
            target="orders-restored-1",
            restore_point=clock.clock(),
            items=[],
            takes_seconds=60,
            not_found_seconds=10,
        )
        with pytest.raises(ddb.exceptions.ResourceNotFoundException):
            ddb.describe_table(TableName="orders-restored-1")
        clock.advance(11)
        assert ddb.describe_table(TableName="orders-restored-1")["Table"]["TableStatus"] == "CREATING"


def test_too_many_updates_on_put_parameter(aws: None) -> None:
    ssm = FlakySsm(boto3.client("ssm"), Faults(too_many_updates=1.0))
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name="/p", Value="v", Type="String")
    assert raised.value.response["Error"]["Code"] == "TooManyUpdates"


def test_send_message_batch_partial_failure_and_throttled_call(aws: None) -> None:
    real = boto3.client("sqs")
    url = _fifo(real)
    entries = [
        {"Id": str(n), "MessageBody": str(n), "MessageGroupId": "g", "MessageDeduplicationId": str(n)}
        for n in range(10)
    ]
    partial = CountingSqs(real, Faults(random.Random(1), send_entry=0.5))
    response = partial.send_message_batch(QueueUrl=url, Entries=entries)
    assert response["Failed"] and response["Successful"], "a mix of successes and failures in one 200"
    throttled = CountingSqs(real, Faults(send_call=1.0))
    with pytest.raises(ClientError, match="RequestThrottled"):
        throttled.send_message_batch(QueueUrl=url, Entries=entries)


def test_batch_write_throttled_and_unprocessed_items(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    create_table(ddb, "t")
    requests = {"t": [{"PutRequest": {"Item": {"pk": {"S": str(n)}}}} for n in range(10)]}
    with pytest.raises(ClientError, match="ProvisionedThroughputExceededException"):
        CountingDynamo(ddb, Faults(throttle=1.0)).batch_write_item(RequestItems=requests)
    left = CountingDynamo(ddb, Faults(random.Random(2), unprocessed=0.5)).batch_write_item(
        RequestItems=requests
    )
    unprocessed = left["UnprocessedItems"]["t"]
    assert 0 < len(unprocessed) < 10
    assert ddb.scan(TableName="t")["Count"] == 10 - len(unprocessed)


# ---- end to end: the data path under the classes ------------------------------------------------


def test_the_data_path_survives_a_lost_message_delete(aws: None) -> None:
    path = DataPath.create(faults=Faults(random.Random(4), lost_message_delete=0.5))
    path.replay_one_item(writes=5)
    assert path.poller.stats.lost_message_deletes > 0
    assert path.table_items(path.target) == path.table_items(path.source)


def test_the_data_path_survives_a_late_duplicate_stream_batch(aws: None) -> None:
    path = DataPath.create(faults=Faults(random.Random(4), late_duplicate_stream=0.5))
    path.replay_one_item(writes=5)
    assert path.driver.stats.duplicate_invocations > 0
    assert path.table_items(path.target) == path.table_items(path.source)
