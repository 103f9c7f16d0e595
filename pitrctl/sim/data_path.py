"""The whole data path wired against an active moto: source table -> stream -> subscriber -> FIFO
buffer -> replay writer -> target table, with optional fault injection at every hop.

Used by the pipeline tests and ``make bench``; the restore workflow's tests and ``pitrctl rehearse``
can reuse it (or only :class:`~pipeline.stream_driver.StreamDriver` and
:class:`~pipeline.fifo_poller.FifoPoller`).

Usage (inside ``moto.mock_aws()``)::

    path = DataPath.create(source="orders", target="orders-restored-1")
    ...write to path.source...
    path.capture()                        # stream -> subscriber -> buffer
    path.set_restore(replay_start=...)    # what the workflow's restore record would say
    path.replay()                         # buffer -> writer -> target, until the buffer is empty
    assert path.table_items(path.source) == path.table_items(path.target)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from pitr import coverage, guard, restore_record
from pitr.cdc_subscriber import Subscriber
from pitr.replay_writer import ReplayWriter
from pitrctl.sim import functions
from pitrctl.sim.events import TTL_IDENTITY
from pitrctl.sim.faults import CountingDynamo, CountingSqs, Crash, Faults
from pitrctl.sim.sqs_mapping import FakeContext, FifoPoller
from pitrctl.sim.stream_mapping import StreamDriver
from pitrctl.sim.tables import create_table

__all__ = ["CountingDynamo", "CountingSqs", "Crash", "DataPath", "Faults"]


@dataclass
class DataPath:
    """Every piece of the data path for one source table, inside an active moto."""

    source: str
    target: str
    pattern: str
    queue_url: str
    bucket: str
    ddb: Any
    sqs: CountingSqs
    writer_ddb: CountingDynamo
    driver: StreamDriver
    subscriber: Subscriber
    writer: ReplayWriter
    poller: FifoPoller
    faults: Faults
    record: restore_record.RestoreRecord | None = None
    metrics: functions.MetricLines = field(default_factory=functions.MetricLines)

    @classmethod
    def create(
        cls,
        *,
        source: str = "orders",
        target: str = "orders-restored-1",
        faults: Faults | None = None,
        body_limit: int | None = None,
        batch_size: int = 10,
        key_schema: tuple[tuple[str, str], ...] = (("pk", "S"), ("sk", "N")),
        create_target: bool = True,
        queue: Any = None,
    ) -> DataPath:
        """Build every piece; ``queue`` replaces moto's SQS queue (e.g. ``FakeFifoQueue`` for
        ``make bench``: it must offer the SQS client calls and a ``url``)."""
        faults = faults or Faults()
        ddb = boto3.client("dynamodb")
        stream_arn = create_table(ddb, source, key_schema, stream="NEW_AND_OLD_IMAGES")["LatestStreamArn"]
        if create_target:
            create_table(ddb, target, key_schema)
        ledger = f"{source}-ledger"
        ddb.create_table(**guard.ledger_table_spec(ledger))
        sqs_real = queue if queue is not None else boto3.client("sqs")
        queue_url = (
            queue.url
            if queue is not None
            else sqs_real.create_queue(
                QueueName=f"{source}-buffer.fifo",
                Attributes=functions.buffer_queue_attributes(coverage.RESTORE_RETENTION_SECONDS),
            )["QueueUrl"]
        )
        s3 = boto3.client("s3")
        bucket = f"{source}-spill"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
        sqs = CountingSqs(sqs_real, faults)
        writer_ddb = CountingDynamo(ddb, faults)
        emit = functions.MetricLines()
        pattern = f"{source}-restored-*"
        subscriber = functions.subscriber(
            functions.render(
                "pitr.cdc_subscriber.handler",
                {"BUFFER_QUEUE_URL": queue_url, "SPILL_BUCKET": bucket, "SOURCE_TABLE_NAME": source},
            ),
            sqs=sqs,
            s3=s3,
            emit=emit,
            sleep=lambda _: None,  # resends are immediate in simulated time
        )
        if body_limit is not None:
            subscriber.body_limit = body_limit
        path = cls(
            source=source,
            target=target,
            pattern=pattern,
            queue_url=queue_url,
            bucket=bucket,
            ddb=ddb,
            sqs=sqs,
            writer_ddb=writer_ddb,
            driver=StreamDriver(boto3.client("dynamodbstreams"), stream_arn, region=ddb.meta.region_name),
            subscriber=subscriber,
            writer=None,  # type: ignore[arg-type]
            poller=None,  # type: ignore[arg-type]
            faults=faults,
            metrics=emit,
        )
        writer_env = {
            "LEDGER_TABLE": ledger,
            "RESTORE_RECORD_PARAMETER": f"/dynamodb-pitr/{source}/restore",
            "SOURCE_TABLE_NAME": source,
            "TARGET_TABLE_NAME_PATTERN": pattern,
            "RECORD_CACHE_SECONDS": 10,
            "REPLAY_START_MARGIN_SECONDS": 0,
        }
        path.writer = functions.replay_writer_of(
            functions.render("pitr.replay_writer.handler", writer_env),
            dynamodb=writer_ddb,
            s3=s3,
            records=lambda: path.record,
            sleep=lambda _: None,  # retries are immediate in simulated time
            emit=emit,
        )
        path.poller = FifoPoller(
            sqs_real,
            queue_url,
            path.replay_handler,
            batch_size=batch_size,
            lose_deletes=lambda: faults.hit(faults.lost_delete),
            lose_message_delete=lambda: faults.hit(faults.lost_message_delete),
            visibility_expires=lambda: faults.hit(faults.visibility_expired),
            throttled=lambda: faults.hit(faults.throttled_invocation),
            redriven=lambda: faults.hit(faults.dead_letter_redrive),
        )
        return path

    # -- handlers as Lambda would call them ------------------------------------------------------

    def stream_handler(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        return self.subscriber.process(event["Records"]).response

    def replay_handler(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        deadline = None
        if isinstance(context, FakeContext):
            deadline = self.writer.clock() + context.get_remaining_time_in_millis() / 1000.0
        return self.writer.process(event["Records"], deadline).response

    # -- steps -----------------------------------------------------------------------------------

    def set_restore(self, replay_start: float, restore_point: float | None = None) -> None:
        """Write what the workflow's restore record would hold for a replaying restore."""
        self.record = restore_record.RestoreRecord(
            restore_id="r-1",
            target_table=self.target,
            status=restore_record.REPLAYING,
            replay_from="restore_point",
            restore_point=restore_record.format_time(
                restore_point if restore_point is not None else replay_start
            ),
            replay_start=restore_record.format_time(replay_start),
        )

    def collect(self, at: float | None = None, ttl: bool = False) -> int:
        return self.driver.collect(at=at, user_identity=TTL_IDENTITY if ttl else None)

    def capture(self, batch_size: int = 100) -> None:
        """Deliver every collected stream record through the subscriber into the buffer."""
        self.driver.deliver(
            self.stream_handler,
            batch_size=batch_size,
            duplicate=lambda: self.faults.hit(self.faults.duplicate_stream),
            late_duplicate=lambda: self.faults.hit(self.faults.late_duplicate_stream),
        )

    def replay(self, max_polls: int = 100_000) -> None:
        """Run the replay writer until the buffer is empty."""
        self.poller.drain(max_polls=max_polls)

    def replay_one_item(self, writes: int, stream_polls: int = 2) -> None:
        """Write one source item ``writes`` times, capture its changes one stream record per batch in
        ``stream_polls`` polls (a later poll brings any late duplicate batch), then replay them all."""
        self.set_restore(replay_start=0.0)
        for value in range(1, writes + 1):
            item = {"pk": {"S": "k"}, "sk": {"N": "0"}, "v": {"N": str(value)}}
            self.ddb.put_item(TableName=self.source, Item=item)
        self.collect(at=1_900_000_000.0)
        for _ in range(stream_polls):
            self.capture(batch_size=1)
        self.replay()

    def snapshot_into_target(self) -> None:
        """Simulate the restore: the target holds the source as of now (moto's restore is a stub)."""
        for item in self.table_items(self.source).values():
            self.ddb.put_item(TableName=self.target, Item=item)

    def table_items(self, table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Every item of ``table`` by primary key (as compared in tests)."""
        key_names = [
            k["AttributeName"] for k in self.ddb.describe_table(TableName=table)["Table"]["KeySchema"]
        ]
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"TableName": table}
        while True:
            page = self.ddb.scan(**kwargs)
            for item in page["Items"]:
                out[tuple(str(item[k]) for k in key_names)] = item
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def metric_values(self, name: str) -> list[float]:
        return self.metrics.values(name)
