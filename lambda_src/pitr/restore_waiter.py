"""The restore workflow's waiter: waits inside one invocation so the workflow history stays short.

One function, one ``action`` per call (docs/design.md#long-restores):
- ``wait_active``: poll the restored table until ACTIVE, at most ``active_poll_cap_seconds`` minus a
  margin between polls, so replay is enabled within the cap of the table becoming ACTIVE;
- ``plan_replay``: restore point (from ``RestoreSummary``), replay start and coverage
  (docs/design.md#coverage); it also reads the stream failure queue (see "Coverage parameter" below);
- ``wait_caught_up``: until the replay writer's lag stays under ``caught_up_lag_seconds``;
- ``wait_drained``: until the buffer has stayed empty for ``drain_quiet_seconds`` after the operator
  paused writes.
A waiting action returns ``done: false`` before the invocation budget (~14 minutes) runs out; the
workflow calls it again, and ``attempt`` carries the backoff schedule over.

Coverage parameter (``COVERAGE_PARAMETER``, ``/<ssm_prefix>/coverage``): a JSON object kept across
restores, absent until something is written:
- ``replay_ended_at``: written by the steps function when a replay ends (release); the buffer was
  consumed up to then;
- ``coverage_break_at``: written by ``plan_replay``: the latest coverage break seen in the stream
  failure queue (``STREAM_FAILURE_QUEUE_URL``, the stream mapping's on-failure destination), as
  ``stream_failures`` computes it. Only ever raised, never lowered, so a break outlives the failure
  record's 14-day retention in the queue (and an operator deleting it after investigating).
``plan_replay`` reads the queue without consuming it: ``ReceiveMessage`` with ``VisibilityTimeout=0``
until a few rounds bring no new message id (bounded). Each receive counts in the message's
``ApproximateReceiveCount``, so the queue must never get a redrive policy. When the read saw fewer
messages than the queue reported, the unseen ones may be later breaks: the break is "now" for this
plan (a gap for the operator to judge) and is not stored, as it is not a real failure time.
Not seen: a batch the mapping is still retrying (up to 24 h) has no failure record yet; the
``IteratorAge`` and stream-failures alarms cover that window.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pitr import clients, coverage, environment, logs, metrics, queues, step_errors, stream_failures
from pitr.backoff import Backoff
from pitr.restore_record import REPLAY_FROM, format_time, parse_time
from pitr.runtime import Runtime

# Time allowed between the last "not ACTIVE" poll's sleep ending and replay being enabled: the
# DescribeTable call, the function returning, one Choice, plan_replay and enable_replay.
ACTIVE_POLL_MARGIN_SECONDS = 5
# GetMetricData window for "caught up": the lag must have stayed under the threshold this long.
CAUGHT_UP_WINDOW_SECONDS = 120
# Reading the stream failure queue without consuming it: stop after this many receives in a row that
# bring no new message id, and after this many receives in all (each is one fast API call).
PEEK_QUIET_ROUNDS = 3
PEEK_MAX_ROUNDS = 100
# DescribeTable is eventually consistent: "If you issue a DescribeTable request immediately after a
# CreateTable request, DynamoDB might return a ResourceNotFoundException. This is because
# DescribeTable uses an eventually consistent query, and the metadata for your table might not be
# available at that moment. Wait for a few seconds, and then try the DescribeTable request again."
# (DynamoDB API reference, DescribeTable). A restore creates the table, so for this long after the
# claim a not-found restored table is "not there yet"; after it, the table is missing.
NOT_FOUND_GRACE_SECONDS = 300


@dataclass(frozen=True)
class WaiterConfig(environment.Configuration):
    """The waiter's environment: a field per variable of its contract (:mod:`pitr.environment`).

    ``from_env`` requires every variable (Terraform sets them all); the tuning defaults here are
    Terraform's, for configurations built in code (tests, the scale model).
    """

    handler = "pitr.restore_waiter.handler"

    source_table_name: str
    replay_from: str = environment.variable(choices=REPLAY_FROM)
    buffer_queue_url: str
    buffer_standby_retention_seconds: int = environment.variable(minimum=60)
    coverage_parameter: str
    # The stream mapping's on-failure destination, read for coverage breaks ("": not checked).
    stream_failure_queue_url: str
    active_poll_cap_seconds: int = environment.variable(minimum=1, default=30)
    caught_up_lag_seconds: int = environment.variable(minimum=1, default=30)
    drain_quiet_seconds: int = environment.variable(minimum=1, default=60)
    drain_timeout_seconds: int = environment.variable(minimum=1, default=900)
    # Each invocation returns before this many seconds (Lambda's limit is 900).
    invocation_budget_seconds: int = environment.variable(minimum=1, default=840)


class WaiterError(Exception):
    """Base of the errors the workflow reports as a failed restore (the name is the error type)."""


class TargetTableMissingError(WaiterError):
    pass


class TargetTableUnusableError(WaiterError):
    pass


class RestoreDeadlinePassedError(WaiterError):
    pass


class NotARestoreOfSourceError(WaiterError):
    pass


@dataclass(frozen=True)
class Poll:
    done: bool
    info: dict[str, Any]


def active_schedule(cap_seconds: float) -> Backoff:
    """Polls for ACTIVE: 1 s, 2 s, 4 s ... never more than the cap minus the margin apart.

    The 1 s floor keeps an unlucky run of tiny jitter from hammering DescribeTable.
    """
    return Backoff(base=1.0, cap=max(1.0, cap_seconds - ACTIVE_POLL_MARGIN_SECONDS), floor=1.0)


CAUGHT_UP_SCHEDULE = Backoff(base=5.0, cap=60.0, floor=1.0)


def drain_schedule(quiet_seconds: float) -> Backoff:
    # Cut-over is a write pause: poll often, but the quiet period decides, not the poll count.
    return Backoff(base=1.0, cap=min(10.0, max(1.0, quiet_seconds / 3)), floor=1.0)


def poll_until(
    check: Callable[[], Poll],
    schedule: Backoff,
    rt: Runtime,
    *,
    budget_seconds: float,
    attempt: int = 0,
    deadline: float | None = None,
    on_deadline: Callable[[Poll], Exception] | None = None,
) -> dict[str, Any]:
    """Call ``check`` until done, the deadline, or the budget; never sleeps past the budget.

    Returns right after a poll (never after a sleep), so the gap between the last poll of one
    invocation and the first of the next is only the workflow's own turnaround. The last sleep is
    cut to what is left of the budget, so every invocation but the last uses its whole budget.
    """
    started = rt.clock()
    while True:
        result = check()
        now = rt.clock()
        if result.done:
            return {"done": True, "attempt": 0, **result.info}
        if deadline is not None and now >= deadline:
            if on_deadline is None:
                return {"done": True, "deadline_passed": True, "attempt": attempt, **result.info}
            raise on_deadline(result)
        left = budget_seconds - (now - started)
        if left <= 0:
            return {"done": False, "attempt": attempt, **result.info}
        # Never longer than what is left of the budget: the invocation ends with a poll at its budget,
        # so each invocation waits its whole budget and the history grows by one loop per budget
        # (see ``history_budget``), whatever the poll interval.
        delay = min(schedule.delay(attempt, rt.rand), left)
        if deadline is not None:
            delay = min(delay, max(0.0, deadline - now))  # poll once more exactly at the deadline
        attempt += 1
        rt.sleep(delay)


def _wait(
    event: dict[str, Any],
    cfg: WaiterConfig,
    rt: Runtime,
    check: Callable[[], Poll],
    *,
    schedule: Backoff,
    deadline: float,
    on_deadline: Callable[[Poll], Exception] | None = None,
) -> dict[str, Any]:
    """``poll_until`` for one waiting action: the invocation's budget, and the backoff ``attempt``
    the workflow carries over from the previous invocation."""
    return poll_until(
        check,
        schedule,
        rt,
        budget_seconds=cfg.invocation_budget_seconds,
        attempt=int(event.get("attempt", 0)),
        deadline=deadline,
        on_deadline=on_deadline,
    )


################################################################################
# Reads
################################################################################


def describe_target(dynamodb: Any, target_table: str, *, missing_ok: bool = False) -> dict[str, Any] | None:
    """The restored table's description; None when not found and ``missing_ok`` (the grace period)."""
    try:
        return dynamodb.describe_table(TableName=target_table)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException as exc:
        if missing_ok:
            return None
        raise TargetTableMissingError(
            f"restored table {target_table} does not exist (deleted, or the restore failed): restore again"
        ) from exc


