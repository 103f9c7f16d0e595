"""The restore workflow's steps that change things: claim, switch replay and retention, notify, release.

The restore-steps function: one ``action`` per call; the Step Functions definition
(``workflow.asl.json.tftpl``) says when. Every step is idempotent so the
workflow can retry it, and every step that changes the restore record first checks the record
still belongs to this execution.

The release path (``release_restore``) is the one way a restore ends: replay off, the replay's end
recorded for coverage, retention back to standby, record released, outcome notified. The workflow
runs it through its Catch; but an execution can end without its Catch: "StopExecution" by hand,
the execution timing out, or the history quota ("25,000 events in a single state machine execution
history", Step Functions service quotas) fail the execution as a whole, and Step Functions catchers
"are available for Task, Parallel and Map states, but not for top-level state machine execution
failures" (Step Functions developer guide, "Handling errors"). Then the same path runs by itself
from the workflow's execution status change rule (``release`` with ``holder_ended`` and
``if_held``), or from ``pitrctl abort`` (``holder_ended``) or the next restore's claim, all only
once ``DescribeExecution`` says the holder is no longer RUNNING.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pitr import clients, coverage, environment, logs, notify, replay_sizing, step_errors
from pitr.backoff import Backoff
from pitr.patterns import PatternError, check_target
from pitr.restore_record import (
    CAUGHT_UP,
    CLAIMED,
    CUTTING_OVER,
    REPLAY_FROM,
    REPLAYING,
    RESTORING,
    STATUSES,
    RestoreRecord,
    format_time,
    load,
    parse_time,
)
from pitr.runtime import Runtime


@dataclass(frozen=True)
class StepsConfig(environment.Configuration):
    """The steps function's environment: a field per variable of its contract (:mod:`pitr.environment`)."""

    handler = "pitr.restore_steps.handler"

    source_table_name: str
    target_table_name_pattern: str
    replay_from: str = environment.variable(choices=REPLAY_FROM)
    restore_record_parameter: str
    coverage_parameter: str
    buffer_queue_url: str
    buffer_standby_retention_seconds: int = environment.variable(minimum=60)
    replay_mapping_uuid: str
    topic_arn: str
    max_restore_wait_seconds: int = environment.variable(minimum=1)
    # pitr.replay_sizing: replay sized to the target's write capacity, under these ceilings.
    replay_maximum_concurrency: int = environment.variable(
        minimum=replay_sizing.MIN_CONCURRENCY, maximum=replay_sizing.MAX_CONCURRENCY
    )
    warm_write_units_max: int = environment.variable(minimum=0)
    ledger_table: str

    @property
    def sizing(self) -> replay_sizing.ReplaySizingConfig:
        return replay_sizing.ReplaySizingConfig(
            self.replay_maximum_concurrency, self.warm_write_units_max, self.ledger_table
        )


OUTCOMES = {"cut_over": notify.CUT_OVER, "aborted": notify.ABORTED, "failed": notify.FAILED}


class StepError(Exception):
    """Base of the step errors the workflow reports (the class name is the Step Functions error)."""


class RecordLostError(StepError):
    """The restore record is gone or belongs to another execution."""


class BadStartEventError(StepError):
    """The execution input names no target table."""


class ClaimRaceError(StepError):
    """The record was created and deleted by others while claiming, twice."""


class ReleaseIncompleteError(StepError):
    """Some release steps failed; the workflow retries release."""


class ReplayNotDisabledError(StepError):
    """The replay mapping did not reach Disabled in time."""


class HolderStillRunningError(StepError):
    """A release for an ended execution was asked while that execution still runs."""


REPLAY_STATUSES = (REPLAYING, CAUGHT_UP, CUTTING_OVER)
# The execution statuses the workflow's execution status change rule delivers.
ENDED_STATUSES = ("ABORTED", "TIMED_OUT", "FAILED")


################################################################################
# Restore record
################################################################################


def _save(ssm: Any, cfg: StepsConfig, record: RestoreRecord, overwrite: bool = True) -> None:
    ssm.put_parameter(
        Name=cfg.restore_record_parameter,
        Value=record.to_json(),
        Type="String",
        Overwrite=overwrite,
        Description=f"dynamodb-pitr-restore: restore of {cfg.source_table_name} in flight",
    )


