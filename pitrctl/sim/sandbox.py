"""An AWS account in a box: the module deployed into moto as Terraform would, plus what moto lacks.

What is real: the handlers (``pitr.*``), the workflow definition and rule pattern rendered from the
module's templates, the manifest, the names and environment of every function, moto's DynamoDB,
DynamoDB Streams, SQS, S3, SSM, Step Functions, Lambda (mappings), CloudWatch, SNS and EventBridge.

What is simulated, because moto cannot do it (``shared/notes/moto.md``):

- time: a ``SimClock`` that only the driving (main) thread advances; a handler that sleeps inside
  the workflow (the waiter) blocks until simulated time has passed, so hours pass in seconds;
- a restore that takes time and holds the source as of the restore point: moto's restore is a stub
  (ACTIVE at once, the source's items at call time), so the target is created from a snapshot and
  reported ``CREATING`` with a ``RestoreSummary`` until the simulated restore ends;
- Lambda: functions never run in containers; the workflow's Lambda tasks are routed to the
  in-process handlers, the stream mapping is driven by ``StreamDriver`` and the replay mapping by
  ``FifoPoller`` (as Lambda's pollers behave) while the workflow has the mapping enabled;
- EMF metrics: the data path's metric lines are put into moto's CloudWatch (CloudWatch Logs does
  this on AWS);
- Kinesis streaming destinations and Contributor Insights: ``DynamoDBExtrasFake``;
- CloudTrail: the ``RestoreTableToPointInTime`` event is synthesised and goes through the rule's
  rendered pattern before the workflow starts, as EventBridge would start it.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pitr import clients, environment, guard, metrics, restore_record, restore_steps, restore_waiter
from pitr import settings_sync as settings_sync_fn
from pitr.runtime import Runtime
from pitrctl import workflow
from pitrctl.sim import events, functions, lambda_layer, moto_patches, sfn_layer, sqs_dedup, worlds
from pitrctl.sim.clock import SimClock
from pitrctl.sim.events import ACCOUNT, REGION
from pitrctl.sim.faults import CountingDynamo, CountingSqs, Faults
from pitrctl.sim.restores import Restores, scan_all
from pitrctl.sim.sqs_mapping import FakeContext, FifoPoller
from pitrctl.sim.stream_mapping import StreamDriver

EVENT_PATTERN_TEMPLATE = workflow.TEMPLATE.parent / "event_pattern.json.tftpl"


@dataclass
class Names:
    """Every name the Terraform modules derive from ``name_prefix`` (kept in step with them)."""

    source: str
    prefix: str
    ssm_prefix: str

    @classmethod
    def for_table(cls, source: str) -> Names:
        return cls(source=source, prefix=f"pitr-{source}", ssm_prefix=f"dynamodb-pitr/{source}")

    @property
    def pattern(self) -> str:
        return f"{self.source}-restored-*"

    def fn(self, part: str) -> str:
        return f"{self.prefix}-{part}"

    @property
    def manifest_parameter(self) -> str:
        return f"/{self.ssm_prefix}/manifest"

    @property
    def record_parameter(self) -> str:
        return f"/{self.ssm_prefix}/restore"

    @property
    def coverage_parameter(self) -> str:
        return f"/{self.ssm_prefix}/coverage"


def render_event_pattern(values: dict[str, str]) -> dict[str, Any]:
    """The rule's pattern, rendered from the module's template with the module's map."""
    return json.loads(workflow.render_text(EVENT_PATTERN_TEMPLATE.read_text(), values))


class ReliableCallbacks:
    """Step Functions client for the operator's answers, delivering them as AWS does.

    moto can drop a ``SendTaskSuccess`` that races with the callback's registration (the answer is
    accepted but the task never resumes; moto.md). AWS does not lose an accepted answer, so while the
    execution still sits parked on the answered token, polling it sends the answer again.
    """

    def __init__(self, sfn: Any, parked: Callable[[str], bool], patience: int = 3) -> None:
        self._sfn = sfn
        self._parked = parked
        self._patience = patience
        self._pending: dict[str, Any] | None = None
        self._polls = 0

    def send_task_success(self, **kwargs: Any) -> Any:
        self._pending, self._polls = kwargs, 0
        return self._sfn.send_task_success(**kwargs)

    def describe_execution(self, **kwargs: Any) -> Any:
        result = self._sfn.describe_execution(**kwargs)
        if self._pending is not None and result["status"] == "RUNNING":
            self._polls += 1
            if self._polls >= self._patience and self._parked(kwargs["executionArn"]):
                with contextlib.suppress(Exception):  # a resumed task refuses the token: delivered
                    self._sfn.send_task_success(**self._pending)
                self._polls = 0
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sfn, name)


