"""Runs the real workflow definition in moto with the real waiter and step handlers (moto.md recipe).

What the harness simulates, because moto does not:
- a restore that takes time: moto's RestoreTableToPointInTime is a stub (ACTIVE at once, the source's
  items at call time), so the harness creates the target with the source's items as of the restore
  point and reports it CREATING (with ``RestoreSummary``) until a simulated completion time;
- time: the handlers get a fake clock whose ``sleep`` advances it and lets the world move on (the
  replay poller drains the buffer, scheduled writes reach the source), so days pass in milliseconds;
- Lambda: ``LambdaFunction._invoke_lambda`` runs in-process handlers (the waiter, the steps, and
  the stand-ins of ``standins.py``).
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from pitr import clients, restore_record, restore_waiter, restore_workflow
from pitr.watcher import Runtime, WatcherConfig
from pitrctl import workflow

from .standins import SettingsSyncStandin, SubscriberStandin, drain_buffer, replay_standin

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SOURCE = "orders"
RECORD = "/dynamodb-pitr/orders/restore"
COVERAGE = "/dynamodb-pitr/orders/coverage"
STANDBY_RETENTION = 14_400
START = 1_900_000_000.0  # fake epoch: 2030-03-17


SOURCE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{SOURCE}"


def _whole_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stream_failure_record(last: str, first: str | None = None) -> str:
    """A discarded stream batch as Lambda sends it to an SQS on-failure destination (AWS Lambda
    developer guide, "Retaining discarded records for a DynamoDB event source in Lambda")."""
    return json.dumps(
        {
            "requestContext": {
                "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pitr-orders-subscriber",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": "2030-03-17T10:00:00.021Z",
            "DDBStreamBatchInfo": {
                "shardId": "shardId-00000001573689847184-864758bb",
                "startSequenceNumber": "800000000003126276362",
                "endSequenceNumber": "800000000003126276362",
                "approximateArrivalOfFirstRecord": first or last,
                "approximateArrivalOfLastRecord": last,
                "batchSize": 1,
                "streamArn": f"{SOURCE_ARN}/stream/2030-01-01T00:00:00.000",
            },
        }
    )


class FakeClock:
    """Shared by every handler: ``sleep`` advances time and runs the world's due events."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.on_sleep: list[Callable[[], None]] = []
        self.sleeps: list[float] = []
        self._lock = threading.RLock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
        for hook in list(self.on_sleep):
            hook()

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class World:
    """One source table, its buffer, the workflow and the functions, in moto."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, reminder_seconds: int = 3600, **config: Any) -> None:
        self.fake = FakeClock()
        self.rt = Runtime(clock=self.fake.clock, sleep=self.fake.sleep, rand=lambda: 0.999)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.lam = boto3.client("lambda", region_name=REGION)
        self.cw = boto3.client("cloudwatch", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.restores: dict[str, dict[str, Any]] = {}
        self.scheduled: list[tuple[float, str, str | None]] = []
        self.late: list[tuple[float, dict[str, Any]]] = []
        self.settings = SettingsSyncStandin()
        self._patch_describe(monkeypatch)

        self.ddb.create_table(
            TableName=SOURCE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.queue_url = self.sqs.create_queue(
            QueueName="pitr-orders-buffer.fifo",
            Attributes={
                "FifoQueue": "true",
                "ContentBasedDeduplication": "false",
                "MessageRetentionPeriod": str(STANDBY_RETENTION),
                "VisibilityTimeout": "60",
            },
        )["QueueUrl"]
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        # The stream mapping's on-failure destination (a standard queue); empty unless a test fails a batch.
        self.failure_queue_url = self.sqs.create_queue(QueueName="pitr-orders-stream-failures")["QueueUrl"]
        self.topic_arn = self.sns.create_topic(Name="pitr-orders-notifications")["TopicArn"]
        self._capture_notifications()

        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        arns = {}
        for name in (
            "pitr-orders-restore-waiter",
            "pitr-orders-restore-steps",
            "pitr-orders-settings-sync",
            "pitr-orders-replay-writer",
        ):
            arns[name] = self.lam.create_function(
                FunctionName=name,
                Runtime="python3.13",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": _zip()},
            )["FunctionArn"]
        self.replay_uuid = self.lam.create_event_source_mapping(
            EventSourceArn=self.queue_arn,
            FunctionName="pitr-orders-replay-writer",
            BatchSize=10,
            Enabled=False,
        )["UUID"]

        self.cfg = WatcherConfig(
            source_table_name=SOURCE,
            target_table_name_pattern="orders-restored-*",
            replay_from=config.pop("replay_from", "restore_point"),
            restore_record_parameter=RECORD,
            coverage_parameter=COVERAGE,
            buffer_queue_url=self.queue_url,
            stream_failure_queue_url=config.pop("stream_failure_queue_url", self.failure_queue_url),
            buffer_standby_retention_seconds=STANDBY_RETENTION,
            replay_mapping_uuid=self.replay_uuid,
            topic_arn=self.topic_arn,
            **config,
        )
        self.subscriber = SubscriberStandin(self.ddb, self.sqs, SOURCE, self.queue_url, self.fake.clock)
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "pitr-orders-restore-waiter": lambda e: restore_waiter.handle(e, self.cfg, self.rt),
            "pitr-orders-restore-steps": lambda e: restore_workflow.handle(e, self.cfg, self.rt),
            "pitr-orders-settings-sync": self.settings,
            "pitr-orders-replay-writer": self._replay,
        }
        self._route_lambda(monkeypatch)
        self.fake.on_sleep.append(self.tick)

        self.definition = workflow.render(
            workflow.values(
                source_table_name=SOURCE,
                waiter_function_arn=arns["pitr-orders-restore-waiter"],
                steps_function_arn=arns["pitr-orders-restore-steps"],
                settings_sync_function_arn=arns["pitr-orders-settings-sync"],
                stream_mapping_uuid="stream-mapping-uuid",
                settings={"tags": True, "ttl": True},
                cutover_reminder_seconds=reminder_seconds,
            )
        )
        self.machine_arn = self.sfn.create_state_machine(
            name="pitr-orders-restore",
            definition=self.definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
            type="STANDARD",
        )["stateMachineArn"]

    # ---- moto patches -------------------------------------------------------------------------

    def _patch_describe(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.dynamodb.models.table import Table

        original = Table.describe
        world = self

        def describe(table: Any, base_key: str = "TableDescription") -> dict[str, Any]:
            result = original(table, base_key=base_key)
            sim = world.restores.get(table.name)
            if sim is not None:
                creating = sim["active_at"] is None or world.fake.clock() < sim["active_at"]
                result[base_key]["TableStatus"] = "CREATING" if creating else "ACTIVE"
                result[base_key]["RestoreSummary"] = {
                    "SourceTableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{SOURCE}",
                    "RestoreDateTime": sim["restore_point"],
                    "RestoreInProgress": creating,
                }
            return result

        monkeypatch.setattr(Table, "describe", describe)

    def _route_lambda(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.awslambda.models import LambdaFunction

        handlers = self.handlers

        def invoke(fn: Any, event: Any = None) -> tuple[str, bool, str]:
            payload = json.loads(event) if isinstance(event, str) else event
            try:
                return json.dumps(handlers[fn.function_name](payload)), False, ""
            except Exception as exc:
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

        monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)

    def _capture_notifications(self) -> None:
        self.events_queue = self.sqs.create_queue(QueueName="captured-events")["QueueUrl"]
        events_arn = self.sqs.get_queue_attributes(QueueUrl=self.events_queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.events.put_rule(Name="capture", EventPattern=json.dumps({"source": ["dynamodb-pitr-restore"]}))
        self.events.put_targets(Rule="capture", Targets=[{"Id": "q", "Arn": events_arn}])
        self.sns_queue = self.sqs.create_queue(QueueName="captured-sns")["QueueUrl"]
        sns_arn = self.sqs.get_queue_attributes(QueueUrl=self.sns_queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=sns_arn)
        self.captured: list[dict[str, Any]] = []
        self.captured_sns: list[dict[str, Any]] = []

    # ---- the world moving on --------------------------------------------------------------------

    def _replay(self, event: dict[str, Any]) -> Any:
        return replay_standin(
            event,
            source_table=SOURCE,
            dynamodb=self.ddb,
            ssm=self.ssm,
            cloudwatch=self.cw,
            record_parameter=RECORD,
            clock=self.fake.clock,
        )

    def replay_enabled(self) -> bool:
        return self.lam.get_event_source_mapping(UUID=self.replay_uuid)["State"] == "Enabled"

    def tick(self) -> None:
        """Time passed: due writes reach the source (and the buffer), the replay poller runs."""
        now = self.fake.clock()
        due = [w for w in self.scheduled if w[0] <= now]
        self.scheduled = [w for w in self.scheduled if w[0] > now]
        for _, key, value in due:
            self.subscriber.write(key, value)
        late = [c for c in self.late if c[0] <= now]
        self.late = [c for c in self.late if c[0] > now]
        for _, change in late:
            self.subscriber.buffer(change)
        if self.replay_enabled():
            drain_buffer(self.sqs, self.queue_url, self._replay)

    def schedule_writes(self, start_in: float, every: float, writes: list[tuple[str, str | None]]) -> None:
        base = self.fake.clock() + start_in
        self.scheduled += [(base + i * every, k, v) for i, (k, v) in enumerate(writes)]

    def write_delivered_late(self, key: str, value: str | None, delay: float) -> None:
        """A source write whose stream record reaches the buffer ``delay`` seconds later."""
        self.late.append((self.fake.clock() + delay, self.subscriber.write_source_only(key, value)))

    # ---- restores -------------------------------------------------------------------------------

    def discard_stream_batch(self, first: float, last: float) -> None:
        """The stream mapping gave up on a batch whose records arrived between ``first`` and ``last``."""
        self.sqs.send_message(
            QueueUrl=self.failure_queue_url,
            MessageBody=stream_failure_record(_whole_seconds(last), first=_whole_seconds(first)),
        )

    def simulate_restore(
        self, target: str, takes_seconds: float | None, restore_point: float | None = None
    ) -> None:
        """A restore of the source into ``target`` holding the source as of now (the restore point)."""
        point = self.fake.clock() if restore_point is None else restore_point
        items = self.ddb.scan(TableName=SOURCE)["Items"]
        self.ddb.create_table(
            TableName=target,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for item in items:
            self.ddb.put_item(TableName=target, Item=item)
        self.restores[target] = {
            "restore_point": datetime.fromtimestamp(point, tz=UTC),
            "active_at": None if takes_seconds is None else self.fake.clock() + takes_seconds,
        }

    def cloudtrail_event(self, target: str, by_arn: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"targetTableName": target, "useLatestRestorableTime": True}
        if by_arn:
            params["sourceTableArn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{SOURCE}"
        else:
            params["sourceTableName"] = SOURCE
        when = datetime.fromtimestamp(self.fake.clock(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "version": "0",
            "id": "6f1b1d2e-0000-4000-8000-000000000001",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.dynamodb",
            "account": ACCOUNT,
            "time": when,
            "region": REGION,
            "resources": [],
            "detail": {
                "eventVersion": "1.09",
                "eventTime": when,
                "eventSource": "dynamodb.amazonaws.com",
                "eventName": "RestoreTableToPointInTime",
                "awsRegion": REGION,
                "requestParameters": params,
                "recipientAccountId": ACCOUNT,
            },
        }

    def start(self, target: str, name: str, **kw: Any) -> str:
        return self.sfn.start_execution(
            stateMachineArn=self.machine_arn, name=name, input=json.dumps(self.cloudtrail_event(target, **kw))
        )["executionArn"]

    # ---- observing ------------------------------------------------------------------------------

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; history: {self.history_names()}")

    def execution(self, arn: str) -> dict[str, Any]:
        return self.sfn.describe_execution(executionArn=arn)

    def finished(self, arn: str, timeout: float = 60.0) -> dict[str, Any]:
        return self.wait_for(
            lambda: (d := self.execution(arn))["status"] != "RUNNING" and d,
            f"execution {arn} to finish",
            timeout,
        )

    def history(self, arn: str) -> list[dict[str, Any]]:
        events, token = [], None
        while True:
            kw = {"nextToken": token} if token else {}
            page = self.sfn.get_execution_history(executionArn=arn, maxResults=1000, **kw)
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events

    def history_names(self) -> list[str]:
        out = []
        for ex in self.sfn.list_executions(stateMachineArn=self.machine_arn)["executions"]:
            out.append(
                ex["name"]
                + ": "
                + ", ".join(
                    e.get("stateEnteredEventDetails", {}).get("name", "")
                    for e in self.history(ex["executionArn"])
                    if e["type"].endswith("StateEntered")
                )
            )
        return out

    def record(self) -> restore_record.RestoreRecord | None:
        return restore_record.load(self.ssm, RECORD)

    def notifications(self) -> list[dict[str, Any]]:
        """Every EventBridge event the workflow put so far (captured through an SQS target)."""
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.events_queue, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not msgs:
                break
            for m in msgs:
                self.captured.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.events_queue, ReceiptHandle=m["ReceiptHandle"])
        return self.captured

    def detail_types(self) -> list[str]:
        return [e["detail-type"] for e in self.notifications()]

    def sns_messages(self) -> list[dict[str, Any]]:
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.sns_queue, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not msgs:
                break
            for m in msgs:
                self.captured_sns.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.sns_queue, ReceiptHandle=m["ReceiptHandle"])
        return self.captured_sns

    def retention(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["MessageRetentionPeriod"]
        )
        return int(attrs["Attributes"]["MessageRetentionPeriod"])

    def items(self, table: str) -> dict[str, dict[str, Any]]:
        return {i["pk"]["S"]: i for i in self.ddb.scan(TableName=table)["Items"]}

    def answer(self, action: str) -> None:
        """The operator's answer (what pitrctl cutover/abort sends), with the token from the record.

        Sent once the task is parked (its last history event is TaskSubmitted), as an operator does
        after the notification: moto drops a token that arrives before it registers the callback.
        """
        record = self.record()
        assert record is not None and record.task_token, "no task token in the restore record"
        arn = record.execution_arn
        self.wait_for(lambda: self.history(arn)[-1]["type"] == "TaskSubmitted", "the task to be parked")
        self.sfn.send_task_success(taskToken=record.task_token, output=json.dumps({"action": action}))


@pytest.fixture
def world_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., World]]:
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients.reset()
        yield lambda **kw: World(monkeypatch, **kw)
    clients.reset()
