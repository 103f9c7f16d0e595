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
import io
import json
import os
import random
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from pitr import clients, guard, metrics, restore_record, restore_waiter, restore_workflow
from pitr import settings_sync as settings_sync_fn
from pitr.backoff import Backoff
from pitr.cdc_subscriber import Subscriber
from pitr.replay_writer import ReplayWriter
from pitr.settings_sync.context import SyncContext
from pitr.watcher import Runtime, WatcherConfig
from pitrctl import workflow
from pitrctl.rehearse.dynamodb_extras import DynamoDBExtrasFake
from pitrctl.rehearse.faults import CountingDynamo, CountingSqs, Faults
from pitrctl.rehearse.fifo_poller import FakeContext, FifoPoller
from pitrctl.rehearse.stream_driver import StreamDriver

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SIM_START = 1_893_456_000.0  # 2030-01-01T00:00:00Z: simulated time never meets the wall clock
EVENT_PATTERN_TEMPLATE = workflow.TEMPLATE.parent / "event_pattern.json.tftpl"


class SimClock:
    """Simulated epoch seconds. Only the driving thread advances time; other threads wait for it."""

    def __init__(self, start: float = SIM_START) -> None:
        self.now = start
        self._cond = threading.Condition()
        self._driver = threading.get_ident()
        self.on_advance: Callable[[float], None] | None = None
        self.stopped = False

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._cond:
            self.now += seconds
            self._cond.notify_all()
        if self.on_advance is not None:
            self.on_advance(seconds)

    def sleep(self, seconds: float) -> None:
        """The driving thread moves the world on; any other thread waits until time has passed."""
        if threading.get_ident() == self._driver:
            self.advance(seconds)
            return
        wake = self.now + seconds
        with self._cond:
            while self.now < wake and not self.stopped:
                self._cond.wait(timeout=0.05)

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()


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


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pitr/README", "placeholder: the sandbox runs the handlers in-process\n")
    return buffer.getvalue()


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
class Restore:
    target: str
    restore_point: float
    active_at: float
    items: list[dict[str, Any]]


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
    fault_rate: float = 0.0
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
    clock: SimClock = field(default_factory=SimClock)
    counters: Counters = field(default_factory=Counters)
    restores: dict[str, Restore] = field(default_factory=dict)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _handlers: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        from moto import mock_aws  # noqa: PLC0415 - moto is needed only when a rehearsal runs

        self._stack.enter_context(
            mock.patch.dict(
                os.environ,
                {
                    "AWS_ACCESS_KEY_ID": "rehearse",
                    "AWS_SECRET_ACCESS_KEY": "rehearse",
                    "AWS_SESSION_TOKEN": "rehearse",
                    "AWS_DEFAULT_REGION": REGION,
                    "AWS_REGION": REGION,
                    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                },
            )
        )
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):  # restored by the patch above on exit
            os.environ.pop(name, None)
        self._stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        clients.reset()
        self._stack.callback(clients.reset)
        self._stack.callback(self.clock.stop)
        self._patch_moto()
        self.faults = Faults(rng=random.Random(self.options.seed))
        if self.options.fault_rate:
            rate = self.options.fault_rate
            self.faults.send_entry = rate
            self.faults.throttle = rate
            self.faults.unprocessed = rate
            self.faults.duplicate_stream = rate
            self.faults.lost_delete = rate / 2
        self.clock.on_advance = lambda _seconds: self.tick()
        self._deploy()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clock.on_advance = None
        self._stack.close()

    def aws(self, service: str) -> Any:
        """A client of the sandbox's account (what pitrctl's commands get)."""
        if service == "stepfunctions":
            return self.operator_sfn
        return clients.client(service)  # DynamoDB's carries the extras fake

    # ---- moto patches ---------------------------------------------------------------------------

    def _patch_moto(self) -> None:
        from moto.awslambda.models import LambdaFunction  # noqa: PLC0415
        from moto.dynamodb.models.table import Table  # noqa: PLC0415

        original_describe = Table.describe
        sandbox = self

        def describe(table: Any, base_key: str = "TableDescription") -> dict[str, Any]:
            result = original_describe(table, base_key=base_key)
            restore = sandbox.restores.get(table.name)
            if restore is not None:
                creating = sandbox.clock.clock() < restore.active_at
                result[base_key]["TableStatus"] = "CREATING" if creating else "ACTIVE"
                result[base_key]["RestoreSummary"] = {
                    "SourceTableArn": sandbox.source_arn,
                    "RestoreDateTime": datetime.fromtimestamp(restore.restore_point, tz=UTC),
                    "RestoreInProgress": creating,
                }
            return result

        def invoke(function: Any, event: Any = None) -> tuple[str, bool, str]:
            payload = json.loads(event) if isinstance(event, str) else event
            handler = sandbox._handlers.get(function.function_name)
            if handler is None:
                return (
                    json.dumps({"errorType": "NotRouted", "errorMessage": function.function_name}),
                    True,
                    "",
                )
            try:
                return json.dumps(handler(payload), default=str), False, ""
            except Exception as exc:  # a function error, as Lambda reports it to Step Functions
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

        self._stack.enter_context(mock.patch.object(Table, "describe", describe))
        # Speed only, same values: moto's SQS asks for the time once per queued message on every
        # call (through datetime arithmetic); the epoch milliseconds come straight from time.time().
        import moto.sqs.models as sqs_models  # noqa: PLC0415

        slow = sqs_models.unix_time_millis
        self._stack.enter_context(
            mock.patch.object(
                sqs_models,
                "unix_time_millis",
                lambda dt=None: time.time() * 1000.0 if dt is None else slow(dt),
            )
        )
        self._stack.enter_context(mock.patch.object(LambdaFunction, "_invoke_lambda", invoke))

    # ---- deployment (what `terraform apply` creates) --------------------------------------------

    @property
    def source_arn(self) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.names.source}"

    def _deploy(self) -> None:
        self.ddb = clients.client("dynamodb")
        self.extras = DynamoDBExtrasFake(kinesis=clients.client("kinesis")).install(self.ddb)
        self.sqs = clients.client("sqs")
        self.ssm = clients.client("ssm")
        self.sfn = clients.client("stepfunctions")
        self.lam = clients.client("lambda")
        self.cloudwatch = clients.client("cloudwatch")
        self.operator_sfn = ReliableCallbacks(self.sfn, self.parked)
        self._create_source()
        self._create_data_path()
        self._create_workflow()
        self._write_manifest()

    def _create_source(self) -> None:
        """The live table with real settings: a restore drops them and settings_sync copies them."""
        source = self.names.source
        self.ddb.create_table(
            TableName=source,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "payload", "AttributeType": "S"},
            ],
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_payload",
                    "KeySchema": [{"AttributeName": "payload", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                }
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            Tags=[{"Key": "team", "Value": "orders"}, {"Key": "env", "Value": "rehearse"}],
            DeletionProtectionEnabled=True,
        )
        self.ddb.update_time_to_live(
            TableName=source, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        self.ddb.update_continuous_backups(
            TableName=source,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
        )
        self.stream_arn = self.ddb.describe_table(TableName=source)["Table"]["LatestStreamArn"]
        scaling = clients.client("application-autoscaling")
        for resource, dimension in (
            (f"table/{source}", "dynamodb:table:WriteCapacityUnits"),
            (f"table/{source}/index/by_payload", "dynamodb:index:WriteCapacityUnits"),
        ):
            scaling.register_scalable_target(
                ServiceNamespace="dynamodb",
                ResourceId=resource,
                ScalableDimension=dimension,
                MinCapacity=5,
                MaxCapacity=50,
            )
            scaling.put_scaling_policy(
                PolicyName=f"{resource.replace('/', '-')}-writes",
                ServiceNamespace="dynamodb",
                ResourceId=resource,
                ScalableDimension=dimension,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "DynamoDBWriteCapacityUtilization"
                    },
                },
            )
        self.cloudwatch.put_metric_alarm(
            AlarmName=f"{source}-throttled-writes",
            Namespace="AWS/DynamoDB",
            MetricName="WriteThrottleEvents",
            Dimensions=[{"Name": "TableName", "Value": source}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        kinesis = clients.client("kinesis")
        kinesis.create_stream(StreamName=f"{source}-changes", ShardCount=1)
        kinesis_arn = kinesis.describe_stream(StreamName=f"{source}-changes")["StreamDescription"][
            "StreamARN"
        ]
        self.ddb.enable_kinesis_streaming_destination(
            TableName=source,
            StreamArn=kinesis_arn,
            EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
        )
        self.ddb.update_contributor_insights(TableName=source, ContributorInsightsAction="ENABLE")
        self.ddb.describe_kinesis_streaming_destination(TableName=source)  # settles ENABLING -> ACTIVE
        self.ddb.describe_contributor_insights(TableName=source)
        self.ddb.put_resource_policy(
            ResourceArn=self.source_arn,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadersInTheAccount",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                            "Resource": self.source_arn,
                        }
                    ],
                }
            ),
        )
        iam = clients.client("iam")
        self.role_arn = iam.create_role(
            RoleName="rehearse-functions",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        # An application trigger on the source stream (copied at cut-over). moto wipes a stream that
        # has a mapping (moto.md), so the table's own list of mappings is cleared right after.
        self._function("orders-audit", "app.audit.handler")
        self.lam.create_event_source_mapping(
            EventSourceArn=self.stream_arn,
            FunctionName="orders-audit",
            StartingPosition="LATEST",
            BatchSize=50,
        )
        self._unhook_stream_mappings()

    def _unhook_stream_mappings(self) -> None:
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

        dynamodb_backends[ACCOUNT][REGION].get_table(self.names.source).lambda_event_source_mappings.clear()

    def _function(self, name: str, handler: str, env: dict[str, str] | None = None) -> str:
        return self.lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=self.role_arn,
            Handler=handler,
            Code={"ZipFile": _zip()},
            Environment={"Variables": env or {}},
            Architectures=["arm64"],
        )["FunctionArn"]

    def _create_data_path(self) -> None:
        n = self.names
        self.dlq_url = self.sqs.create_queue(
            QueueName=f"{n.prefix}-buffer-dlq.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        self.buffer_url = self.sqs.create_queue(
            QueueName=f"{n.prefix}-buffer.fifo",
            Attributes={
                "FifoQueue": "true",
                "DeduplicationScope": "messageGroup",
                "FifoThroughputLimit": "perMessageGroupId",
                "MessageRetentionPeriod": "14400",
                "MaximumMessageSize": "1048576",
                "VisibilityTimeout": "360",
            },
        )["QueueUrl"]
        self.buffer_arn = self._queue_arn(self.buffer_url)
        self.failures_url = self.sqs.create_queue(QueueName=f"{n.prefix}-stream-failures")["QueueUrl"]
        s3 = clients.client("s3")
        self.spill_bucket = f"{n.prefix}-spill-{ACCOUNT}"
        s3.create_bucket(Bucket=self.spill_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

        self.subscriber_env = {
            "BUFFER_QUEUE_URL": self.buffer_url,
            "SPILL_BUCKET": self.spill_bucket,
            "SOURCE_TABLE_NAME": n.source,
        }
        self.ledger_table = f"{n.prefix}-ledger"
        self.ddb.create_table(**guard.ledger_table_spec(self.ledger_table))
        self.writer_env = {
            "LEDGER_TABLE": self.ledger_table,
            "RESTORE_RECORD_PARAMETER": n.record_parameter,
            "SOURCE_TABLE_NAME": n.source,
            "TARGET_TABLE_NAME_PATTERN": n.pattern,
            "SPILL_BUCKET": self.spill_bucket,
            "RECORD_CACHE_SECONDS": "10",
            "REPLAY_START_MARGIN_SECONDS": "0",
        }
        self._function(n.fn("cdc-subscriber"), "pitr.cdc_subscriber.handler", self.subscriber_env)
        self._function(n.fn("replay-writer"), "pitr.replay_writer.handler", self.writer_env)
        self.stream_mapping_uuid = self.lam.create_event_source_mapping(
            EventSourceArn=self.stream_arn,
            FunctionName=n.fn("cdc-subscriber"),
            StartingPosition="TRIM_HORIZON",
        )["UUID"]
        self._unhook_stream_mappings()
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
        self.subscriber = Subscriber(
            sqs=self.sub_sqs,
            s3=s3,
            queue_url=self.buffer_url,
            spill_bucket=self.spill_bucket,
            source_table=n.source,
            emit=self._emit,
        )
        self.writer_ddb = CountingDynamo(self.ddb, self.faults)
        cache = restore_record.RecordCache(
            lambda: restore_record.load(self.ssm, n.record_parameter), ttl_seconds=10, clock=self.clock.clock
        )
        self.writer = ReplayWriter(
            dynamodb=self.writer_ddb,
            s3=s3,
            records=cache.get,
            source_table=n.source,
            target_pattern=n.pattern,
            ledger_table=self.ledger_table,
            record_parameter=n.record_parameter,
            backoff=Backoff(base=0.05, cap=2.0),
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
        )

    def _queue_arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def _create_workflow(self) -> None:
        n = self.names
        sns = clients.client("sns")
        self.topic_arn = sns.create_topic(Name=n.fn("notifications"))["TopicArn"]
        self.settings_env = {
            "SOURCE_TABLE_NAME": n.source,
            "TARGET_TABLE_NAME_PATTERN": n.pattern,
            "SETTINGS_SWITCHES": json.dumps({}),
        }
        arns = {
            "waiter": self._function(n.fn("restore-waiter"), "pitr.restore_waiter.handler"),
            "steps": self._function(n.fn("restore-steps"), "pitr.restore_workflow.handler"),
            "settings": self._function(
                n.fn("settings-sync"), "pitr.settings_sync.handler", self.settings_env
            ),
        }
        opts = self.options
        self.watcher_config = WatcherConfig(
            source_table_name=n.source,
            target_table_name_pattern=n.pattern,
            replay_from=opts.replay_from,
            restore_record_parameter=n.record_parameter,
            coverage_parameter=n.coverage_parameter,
            buffer_queue_url=self.buffer_url,
            buffer_standby_retention_seconds=14_400,
            replay_mapping_uuid=self.replay_mapping_uuid,
            topic_arn=self.topic_arn,
            active_poll_cap_seconds=opts.active_poll_cap_seconds,
            caught_up_lag_seconds=opts.caught_up_lag_seconds,
            drain_quiet_seconds=opts.drain_quiet_seconds,
            stream_failure_queue_url=self.failures_url,
        )
        runtime = Runtime(
            clock=self.clock.clock, sleep=self.clock.sleep, rand=random.Random(opts.seed).random
        )
        self._handlers = {
            n.fn("restore-waiter"): lambda e: restore_waiter.handle(e, self.watcher_config, runtime),
            n.fn("restore-steps"): lambda e: restore_workflow.handle(e, self.watcher_config, runtime),
            n.fn("settings-sync"): self._settings_sync,
        }
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
        request = settings_sync_fn.parse(event, self.settings_env)
        context = SyncContext(
            source_table=request.source_table,
            target_table=request.target_table,
            phase=request.phase,
            exclude_mapping_uuids=request.exclude_mapping_uuids,
            deadline=time.monotonic() + 600,
        )
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
                "buffer_standby_retention_seconds": 14_400,
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
            )
            if self.replay_enabled():
                for _ in range(self.options.replay_batches_per_tick):
                    if self.poller.poll_once() == 0:
                        break

    def backlog(self) -> int:
        return self.poller.visible_and_in_flight()

    # ---- restores -------------------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """The source's items now: what a restore to this moment holds."""
        items: list[dict[str, Any]] = []
        for page in self.ddb.get_paginator("scan").paginate(TableName=self.names.source):
            items.extend(page["Items"])
        return items

    def simulate_restore(
        self, target: str, restore_point: float, items: list[dict[str, Any]], takes_seconds: float
    ) -> None:
        """``RestoreTableToPointInTime`` as AWS does it: a new table, CREATING for a while, holding
        the source as of the restore point, with the keys, indexes and capacity of the source and
        none of the settings a restore drops."""
        source = self.ddb.describe_table(TableName=self.names.source)["Table"]
        self.ddb.create_table(
            TableName=target,
            KeySchema=source["KeySchema"],
            AttributeDefinitions=source["AttributeDefinitions"],
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index["IndexName"],
                    "KeySchema": index["KeySchema"],
                    "Projection": index["Projection"],
                    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                }
                for index in source.get("GlobalSecondaryIndexes", [])
            ],
        )
        self.restores[target] = Restore(target, restore_point, self.clock.clock() + takes_seconds, items)
        for start in range(0, len(items), 25):
            self.ddb.batch_write_item(
                RequestItems={target: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
            )

    def cloudtrail_event(self, target: str, restore_point: float | None) -> dict[str, Any]:
        """The event CloudTrail delivers to EventBridge for a successful restore call."""
        when = datetime.fromtimestamp(self.clock.clock(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parameters: dict[str, Any] = {"sourceTableName": self.names.source, "targetTableName": target}
        if restore_point is None:
            parameters["useLatestRestorableTime"] = True
        else:
            parameters["restoreDateTime"] = datetime.fromtimestamp(restore_point, tz=UTC).strftime(
                "%b %d, %Y, %I:%M:%S %p"
            )
        return {
            "version": "0",
            "id": f"rehearse-{int(self.clock.clock())}",
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
                "requestParameters": parameters,
                "recipientAccountId": ACCOUNT,
            },
        }

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