def _own_record(ssm: Any, cfg: StepsConfig, execution_arn: str) -> RestoreRecord:
    record = load(ssm, cfg.restore_record_parameter)
    if record is None or record.execution_arn != execution_arn:
        holder = "absent" if record is None else f"held by {record.execution_arn}"
        raise RecordLostError(
            f"restore record {cfg.restore_record_parameter} is {holder}, not this execution's: "
            "another actor released or replaced it; this execution stops without touching replay"
        )
    return record


def _update(ssm: Any, cfg: StepsConfig, rt: Runtime, execution_arn: str, **changes: Any) -> RestoreRecord:
    record = _own_record(ssm, cfg, execution_arn)
    fields = {**json.loads(record.to_json()), **changes, "updated_at": format_time(rt.now())}
    updated = RestoreRecord(**{k: v for k, v in fields.items() if v is not None})
    _save(ssm, cfg, updated)
    return updated


# What every notification tells of the restore record.
RECORD_DETAIL = ("target_table", "restore_id", "restore_point", "replay_start", "replay_from", "status")


def _detail(cfg: StepsConfig, record: RestoreRecord | None, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"source_table": cfg.source_table_name}
    if record is not None:
        base.update({name: getattr(record, name) for name in RECORD_DETAIL})
    base.update({k: v for k, v in extra.items() if v is not None})
    return base


def _notify(cfg: StepsConfig, detail_type: str, detail: dict[str, Any]) -> None:
    notify.publish(
        detail_type,
        notify.build_detail(detail_type, **detail),
        topic_arn=cfg.topic_arn,
        sns=clients.client("sns"),
        events=clients.client("events"),
    )


################################################################################
# Actions
################################################################################


def parse_start(event: dict[str, Any]) -> tuple[str, str | None]:
    """Target table and request time from a CloudTrail event (EventBridge) or a pitrctl start."""
    detail = event.get("detail") or {}
    params = detail.get("requestParameters") or {}
    target = event.get("target_table") or params.get("targetTableName")
    requested = event.get("requested_at") or detail.get("eventTime") or event.get("time")
    if not target:
        raise BadStartEventError(
            "the execution input names no target table: expected a CloudTrail RestoreTableToPointInTime "
            "event (detail.requestParameters.targetTableName) or {target_table, requested_at}"
        )
    return str(target), (format_time(parse_time(requested)) if requested else None)