@dataclass
class Counters:
    changes_made: int = 0
    buffered: int = 0
    replayed: int = 0
    skipped: int = 0
    coalesced: int = 0
    duplicates: int = 0
    spilled: int = 0
    failed_sends: int = 0
    replay_invocations: int = 0
    stream_invocations: int = 0


@dataclass
class SandboxOptions:
    replay_from: str = "restore_point"
    fault_rate: float = 0.0  # every fault class at this rate (faults.CLASSES)
    faults: dict[str, float] = field(default_factory=dict)  # per-class rates, over fault_rate
    seed: int = 7
    replay_batches_per_tick: int = 200
    drain_quiet_seconds: int = 30
    active_poll_cap_seconds: int = 30
    caught_up_lag_seconds: int = 30


@dataclass
class Sandbox:
    """Build with ``Sandbox.start(...)`` inside ``with``; ``tick`` moves the world one step."""

    options: SandboxOptions
    names: Names = field(default_factory=lambda: Names.for_table("orders"))
    clock: SimClock = field(default_factory=lambda: SimClock(driver_only=True))
    counters: Counters = field(default_factory=Counters)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _handlers: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        from moto import mock_aws  # noqa: PLC0415 - moto is needed only when a rehearsal runs

        self._stack.enter_context(moto_patches.offline_environment())
        self._stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        clients.reset()
        self._stack.callback(clients.reset)
        self._stack.callback(self.clock.stop)
        self.restores = Restores(self.clock.clock)
        self._stack.enter_context(moto_patches.restore_status(self.restores))
        self._stack.enter_context(moto_patches.fast_sqs_clock())
        self._stack.enter_context(moto_patches.fast_transactions())
        self.dedup = self._stack.enter_context(sqs_dedup.dedup_interval(self.clock.clock))
        self._stack.enter_context(moto_patches.route_lambda(self._handlers))
        self.faults = Faults.every(
            self.options.fault_rate, random.Random(self.options.seed), **self.options.faults
        )
        self.clock.hooks.append(lambda _seconds: self.tick())
        self._deploy()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clock.hooks.clear()
        self._stack.close()

    def aws(self, service: str) -> Any:
        """A client of the sandbox's account (what pitrctl's commands get)."""
        if service == "stepfunctions":
            return self.operator_sfn
        return clients.client(service)  # DynamoDB's carries the extras fake

    # ---- deployment (what `terraform apply` creates) --------------------------------------------

    @property
    def source_arn(self) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.names.source}"

    def _deploy(self) -> None:
        self.ddb = clients.client("dynamodb")
        self.sqs = clients.client("sqs")
        self.ssm = clients.client("ssm")
        self.sfn = clients.client("stepfunctions")
        self.lam = clients.client("lambda")
        # One mapping per function and event source; encrypted filters null in List (lambda_layer).
        lambda_layer.attach(self.lam, encrypt_filters=lambda: self.faults.hit(self.faults.encrypted_filter))
        self.cloudwatch = clients.client("cloudwatch")
        # Stopped executions ABORTED, answers to closed ones TaskTimedOut, names taken for 90 days.
        self.execution_rules = sfn_layer.attach(self.sfn, self.clock.clock)
        self.operator_sfn = ReliableCallbacks(self.sfn, self.parked)
        self._create_source()
        self._create_data_path()
        self._create_workflow()
        self._write_manifest()

    def _create_source(self) -> None:
        """The live table with every setting a restore drops (``worlds.build_source``); this
        module's own subscriber and its mapping are made with the data path."""
        world = worlds.build_source(subscriber=False)
        self.extras = world.fake
        self.stream_arn = world.source_stream
        iam = clients.client("iam")
        self.role_arn = iam.create_role(
            RoleName="rehearse-functions",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        # moto wipes a stream that has a mapping (moto.md): the table's own list is cleared.
        moto_patches.unhook_stream_mappings(self.names.source)

    def _function(self, name: str, handler: str, env: dict[str, str] | None = None) -> str:
        return moto_patches.create_function(
            self.lam,
            name,
            self.role_arn,
            handler,
            Environment={"Variables": env or {}},
            Architectures=["arm64"],
        )

    def _create_data_path(self) -> None:
        n = self.names
        self.dlq_url = self.sqs.create_queue(
            QueueName=f"{n.prefix}-buffer-dlq.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        self.buffer_url = self.sqs.create_queue(
            QueueName=f"{n.prefix}-buffer.fifo",
            Attributes={
                **functions.buffer_queue_attributes(functions.STANDBY_RETENTION_SECONDS),
                "MaximumMessageSize": "1048576",
                "VisibilityTimeout": "360",
            },
        )["QueueUrl"]
        self.buffer_arn = self._queue_arn(self.buffer_url)
        self.failures_url = self.sqs.create_queue(QueueName=f"{n.prefix}-stream-failures")["QueueUrl"]
        s3 = clients.client("s3")
        self.spill_bucket = f"{n.prefix}-spill-{ACCOUNT}"
        s3.create_bucket(Bucket=self.spill_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

        self.subscriber_env = functions.render(
            "pitr.cdc_subscriber.handler",
            {
                "BUFFER_QUEUE_URL": self.buffer_url,
                "SPILL_BUCKET": self.spill_bucket,
                "SOURCE_TABLE_NAME": n.source,
            },
        )
        self.ledger_table = f"{n.prefix}-ledger"
        self.ddb.create_table(**guard.ledger_table_spec(self.ledger_table))
        self.writer_env = functions.render(
            "pitr.replay_writer.handler",
            {
                "LEDGER_TABLE": self.ledger_table,
                "RESTORE_RECORD_PARAMETER": n.record_parameter,
                "SOURCE_TABLE_NAME": n.source,
                "TARGET_TABLE_NAME_PATTERN": n.pattern,
                "RECORD_CACHE_SECONDS": 10,
                "REPLAY_START_MARGIN_SECONDS": 0,
            },
        )
        self._function(n.fn("cdc-subscriber"), "pitr.cdc_subscriber.handler", self.subscriber_env)
        self._function(n.fn("replay-writer"), "pitr.replay_writer.handler", self.writer_env)
        self.stream_mapping_uuid = self.lam.create_event_source_mapping(
            EventSourceArn=self.stream_arn,
            FunctionName=n.fn("cdc-subscriber"),
            StartingPosition="TRIM_HORIZON",
        )["UUID"]
        moto_patches.unhook_stream_mappings(self.names.source)
        # The replay mapping exists (the workflow switches it by UUID) but points moto at a queue
        # nobody sends to: moto would otherwise invoke the writer on every SendMessage once enabled.
        # FifoPoller plays Lambda's poller on the real buffer whenever this mapping is Enabled.
        shadow = self._queue_arn(
            self.sqs.create_queue(
                QueueName=f"{n.prefix}-replay-shadow.fifo", Attributes={"FifoQueue": "true"}
            )["QueueUrl"]
        )
        self.replay_mapping_uuid = self.lam.create_event_source_mapping(
            EventSourceArn=shadow, FunctionName=n.fn("replay-writer"), BatchSize=10, Enabled=False
        )["UUID"]

        self.emf_lines: list[str] = []
        self.sub_sqs = CountingSqs(self.sqs, self.faults)
        self.subscriber = functions.subscriber(
            self.subscriber_env, sqs=self.sub_sqs, emit=self._emit, sleep=lambda _s: None
        )
        self.writer_ddb = CountingDynamo(self.ddb, self.faults)
        # The container's record cache, on simulated time.
        cache = restore_record.RecordCache(
            lambda: restore_record.load(self.ssm, n.record_parameter),
            ttl_seconds=float(self.writer_env["RECORD_CACHE_SECONDS"]),
            clock=self.clock.clock,
        )
        self.writer = functions.replay_writer_of(
            self.writer_env,
            dynamodb=self.writer_ddb,
            records=cache.get,
            sleep=lambda _s: None,  # retries are immediate in simulated time
            clock=self.clock.clock,
            emit=self._emit,
        )
        self.driver = StreamDriver(clients.client("dynamodbstreams"), self.stream_arn, region=REGION)
        self.poller = FifoPoller(
            self.sqs,
            self.buffer_url,
            lambda event, context: self.writer.process(event["Records"]).response,
            context=FakeContext(),
            max_receive_count=100,
            dlq_url=self.dlq_url,
            lose_deletes=lambda: self.faults.hit(self.faults.lost_delete),
            lose_message_delete=lambda: self.faults.hit(self.faults.lost_message_delete),
            visibility_expires=lambda: self.faults.hit(self.faults.visibility_expired),
            throttled=lambda: self.faults.hit(self.faults.throttled_invocation),
            redriven=lambda: self.faults.hit(self.faults.dead_letter_redrive),
        )

    def _queue_arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def _create_workflow(self) -> None:
        n = self.names
        sns = clients.client("sns")
        self.topic_arn = sns.create_topic(Name=n.fn("notifications"))["TopicArn"]
        self.settings_env = functions.render(
            "pitr.settings_sync.handler",
            {
                "SOURCE_TABLE_NAME": n.source,
                "TARGET_TABLE_NAME_PATTERN": n.pattern,
                "SETTINGS_SWITCHES": "{}",
                "SETTINGS_OPTIONS": "{}",
            },
        )
        opts = self.options
        workflow_env = {
            **functions.RESTORE_WORKFLOW_TUNING,
            "REPLAY_FROM": opts.replay_from,
            "ACTIVE_POLL_CAP_SECONDS": opts.active_poll_cap_seconds,
            "CAUGHT_UP_LAG_SECONDS": opts.caught_up_lag_seconds,
            "DRAIN_QUIET_SECONDS": opts.drain_quiet_seconds,
            "SOURCE_TABLE_NAME": n.source,
            "TARGET_TABLE_NAME_PATTERN": n.pattern,
            "RESTORE_RECORD_PARAMETER": n.record_parameter,
            "COVERAGE_PARAMETER": n.coverage_parameter,
            "BUFFER_QUEUE_URL": self.buffer_url,
            "STREAM_FAILURE_QUEUE_URL": self.failures_url,
            "REPLAY_MAPPING_UUID": self.replay_mapping_uuid,
            "TOPIC_ARN": self.topic_arn,
            "LEDGER_TABLE": self.ledger_table,
        }
        self.waiter_env = functions.render_part("pitr.restore_waiter.handler", workflow_env)
        self.steps_env = functions.render_part("pitr.restore_steps.handler", workflow_env)
        arns = {
            "waiter": self._function(n.fn("restore-waiter"), "pitr.restore_waiter.handler", self.waiter_env),
            "steps": self._function(n.fn("restore-steps"), "pitr.restore_steps.handler", self.steps_env),
            "settings": self._function(
                n.fn("settings-sync"), "pitr.settings_sync.handler", self.settings_env
            ),
        }
        self.waiter_config, self.steps_config = functions.restore_workflow_configs(workflow_env)
        runtime = Runtime(
            clock=self.clock.clock, sleep=self.clock.sleep, rand=random.Random(opts.seed).random
        )
        self._handlers.update(
            {
                n.fn("restore-waiter"): lambda e: restore_waiter.handle(e, self.waiter_config, runtime),
                n.fn("restore-steps"): lambda e: restore_steps.handle(e, self.steps_config, runtime),
                n.fn("settings-sync"): self._settings_sync,
            }
        )
        self.workflow_values = workflow.values(
            source_table_name=n.source,
            waiter_function_arn=arns["waiter"],
            steps_function_arn=arns["steps"],
            settings_sync_function_arn=arns["settings"],
            stream_mapping_uuid=self.stream_mapping_uuid,
            settings={},
        )
        self.state_machine_arn = self.sfn.create_state_machine(
            name=n.fn("restore"),
            definition=workflow.render(self.workflow_values),
            roleArn=self.role_arn,
            type="STANDARD",
        )["stateMachineArn"]
        self.event_pattern = render_event_pattern(
            {
                "account_id": ACCOUNT,
                "region": REGION,
                "source_table_name": n.source,
                "source_table_arn": self.source_arn,
            }
        )

    def _settings_sync(self, event: dict[str, Any]) -> dict[str, Any]:
        request = settings_sync_fn.parse(
            event, environment.of("pitr.settings_sync.handler", self.settings_env)
        )
        context = settings_sync_fn.context_of(request, deadline=time.monotonic() + 600)
        return settings_sync_fn.run_checked(context, request.switches)

    def _write_manifest(self) -> None:
        n = self.names
        manifest = {
            "version": 1,
            "source_table_name": n.source,
            "source_table_arn": self.source_arn,
            "source_stream_arn": self.stream_arn,
            "target_table_name_pattern": n.pattern,
            "replay_from": self.options.replay_from,
            "name_prefix": n.prefix,
            "restore_record_parameter": n.record_parameter,
            "region": REGION,
            "account_id": ACCOUNT,
            "cdc_buffer": {
                "buffer_queue_url": self.buffer_url,
                "buffer_queue_arn": self.buffer_arn,
                "buffer_standby_retention_seconds": functions.STANDBY_RETENTION_SECONDS,
                "stream_mapping_uuid": self.stream_mapping_uuid,
                "replay_mapping_uuid": self.replay_mapping_uuid,
            },
            "settings_sync": {"function_name": n.fn("settings-sync")},
            "restore_watcher": {"state_machine_arn": self.state_machine_arn, "topic_arn": self.topic_arn},
        }
        self.ssm.put_parameter(Name=n.manifest_parameter, Value=json.dumps(manifest), Type="String")

    # ---- the world moving on --------------------------------------------------------------------

    def _emit(self, table: str, values: Any, properties: Any = None) -> str:
        line = metrics.emf_line(table, values, properties, timestamp_ms=int(self.clock.clock() * 1000))
        self.emf_lines.append(line)
        for datum in metrics.parse(line):
            self._count(datum.name, datum.value, properties or {})
        metrics.publish(self.cloudwatch, [line])
        return line

    def _count(self, name: str, value: float, properties: dict[str, Any]) -> None:
        c = self.counters
        if name == "BufferedChanges":
            c.buffered += int(value)
            c.stream_invocations += 1
        elif name == "SpilledChanges":
            c.spilled += int(value)
        elif name == "FailedSends":
            c.failed_sends += int(value)
        elif name == "ReplayedChanges":
            c.replayed += int(value)
            c.replay_invocations += 1
        elif name == "SkippedChanges":
            c.skipped += int(value)
        elif name == "CoalescedChanges":
            c.coalesced += int(value)
        elif name == "DuplicateChanges":
            c.duplicates += int(value)

    def replay_enabled(self) -> bool:
        return self.lam.get_event_source_mapping(UUID=self.replay_mapping_uuid)["State"] == "Enabled"

    def tick(self) -> None:
        """Stream records reach the subscriber; while replay is enabled, the poller replays."""
        with self._lock:
            self.driver.collect(at=self.clock.clock())
            self.driver.deliver(
                lambda event, context: self.subscriber.process(event["Records"]).response,
                batch_size=100,
                duplicate=lambda: self.faults.hit(self.faults.duplicate_stream),
                late_duplicate=lambda: self.faults.hit(self.faults.late_duplicate_stream),
                before_late=self._late_past_dedup_interval,
            )
            if self.replay_enabled():
                for _ in range(self.options.replay_batches_per_tick):
                    if self.poller.poll_once() == 0:
                        break

    def _late_past_dedup_interval(self) -> None:
        """faults.DeduplicationInterval: this late copy comes after the 5-minute interval."""
        if self.faults.hit(self.faults.dedup_interval):
            self.dedup.expire()

    def backlog(self) -> int:
        return self.poller.visible_and_in_flight()

    # ---- restores -------------------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """The source's items now: what a restore to this moment holds."""
        return scan_all(self.ddb, self.names.source)

    def simulate_restore(
        self, target: str, restore_point: float, items: list[dict[str, Any]], takes_seconds: float
    ) -> None:
        """``RestoreTableToPointInTime`` as AWS does it (``restores.Restores.start``)."""
        self.restores.start(
            self.ddb,
            source=self.names.source,
            target=target,
            restore_point=restore_point,
            items=items,
            takes_seconds=takes_seconds,
            not_found_seconds=30.0 if self.faults.hit(self.faults.describe_not_found) else 0.0,
        )

    def cloudtrail_event(self, target: str, restore_point: float | None) -> dict[str, Any]:
        """The event CloudTrail delivers to EventBridge for a successful restore call."""
        now = self.clock.clock()
        return events.cloudtrail_restore(
            source=self.names.source,
            target=target,
            at=now,
            restore_point=restore_point,
            event_id=f"rehearse-{int(now)}",
        )

    def deliver_event(self, event: dict[str, Any]) -> str | None:
        """EventBridge: start the workflow when the rule's pattern matches; returns the execution."""
        from moto.events.models import EventPattern  # noqa: PLC0415

        if not EventPattern.load(json.dumps(self.event_pattern)).matches_event(event):
            return None
        return self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=f"rule-{event['id']}",
            input=json.dumps(event),
        )["executionArn"]

    # ---- observing ------------------------------------------------------------------------------

    def record(self) -> restore_record.RestoreRecord | None:
        return restore_record.load(self.ssm, self.names.record_parameter)

    def parked(self, execution_arn: str) -> bool:
        """The workflow waits for the operator (moto drops an answer sent before this point)."""
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:  # oldest first; moto ignores reverseOrder
            page = self.sfn.get_execution_history(
                executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
            )
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                break
        return bool(events) and events[-1]["type"] == "TaskSubmitted"

    def run_until(self, condition: Callable[[], Any], *, step: float, limit: float, what: str) -> Any:
        """Advance simulated time in ``step``s until ``condition()`` holds; ``limit`` simulated seconds."""
        deadline = self.clock.clock() + limit
        while True:
            value = condition()
            if value:
                return value
            if self.clock.clock() >= deadline:
                raise TimeoutError(f"{what} did not happen within {limit:.0f} simulated seconds")
            self.clock.advance(step)
            time.sleep(0.002)  # let the workflow's thread run