def _describe(dynamodb: Any, target_table: str) -> dict[str, Any]:
    table = describe_target(dynamodb, target_table)
    assert table is not None  # missing_ok is False: not found raised
    return table


def buffer_backlog(sqs: Any, queue_url: str) -> dict[str, int]:
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    visible = int(attrs.get("ApproximateNumberOfMessages", 0))
    in_flight = int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0))
    delayed = int(attrs.get("ApproximateNumberOfMessagesDelayed", 0))
    return {"backlog": visible + in_flight + delayed, "visible": visible, "in_flight": in_flight}


def replay_lag(cloudwatch: Any, source_table: str, now: datetime, window_seconds: int) -> float | None:
    """Largest ReplayLagSeconds the replay writer reported in the window; None without data.

    The writer emits the metric in EMF (one Maximum per invocation); CloudWatch turns the log lines
    into the metric, which GetMetricData reads here.
    """
    response = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "lag",
                "MetricStat": {
                    "Metric": {
                        "Namespace": metrics.NAMESPACE,
                        "MetricName": metrics.REPLAY_LAG,
                        "Dimensions": [{"Name": metrics.DIMENSION, "Value": source_table}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
                "ReturnData": True,
            }
        ],
        StartTime=now - timedelta(seconds=window_seconds),
        EndTime=now + timedelta(seconds=60),
    )
    values = [v for r in response.get("MetricDataResults", []) for v in r.get("Values", [])]
    return max(values) if values else None


