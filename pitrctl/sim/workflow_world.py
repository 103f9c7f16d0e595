"""The workflow world: the real workflow definition in moto with the real waiter and step handlers.

Built from the kit: ``clock.SimClock`` (any sleep advances time and moves the world on: due writes
reach the source, the replay poller drains the buffer), ``restores.Restores`` (CREATING period,
restore-point contents, ``RestoreSummary``), ``events.cloudtrail_restore``, ``moto_patches``
(``route_lambda`` runs in-process handlers) and ``sqs_mapping.FifoPoller`` (Lambda's FIFO poller).
The data path and settings_sync are played by ``standins``. Use it through the ``world_factory``
fixture (``tests/restore_workflow/conftest.py``), which runs moto with Step Functions executing.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import boto3
from moto.events.models import EventPattern

from pitr import clients, guard, restore_record, restore_steps, restore_waiter
from pitr.runtime import Runtime
from pitrctl import workflow
from pitrctl.sim import events, functions, moto_patches
from pitrctl.sim.clock import SimClock
from pitrctl.sim.events import ACCOUNT, REGION
from pitrctl.sim.restores import Restores, scan_all
from pitrctl.sim.sqs_mapping import FifoPoller
from pitrctl.sim.standins import SettingsSyncStandin, SubscriberStandin, replay_standin
from pitrctl.sim.tables import create_table

SOURCE = "orders"
RECORD = "/dynamodb-pitr/orders/restore"
LEDGER = "pitr-orders-ledger"
COVERAGE = "/dynamodb-pitr/orders/coverage"
STANDBY_RETENTION = functions.STANDBY_RETENTION_SECONDS
START = 1_900_000_000.0  # simulated epoch: 2030-03-17
SOURCE_ARN = events.table_arn(SOURCE)
EXECUTION_ENDED_TEMPLATE = workflow.TEMPLATES / "execution_ended.json.tftpl"


class World:
    """One source table, its buffer, the workflow and the functions, in moto."""

    def __init__(
        self,
        stack: contextlib.ExitStack,
        reminder_seconds: int = 3600,
        status_changes_delivered: bool = True,
        **config: Any,
    ) -> None:
        """``status_changes_delivered`` False: every execution status change event is lost (Step
        Functions delivers them "Best effort"), so only pitrctl abort or the next claim releases."""
        self.status_changes_delivered = status_changes_delivered
        self.fake = SimClock(START)
        self.rt = Runtime(clock=self.fake.clock, sleep=self.fake.sleep, rand=lambda: 0.999)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.lam = boto3.client("lambda", region_name=REGION)
        self.cw = boto3.client("cloudwatch", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.restores = Restores(self.fake.clock)
        self.scheduled: list[tuple[float, str, str | None]] = []
        self.late: list[tuple[float, dict[str, Any]]] = []
        self.settings = SettingsSyncStandin()
        stack.enter_context(moto_patches.restore_status(self.restores))

        create_table(self.ddb, SOURCE)
        self.ddb.create_table(**guard.ledger_table_spec(LEDGER))  # the replay sizing reads its capacity
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
            arns[name] = moto_patches.create_function(self.lam, name, role)
        self.replay_uuid = self.lam.create_event_source_mapping(
            EventSourceArn=self.queue_arn,
            FunctionName="pitr-orders-replay-writer",
            BatchSize=10,
            Enabled=False,
        )["UUID"]

        # The two functions' variables as Terraform renders them; ``config`` sets any tuning
        # variable by its lower-case name (max_restore_wait_seconds=3600).
        values = {
            **functions.RESTORE_WORKFLOW_TUNING,
            **{name.upper(): value for name, value in config.items()},
            "SOURCE_TABLE_NAME": SOURCE,
            "TARGET_TABLE_NAME_PATTERN": "orders-restored-*",
            "RESTORE_RECORD_PARAMETER": RECORD,
            "COVERAGE_PARAMETER": COVERAGE,
            "BUFFER_QUEUE_URL": self.queue_url,
            "STREAM_FAILURE_QUEUE_URL": self.failure_queue_url,
            "REPLAY_MAPPING_UUID": self.replay_uuid,
            "TOPIC_ARN": self.topic_arn,
            "LEDGER_TABLE": LEDGER,
        }
        self.waiter_cfg, self.steps_cfg = functions.restore_workflow_configs(values)
        self.subscriber = SubscriberStandin(self.ddb, self.sqs, SOURCE, self.queue_url, self.fake.clock)
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "pitr-orders-restore-waiter": lambda e: restore_waiter.handle(e, self.waiter_cfg, self.rt),
            "pitr-orders-restore-steps": lambda e: restore_steps.handle(e, self.steps_cfg, self.rt),
            "pitr-orders-settings-sync": self.settings,
            "pitr-orders-replay-writer": self._replay,
        }
        stack.enter_context(moto_patches.route_lambda(self.handlers))
        self.poller = FifoPoller(self.sqs, self.queue_url, lambda event, _context: self._replay(event))
        self.fake.hooks.append(lambda _seconds: self.tick())

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
        # The restore-ended rule as the module renders it (restore_workflow.tf).
        self.ended_rule = json.loads(
            workflow.render_text(
                EXECUTION_ENDED_TEMPLATE.read_text(), {"state_machine_arn": self.machine_arn}
            )
        )
        self.ended_pattern = EventPattern.load(json.dumps(self.ended_rule["event_pattern"]))
        self.status_changes: dict[str, dict[str, Any]] = {}  # execution ARN -> the event delivered
        self.releases: list[tuple[dict[str, Any], Any]] = []  # (steps input, result or exception)
        # The steps function sees executions as this client does (with sfn_layer's rules, once attached).
        clients.override("stepfunctions", self.sfn)

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
            for _ in range(100):
                if self.poller.poll_once() == 0:
                    break

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
            MessageBody=events.stream_failure_record(
                events.iso_seconds(last), first=events.iso_seconds(first)
            ),
        )

    def simulate_restore(
        self,
        target: str,
        takes_seconds: float | None,
        restore_point: float | None = None,
        not_found_seconds: float = 0.0,
    ) -> None:
        """A restore of the source into ``target`` holding the source as of now; ``restore_point``
        (default now) is what its ``RestoreSummary`` says; ``DescribeTable`` answers not found for
        ``not_found_seconds`` (``faults.DescribeTableNotFound``)."""
        self.restores.start(
            self.ddb,
            source=SOURCE,
            target=target,
            restore_point=self.fake.clock() if restore_point is None else restore_point,
            items=scan_all(self.ddb, SOURCE),
            takes_seconds=takes_seconds,
            not_found_seconds=not_found_seconds,
        )

    def cloudtrail_event(self, target: str, by_arn: bool = False) -> dict[str, Any]:
        return events.cloudtrail_restore(source=SOURCE, target=target, at=self.fake.clock(), by_arn=by_arn)

    def start(self, target: str, name: str, **kw: Any) -> str:
        return self.sfn.start_execution(
            stateMachineArn=self.machine_arn, name=name, input=json.dumps(self.cloudtrail_event(target, **kw))
        )["executionArn"]

    # ---- execution status changes (EventBridge) --------------------------------------------------

    def deliver_status_changes(self) -> list[dict[str, Any]]:
        """EventBridge's part: the "Step Functions Execution Status Change" event of every execution
        that ended since the last call, matched against the restore-ended rule's pattern; a match
        runs the steps function with the rule's input transformer (moto's EventBridge cannot invoke
        a Lambda target). A function error is kept in ``releases``, as Lambda's asynchronous
        invocation would retry it. Returns the events delivered by this call."""
        delivered: list[dict[str, Any]] = []
        if not self.status_changes_delivered:
            return delivered
        for summary in self.sfn.list_executions(stateMachineArn=self.machine_arn)["executions"]:
            arn = summary["executionArn"]
            if summary["status"] == "RUNNING" or arn in self.status_changes:
                continue
            described = self.execution(arn)
            if described["status"] == "RUNNING":
                continue
            stopped = described.get("stopDate")
            event = events.execution_status_change(
                execution_arn=arn,
                state_machine_arn=self.machine_arn,
                status=described["status"],
                started=described["startDate"].timestamp(),
                stopped=stopped.timestamp() if stopped else self.fake.clock(),
                error=described.get("error"),
                cause=described.get("cause"),
            )
            self.status_changes[arn] = event
            if not self.ended_pattern.matches_event(event):
                continue  # SUCCEEDED: the rule does not match
            steps_input = json.loads(
                events.transform_input(
                    event, self.ended_rule["input_paths"], self.ended_rule["input_template"]
                )
            )
            try:
                result: Any = self.handlers["pitr-orders-restore-steps"](steps_input)
            except Exception as exc:  # a function error, which Lambda's asynchronous invocation retries
                result = exc
            self.releases.append((steps_input, result))
            delivered.append(event)
        return delivered

    # ---- observing ------------------------------------------------------------------------------

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
        """Poll ``condition``; meanwhile EventBridge delivers the status changes of ended executions."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.deliver_status_changes()
            value = condition()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; history: {self.history_names()}")

    def start_parked(self, target: str, name: str, takes_seconds: float = 60) -> str:
        """Restore into ``target`` (taking ``takes_seconds``), start execution ``name`` for it and wait
        until it waits for the operator, caught up; returns the execution's ARN."""
        self.simulate_restore(target, takes_seconds=takes_seconds)
        arn = self.start(target, name)
        self.wait_parked()
        return arn

    def wait_parked(self, status: str = "caught_up", arn: str | None = None) -> restore_record.RestoreRecord:
        """Wait until execution ``arn`` (default: the record's) waits for the operator in ``status``:
        its task token in the record and the park step submitted."""
        record = self.wait_for(
            lambda: (
                (r := self.record())
                and r.status == status
                and r.task_token
                and (arn is None or r.execution_arn == arn)
                and r
            ),
            f"parked in {status}",
        )
        self.wait_for(
            lambda: self.history(record.execution_arn)[-1]["type"] == "TaskSubmitted", "the park step"
        )
        return record

    def left_enabled(self) -> list[str]:
        """What an ended restore left behind (nothing once released): replay on, retention raised, the
        record claimed."""
        left = {
            "replay mapping left enabled": self.replay_enabled(),
            "buffer retention left raised": self.retention() != STANDBY_RETENTION,
            "restore record left claimed": self.record() is not None,
        }
        return [what for what, true in left.items() if true]

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

    def _drain(self, queue_url: str, into: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Move every message of a capture queue into ``into`` (decoded); returns ``into``."""
        while True:
            messages = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return into
            for m in messages:
                into.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])

    def notifications(self) -> list[dict[str, Any]]:
        """Every EventBridge event the workflow put so far (captured through an SQS target)."""
        return self._drain(self.events_queue, self.captured)

    def detail_types(self) -> list[str]:
        return [e["detail-type"] for e in self.notifications()]

    def sns_messages(self) -> list[dict[str, Any]]:
        return self._drain(self.sns_queue, self.captured_sns)

    def retention(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["MessageRetentionPeriod"]
        )
        return int(attrs["Attributes"]["MessageRetentionPeriod"])

    def items(self, table: str) -> dict[str, dict[str, Any]]:
        return {i["pk"]["S"]: i for i in self.ddb.scan(TableName=table)["Items"]}

    def abort(self, arn: str) -> dict[str, Any]:
        """The operator aborts the parked restore of execution ``arn``; returns the ended execution."""
        self.answer("abort")
        return self.finished(arn)

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