def claim(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    """Create-if-absent claim of the restore record (docs/design.md#one-restore-at-a-time)."""
    start = event.get("start") or {}
    target, requested_at = parse_start(start)
    execution_arn, restore_id = event["execution_arn"], event["restore_id"]
    now = rt.now()
    out: dict[str, Any] = {
        "target_table": target,
        "restore_id": restore_id,
        "requested_at": requested_at or format_time(now),
        "replay_from": cfg.replay_from,
    }
    try:
        check_target(cfg.source_table_name, target, cfg.target_table_name_pattern)
    except PatternError as exc:
        _notify(
            cfg,
            notify.REFUSED,
            _detail(cfg, None, target_table=target, restore_id=restore_id, reason=str(exc)),
        )
        return {**out, "outcome": "outside", "reason": str(exc)}

    ssm = clients.client("ssm")
    record = RestoreRecord(
        restore_id=restore_id,
        target_table=target,
        status=CLAIMED,
        replay_from=cfg.replay_from,
        execution_arn=execution_arn,
        updated_at=format_time(now),
    )
    # Three attempts: the holder may release (or be released, when it no longer runs) between our
    # failed create and our read. A racing claim may also answer TooManyUpdates; it is raised as
    # AwsTransientError and the workflow retries the claim, which then finds the winner's record.
    for _ in range(3):
        try:
            _save(ssm, cfg, record, overwrite=False)
            break
        except ssm.exceptions.ParameterAlreadyExists:
            holder = load(ssm, cfg.restore_record_parameter)
        if holder is None:
            continue
        if holder.execution_arn == execution_arn:
            break  # our own claim, retried by the workflow after a lost response
        ended = execution_status(holder.execution_arn)
        if ended != "RUNNING":
            # The holder ended without its Catch (stopped, timed out, history quota): its restore is
            # over, so its release is due; done here, every later restore would be refused.
            release_restore(
                cfg,
                rt,
                holder,
                outcome="failed",
                reason=(
                    f"the workflow execution {holder.execution_arn} ended ({ended}) without releasing its "
                    f"restore; released when the restore into {target} claimed"
                ),
            )
            continue
        if holder.target_table == target:
            logs.info("duplicate start ignored", target_table=target, holder=holder.execution_arn)
            return {**out, "outcome": "duplicate", "holder": holder.execution_arn}
        reason = (
            f"a restore into {holder.target_table} is in flight ({holder.execution_arn}); one restore per "
            "source table at a time: finish it with `pitrctl cutover` or `pitrctl abort`, then restore again"
        )
        detail = _detail(cfg, None, target_table=target, restore_id=restore_id, reason=reason)
        _notify(cfg, notify.REFUSED, detail)
        return {**out, "outcome": "refused", "reason": reason}
    else:
        raise ClaimRaceError(
            f"restore record {cfg.restore_record_parameter} appeared and vanished three times while "
            "claiming: another restore is starting or ending; check `pitrctl status`, then start again"
        )
    deadline = now + timedelta(seconds=cfg.max_restore_wait_seconds)
    return {**out, "outcome": "claimed", "claimed_at": format_time(now), "deadline": format_time(deadline)}


def start(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    """Raise the buffer's retention to 14 days, mark the record restoring, notify."""
    ssm, sqs = clients.client("ssm"), clients.client("sqs")
    sqs.set_queue_attributes(
        QueueUrl=cfg.buffer_queue_url,
        Attributes={"MessageRetentionPeriod": str(coverage.RESTORE_RETENTION_SECONDS)},
    )
    raised_at = format_time(rt.now())
    try:
        record = _update(ssm, cfg, rt, event["execution_arn"], status=RESTORING)
    except RecordLostError:
        # Released while raising (an invocation of a stopped execution runs on): nothing is claimed,
        # so the raise must not outlive it.
        if load(ssm, cfg.restore_record_parameter) is None:
            sqs.set_queue_attributes(
                QueueUrl=cfg.buffer_queue_url,
                Attributes={"MessageRetentionPeriod": str(cfg.buffer_standby_retention_seconds)},
            )
        raise
    _notify(cfg, notify.STARTED, _detail(cfg, record, requested_at=event.get("requested_at")))
    return {"retention_raised_at": raised_at}


def _set_replay(cfg: StepsConfig, enabled: bool, concurrency: int | None = None) -> None:
    """Switch replay; switching it off puts the deployment's ceiling back (``pitr.replay_sizing``)."""
    if concurrency is None:
        concurrency = cfg.replay_maximum_concurrency
    clients.client("lambda").update_event_source_mapping(
        UUID=cfg.replay_mapping_uuid, Enabled=enabled, ScalingConfig={"MaximumConcurrency": concurrency}
    )


def enable_replay(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    """Write the replay window to the record, then enable the replay mapping (data before settings)."""
    plan = event["plan"]
    record = _update(
        clients.client("ssm"),
        cfg,
        rt,
        event["execution_arn"],
        status=REPLAYING,
        restore_point=plan["restore_point"],
        replay_start=plan["replay_start"],
        covered_since=plan["covered_since"],
        task_token=None,
    )
    # Replay at the target's write capacity: the concurrency and the pre-warm it asks settings_sync for.
    sizing = replay_sizing.size(
        source_table=cfg.source_table_name,
        target_table=record.target_table,
        queue_url=cfg.buffer_queue_url,
        mapping_uuid=cfg.replay_mapping_uuid,
        cfg=cfg.sizing,
    )
    _set_replay(cfg, True, sizing.concurrency)
    enabled_at = rt.now()
    try:
        _own_record(clients.client("ssm"), cfg, event["execution_arn"])
    except RecordLostError:
        # Released while enabling (pitrctl abort after StopExecution: an invocation in flight runs
        # on): the release may have disabled replay before this enable, so undo it. The release
        # checks the mapping again after deleting the record, which covers the other order.
        _set_replay(cfg, False)
        raise
    out = {"enabled_at": format_time(enabled_at), **sizing.as_dict()}
    if sizing.ledger_warm_write_units_per_second:
        # After the enable, so it never delays replay; a failure is reported, not raised.
        out["ledger_prewarm"] = replay_sizing.prewarm_ledger(
            cfg.ledger_table, sizing.ledger_warm_write_units_per_second
        )
    _notify(cfg, notify.TABLE_ACTIVE, _detail(cfg, record, covered_since=plan["covered_since"]))
    # Catching up shares the claim's deadline (max_restore_wait): one bound on the waiting loops.
    return out


def park(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    """Keep the task token in the record and tell the operator what to decide (waitForTaskToken)."""
    status = event["status"]
    if status not in STATUSES:
        raise ValueError(f"park status {status!r} is not a record status")
    record = _update(
        clients.client("ssm"), cfg, rt, event["execution_arn"], status=status, task_token=event["task_token"]
    )
    reminder = event.get("reminder") or {}
    extra: dict[str, Any] = dict(event.get("details") or {})
    # No TimeoutSeconds on the parked task, so a timeout is the heartbeat: the reminder. AWS names it
    # States.HeartbeatTimeout (States.Timeout matches it too); "Reminder" comes from the StillWaiting
    # state (an answer without a known action, or moto, which passes heartbeat timeouts on as output).
    if reminder.get("Error") in ("States.HeartbeatTimeout", "States.Timeout", "Reminder"):
        extra["reminder"] = True
    elif reminder.get("Error"):
        extra["note"] = reminder.get("Cause") or reminder.get("Error")
    _notify(cfg, event["notify"], _detail(cfg, record, **extra))
    return {"parked": True}


def set_status(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    record = _update(
        clients.client("ssm"), cfg, rt, event["execution_arn"], status=event["status"], task_token=None
    )
    return {"status": record.status, "at": record.updated_at}


def _disable_and_confirm(cfg: StepsConfig, rt: Runtime, timeout_seconds: float = 120.0) -> None:
    """Disable the replay mapping and wait until Lambda reports it Disabled (no batch in flight)."""
    lam = clients.client("lambda")
    _set_replay(cfg, False)
    schedule = Backoff(base=0.5, cap=5.0, floor=0.5)
    started = rt.clock()
    for attempt in range(1000):
        state = lam.get_event_source_mapping(UUID=cfg.replay_mapping_uuid).get("State")
        if state == "Disabled":
            return
        if rt.clock() - started > timeout_seconds:
            break
        rt.sleep(schedule.delay(attempt, rt.rand))
    raise ReplayNotDisabledError(
        f"replay mapping {cfg.replay_mapping_uuid} is not Disabled after {timeout_seconds} s"
    )


def disable_replay(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    _own_record(clients.client("ssm"), cfg, event["execution_arn"])
    _disable_and_confirm(cfg, rt)
    return {"disabled_at": format_time(rt.now())}


def execution_status(execution_arn: str | None) -> str:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED...; GONE when Step Functions no longer knows it.

    Closed executions are kept 90 days; one that does not exist has long ended (or never started).
    """
    if not execution_arn:
        return "GONE"
    sfn = clients.client("stepfunctions")
    try:
        return str(sfn.describe_execution(executionArn=execution_arn)["status"])
    except sfn.exceptions.ExecutionDoesNotExist:
        return "GONE"


def _mapping_state(cfg: StepsConfig) -> str:
    return str(clients.client("lambda").get_event_source_mapping(UUID=cfg.replay_mapping_uuid).get("State"))


def release_restore(
    cfg: StepsConfig,
    rt: Runtime,
    record: RestoreRecord | None,
    *,
    outcome: str,
    reason: str | None = None,
    settings: Any = None,
    target_table: str | None = None,
) -> dict[str, Any]:
    """The release path: replay off, replay end recorded, standby retention, record released, notified.

    ``record`` is the restore being ended (None: nothing is claimed, idle is still the right state).
    Every step is attempted even when an earlier one fails, so a partial failure leaves as little
    enabled as possible; failures are raised together (``ReleaseIncompleteError``) after notifying.
    The replay's end is recorded whenever replay may have run (the record says so, or the mapping
    is not Disabled): the buffer was consumed up to then, so the next restore's coverage starts there.
    """
    ssm = clients.client("ssm")
    errors: list[str] = []

    def attempt(name: str, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except Exception as exc:  # every release step runs; failures are raised together below
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return None

    state = attempt("read replay mapping", lambda: _mapping_state(cfg))
    replay_ran = (record is not None and record.status in REPLAY_STATUSES) or state != "Disabled"
    before = len(errors)
    attempt("disable replay", lambda: _disable_and_confirm(cfg, rt))
    disabled = len(errors) == before
    attempt(
        "lower retention",
        lambda: clients.client("sqs").set_queue_attributes(
            QueueUrl=cfg.buffer_queue_url,
            Attributes={"MessageRetentionPeriod": str(cfg.buffer_standby_retention_seconds)},
        ),
    )
    if replay_ran:
        # Recorded even when disabling failed: a later end is never earlier than now.
        attempt("remember replay end", lambda: _remember_replay_end(ssm, cfg, rt))
    if record is not None and disabled:
        # The record goes last, and only once replay is off: while it exists nothing else claims.
        attempt("release record", lambda: _delete_if_held(ssm, cfg, record))
        # An enable_replay still in flight for this record (its execution stopped, its invocation
        # not) may have enabled replay after the disable above: with the record gone, turn it off.
        attempt("disable replay after release", lambda: _disable_if_unclaimed(ssm, cfg, rt))

    target = record.target_table if record else target_table
    summary = {
        "outcome": outcome,
        "switch_now": outcome == "cut_over" and not errors,
        "source_table": cfg.source_table_name,
        "target_table": target,
        "settings": settings,
        "released": not errors,
    }
    detail = _detail(cfg, record, reason=reason, settings=settings, target_table=target)
    if replay_ran and not errors:
        detail["mirroring"] = (
            f"stopped: replay into {target} is off; its end is recorded in {cfg.coverage_parameter} "
            "for the next restore's coverage"
        )
    if errors:
        detail["release_errors"] = errors
        detail["what_to_do"] = (
            f"run `pitrctl abort --table {cfg.source_table_name}` once the errors are fixed (IAM, "
            "throttling): it runs this release again"
        )
    attempt("notify", lambda: _notify(cfg, OUTCOMES[outcome], detail))
    if errors:
        raise ReleaseIncompleteError("; ".join(errors))
    return {
        **summary,
        "restore_point": detail.get("restore_point"),
        "replay_start": detail.get("replay_start"),
    }


def _disable_if_unclaimed(ssm: Any, cfg: StepsConfig, rt: Runtime) -> None:
    if _mapping_state(cfg) != "Disabled" and load(ssm, cfg.restore_record_parameter) is None:
        _disable_and_confirm(cfg, rt)


def _delete_if_held(ssm: Any, cfg: StepsConfig, record: RestoreRecord) -> None:
    current = load(ssm, cfg.restore_record_parameter)
    if current is not None and current.execution_arn == record.execution_arn:
        ssm.delete_parameter(Name=cfg.restore_record_parameter)


def release(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    """End of a restore (workflow: cut-over, abort, Catch; pitrctl abort: ``holder_ended``).

    Touches replay and retention only when the record is this execution's or absent (then nothing
    is in flight and idle is the right state); another execution's restore is left alone.
    ``holder_ended`` (pitrctl abort for an execution that ended without its Catch) first checks with
    DescribeExecution that the execution no longer runs: a running one releases itself.

    ``if_held`` (the execution status change rule, whose event names the execution and its
    ``execution_status``) releases only a record that execution still holds, else does nothing and
    notifies nothing: "Status changes in state machine executions are sent to EventBridge
    automatically" (Step Functions developer guide, "Automating Step Functions event delivery with
    EventBridge"), including the FAILED of every execution whose Catch already released.
    """
    execution_arn = event["execution_arn"]
    outcome = event.get("outcome") or ended_outcome(event.get("execution_status"))
    if outcome not in OUTCOMES:
        raise ValueError(f"release outcome {outcome!r} is not one of {sorted(OUTCOMES)}")
    if event.get("if_held") and not _held_by(cfg, execution_arn):
        # The execution status change rule: a FAILED execution whose Catch released (or a restore
        # another actor already ended) has nothing left to release and must not notify twice.
        logs.info("nothing to release", execution_arn=execution_arn, status=event.get("execution_status"))
        return {"outcome": None, "released": False, "source_table": cfg.source_table_name}
    if event.get("holder_ended"):
        status = execution_status(execution_arn)
        if status == "RUNNING":
            raise HolderStillRunningError(
                f"the workflow execution {execution_arn} is still running: answer it (pitrctl cutover/abort) "
                "or stop it first"
            )
    ssm = clients.client("ssm")
    record = load(ssm, cfg.restore_record_parameter)
    error = event.get("error") or {}
    reason = event.get("reason") or _reason(error)
    if record is None or record.execution_arn == execution_arn:
        return release_restore(
            cfg,
            rt,
            record,
            outcome=outcome,
            reason=reason,
            settings=event.get("settings"),
            target_table=event.get("target_table"),
        )
    detail = _detail(cfg, None, reason=reason, target_table=event.get("target_table"))
    detail["note"] = f"the restore record belongs to {record.execution_arn}; left untouched"
    _notify(cfg, OUTCOMES[outcome], detail)
    return {
        "outcome": outcome,
        "switch_now": False,
        "source_table": cfg.source_table_name,
        "target_table": event.get("target_table"),
        "settings": event.get("settings"),
        "released": False,
    }


def ended_outcome(execution_status: str | None) -> str:
    """The notification of an execution that ended without its Catch: stopped by hand is an abort,
    a timeout or a failure (the history limit) is a failure."""
    if execution_status not in ENDED_STATUSES:
        raise ValueError(f"execution status {execution_status!r} is not one of {ENDED_STATUSES}")
    return "aborted" if execution_status == "ABORTED" else "failed"


def _held_by(cfg: StepsConfig, execution_arn: str) -> bool:
    record = load(clients.client("ssm"), cfg.restore_record_parameter)
    return record is not None and record.execution_arn == execution_arn


def _reason(error: dict[str, Any]) -> str | None:
    if not error:
        return None
    cause = error.get("Cause")
    try:
        parsed = json.loads(cause) if isinstance(cause, str) else None
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        return f"{parsed.get('errorType', error.get('Error'))}: {parsed['errorMessage']}"
    return f"{error.get('Error')}: {cause}" if cause else str(error.get("Error"))


def _remember_replay_end(ssm: Any, cfg: StepsConfig, rt: Runtime) -> None:
    """Coverage of the next restore starts no earlier than this replay's end (it consumed the buffer)."""
    try:
        kept = json.loads(ssm.get_parameter(Name=cfg.coverage_parameter)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        kept = {}
    kept["replay_ended_at"] = format_time(rt.now())
    ssm.put_parameter(
        Name=cfg.coverage_parameter, Value=json.dumps(kept, sort_keys=True), Type="String", Overwrite=True
    )


def notify_only(event: dict[str, Any], cfg: StepsConfig, rt: Runtime) -> dict[str, Any]:
    record = load(clients.client("ssm"), cfg.restore_record_parameter)
    _notify(cfg, event["notify"], _detail(cfg, record, **(event.get("details") or {})))
    return {"notified": event["notify"]}


# "notify" is the workflow's name for notify_only (the module imports pitr.notify as notify).
ACTIONS = step_errors.actions(
    claim, start, enable_replay, park, set_status, disable_replay, release, notify=notify_only
)

handle = step_errors.dispatcher("restore steps", ACTIONS, StepsConfig.from_env)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event)