def caught_up(lag: float | None, backlog: int, threshold: float) -> bool:
    """Caught up: the lag stayed under the threshold, or no replay happened and nothing is queued."""
    if lag is None:
        return backlog == 0
    return lag < threshold


def read_coverage_parameter(ssm: Any, name: str) -> dict[str, Any]:
    """``{replay_ended_at, coverage_break_at}`` kept across restores; {} when absent."""
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return {}
    data = json.loads(value)
    return data if isinstance(data, dict) else {}


def peek_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message of a standard queue we can see, without consuming or hiding any.

    ``VisibilityTimeout=0`` leaves each message visible; a standard queue answers each receive from
    a sample of its servers, so receives repeat until ``PEEK_QUIET_ROUNDS`` in a row bring nothing new.
    """
    seen: dict[str, dict[str, Any]] = {}
    quiet = 0
    for _ in range(PEEK_MAX_ROUNDS):
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["SentTimestamp"],
        ).get("Messages", [])
        new = [m for m in batch if m["MessageId"] not in seen]
        seen.update((m["MessageId"], m) for m in new)
        quiet = 0 if new else quiet + 1
        if quiet >= PEEK_QUIET_ROUNDS:
            break
    return list(seen.values())


@dataclass(frozen=True)
class FailureQueueRead:
    """What the stream failure queue showed: the latest recorded break, and whether all was seen."""

    latest: stream_failures.CoverageBreak | None
    count: int
    complete: bool


def read_stream_failures(sqs: Any, queue_url: str, now: datetime) -> FailureQueueRead:
    """The latest coverage break recorded in the stream failure queue (module docstring)."""
    expected = queues.queued(sqs, queue_url)
    messages = peek_messages(sqs, queue_url) if expected else []
    breaks = stream_failures.breaks_of(messages, now)
    for unreadable in (b for b in breaks if b.unreadable):
        logs.warning(
            "unreadable stream failure record: coverage broken until the time used",
            message_id=unreadable.message_id,
            reason=unreadable.unreadable,
            until=format_time(unreadable.until),
        )
    complete = len(messages) >= expected
    if not complete:
        logs.warning(
            "stream failure queue not fully read: unseen failure records may be later breaks, so "
            "coverage is broken until now for this plan",
            expected=expected,
            seen=len(messages),
        )
    return FailureQueueRead(stream_failures.latest(breaks), max(expected, len(messages)), complete)


def remember_coverage_break(ssm: Any, name: str, kept: dict[str, Any], at: datetime) -> bool:
    """Raise ``coverage_break_at`` in the coverage parameter to ``at``; never lowers it. True if written."""
    current = kept.get("coverage_break_at")
    if current and parse_time(current) >= at:
        return False
    value = {**kept, "coverage_break_at": format_time(at)}
    ssm.put_parameter(Name=name, Value=json.dumps(value, sort_keys=True), Type="String", Overwrite=True)
    kept.update(value)
    return True


################################################################################
# Actions
################################################################################


def wait_active(event: dict[str, Any], cfg: WaiterConfig, rt: Runtime) -> dict[str, Any]:
    target = event["target_table"]
    deadline = parse_time(event["deadline"]).timestamp()
    claimed_at = event.get("claimed_at")
    grace_end = (parse_time(claimed_at).timestamp() if claimed_at else rt.clock()) + NOT_FOUND_GRACE_SECONDS
    dynamodb = clients.client("dynamodb")

    def check() -> Poll:
        table = describe_target(dynamodb, target, missing_ok=rt.clock() < grace_end)
        if table is None:
            return Poll(False, {"table_status": "NOT_FOUND"})
        status = table.get("TableStatus", "UNKNOWN")
        if status in ("DELETING", "ARCHIVING", "ARCHIVED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS"):
            raise TargetTableUnusableError(f"restored table {target} is {status}: it cannot become ACTIVE")
        return Poll(status == "ACTIVE", {"table_status": status})

    def passed(last: Poll) -> Exception:
        return RestoreDeadlinePassedError(
            f"restored table {target} is still {last.info.get('table_status')} at the deadline "
            f"{format_time(deadline)} (max_restore_wait): check the restore in the DynamoDB console"
        )

    schedule = active_schedule(cfg.active_poll_cap_seconds)
    result = _wait(event, cfg, rt, check, schedule=schedule, deadline=deadline, on_deadline=passed)
    if result["done"]:
        result["active_at"] = format_time(rt.now())
    return result


def plan_replay(event: dict[str, Any], cfg: WaiterConfig, rt: Runtime) -> dict[str, Any]:
    target = event["target_table"]
    table = _describe(clients.client("dynamodb"), target)
    summary = table.get("RestoreSummary") or {}
    if "RestoreDateTime" not in summary:
        raise NotARestoreOfSourceError(f"table {target} has no RestoreSummary: it is not a restored table")
    source_arn = summary.get("SourceTableArn")
    if source_arn and not source_arn.endswith(f":table/{cfg.source_table_name}"):
        raise NotARestoreOfSourceError(
            f"table {target} was restored from {source_arn}, not {cfg.source_table_name}"
        )
    sqs, ssm = clients.client("sqs"), clients.client("ssm")
    created = get_buffer_created(sqs, cfg.buffer_queue_url)
    kept = read_coverage_parameter(ssm, cfg.coverage_parameter)
    failures: dict[str, Any] = {"stream_failures_checked": bool(cfg.stream_failure_queue_url)}
    breaks = [parse_time(kept["coverage_break_at"])] if kept.get("coverage_break_at") else []
    if cfg.stream_failure_queue_url:
        now = rt.now()
        read = read_stream_failures(sqs, cfg.stream_failure_queue_url, now)
        failures["stream_failures"] = read.count
        if read.latest is not None:
            remember_coverage_break(ssm, cfg.coverage_parameter, kept, read.latest.until)
            breaks.append(read.latest.until)
        if not read.complete:
            # Unseen records may be later breaks: not covered now, but no real failure time to store.
            breaks.append(now)
    last_break = max(breaks, default=None)
    if last_break is not None:
        failures["coverage_break_at"] = format_time(last_break)
    requested = event.get("requested_at")
    restore_point = parse_time(summary["RestoreDateTime"])
    result = coverage.Coverage(
        replay_start=coverage.replay_start(
            event.get("replay_from", cfg.replay_from),
            restore_point,
            parse_time(requested) if requested else None,
        ),
        covered_since=coverage.covered_since(
            buffer_created=created,
            retention_raised_at=parse_time(event["retention_raised_at"]),
            standby_retention_seconds=cfg.buffer_standby_retention_seconds,
            previous_replay_end=parse_time(kept["replay_ended_at"]) if kept.get("replay_ended_at") else None,
            last_coverage_break=last_break,
        ),
    )
    return {
        "restore_point": format_time(restore_point),
        **result.as_dict(),
        **failures,
    }


def get_buffer_created(sqs: Any, queue_url: str) -> datetime:
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["CreatedTimestamp"])["Attributes"]
    return parse_time(float(attrs["CreatedTimestamp"]))


def wait_caught_up(event: dict[str, Any], cfg: WaiterConfig, rt: Runtime) -> dict[str, Any]:
    cloudwatch, sqs = clients.client("cloudwatch"), clients.client("sqs")
    window = max(CAUGHT_UP_WINDOW_SECONDS, 2 * cfg.caught_up_lag_seconds)

    def check() -> Poll:
        lag = replay_lag(cloudwatch, cfg.source_table_name, rt.now(), window)
        backlog = buffer_backlog(sqs, cfg.buffer_queue_url)
        info = {"lag_seconds": lag, **backlog}
        return Poll(caught_up(lag, backlog["backlog"], cfg.caught_up_lag_seconds), info)

    def passed(last: Poll) -> Exception:
        return RestoreDeadlinePassedError(
            f"replay did not catch up within max_restore_wait (lag {last.info.get('lag_seconds')} s, "
            f"{last.info.get('backlog')} changes queued): check the replay writer's errors and alarms"
        )

    deadline = parse_time(event["deadline"]).timestamp()
    return _wait(event, cfg, rt, check, schedule=CAUGHT_UP_SCHEDULE, deadline=deadline, on_deadline=passed)


def wait_drained(event: dict[str, Any], cfg: WaiterConfig, rt: Runtime) -> dict[str, Any]:
    """Drained: the buffer has read empty for ``drain_quiet_seconds`` on end after the cut-over request.

    SQS counts are approximate and the subscriber may still hold stream records, so one empty read
    proves nothing; the quiet period covers stream delivery. Not drained by the timeout (writes not
    paused?) returns ``drained: false`` and the workflow goes back to mirroring.
    """
    sqs = clients.client("sqs")
    since = parse_time(event["since"]).timestamp()
    state: dict[str, Any] = {"empty_since": event.get("empty_since")}

    def check() -> Poll:
        backlog = buffer_backlog(sqs, cfg.buffer_queue_url)
        now = rt.clock()
        if backlog["backlog"] > 0:
            state["empty_since"] = None
        elif state["empty_since"] is None:
            state["empty_since"] = format_time(now)
        quiet_from = parse_time(state["empty_since"]).timestamp() if state["empty_since"] else None
        drained = quiet_from is not None and now - max(quiet_from, since) >= cfg.drain_quiet_seconds
        return Poll(drained, {"drained": drained, "empty_since": state["empty_since"], **backlog})

    schedule = drain_schedule(cfg.drain_quiet_seconds)
    result = _wait(event, cfg, rt, check, schedule=schedule, deadline=since + cfg.drain_timeout_seconds)
    if result.pop("deadline_passed", False):
        result["drained"] = False
        result["reason"] = (
            f"the buffer still held {result.get('backlog')} changes {cfg.drain_timeout_seconds} s after "
            "the cut-over request: pause writes to the source table, then run `pitrctl cutover` again"
        )
    return result


ACTIONS = step_errors.actions(wait_active, plan_replay, wait_caught_up, wait_drained)

handle = step_errors.dispatcher("restore waiter", ACTIONS, WaiterConfig.from_env)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event)
