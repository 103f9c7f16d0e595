"""The operator commands: restore, status, cutover, abort.

Each takes the parsed arguments, an ``aws(service)`` client factory and a ``Ui``, and returns the
result document (what ``--json`` prints). Failures the operator can act on are ``PitrctlError``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.markup import escape

from pitr import coverage, restore_record
from pitr.restore_record import CAUGHT_UP, RestoreRecord, format_time, parse_time
from pitrctl import deployment as deployments
from pitrctl import preflight, progress, restore_options, session, stream_readers, verify
from pitrctl.deployment import Deployment
from pitrctl.errors import PitrctlError
from pitrctl.status import Status, gather
from pitrctl.ui import Ui

Aws = Callable[[str], Any]


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _deployment(args: Any, aws: Aws) -> Deployment:
    return deployments.load(aws("ssm"), args.table, getattr(args, "ssm_prefix", None))


def _record(deployment: Deployment, aws: Aws) -> RestoreRecord | None:
    return restore_record.load(aws("ssm"), deployment.restore_record_parameter)


################################################################################
# restore
################################################################################


def _trails(aws: Aws) -> list[dict[str, Any]]:
    cloudtrail = aws("cloudtrail")
    trails = []
    for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
        arn = trail["TrailARN"]
        status = cloudtrail.get_trail_status(Name=arn)
        selectors = cloudtrail.get_event_selectors(TrailName=arn)
        trails.append(trail | {"IsLogging": status.get("IsLogging", False)} | selectors)
    return trails


def _confirm(ui: Ui, args: Any) -> None:
    if args.yes:
        return
    if ui.json_mode or not sys.stdin.isatty():
        raise PitrctlError(
            "confirmation needed and there is no terminal to ask",
            hint="review the plan above, then run again with --yes",
            exit_code=2,
        )
    answer = ui.console.input("Start this restore? Type 'yes' to go on: ")
    if answer.strip().lower() != "yes":
        raise PitrctlError("restore not started", hint="nothing was changed", exit_code=3)


def _choices(args: Any) -> restore_options.Choices:
    return restore_options.Choices(
        billing_mode=getattr(args, "billing_mode", None),
        without_indexes=tuple(getattr(args, "without_index", None) or ()),
        read_capacity=getattr(args, "read_capacity", None),
        write_capacity=getattr(args, "write_capacity", None),
        max_read_units=getattr(args, "max_read_units", None),
        max_write_units=getattr(args, "max_write_units", None),
        kms_key=getattr(args, "kms_key", None),
    )


def execution_name(target_table: str) -> str:
    """A Step Functions execution name for a target: 80 characters of [A-Za-z0-9_-]."""
    return ("pitrctl-" + re.sub(r"[^A-Za-z0-9_-]", "-", target_table))[:80]


def restore(args: Any, aws: Aws, ui: Ui, now: Callable[[], datetime] = _now) -> dict[str, Any]:
    found = _deployment(args, aws)
    source = found.source_table
    in_flight = _record(found, aws)
    if in_flight is not None:
        raise PitrctlError(
            f"a restore of {source} into {in_flight.target_table} is already in flight ({in_flight.status})",
            hint=f"one restore at a time: follow it with `pitrctl status --table {source} --follow`, "
            f"or stop it with `pitrctl abort --table {source}`",
        )
    started_at = now()
    target = args.target or preflight.default_target_name(source, started_at)
    restore_point = None if args.to is None else parse_time(args.to)
    pitr_finding, effective_point = preflight.check_restore_point(
        aws("dynamodb").describe_continuous_backups(TableName=source), restore_point
    )
    source_description = aws("dynamodb").describe_table(TableName=source)["Table"]
    overrides = restore_options.build(source_description, _choices(args))
    findings = [
        preflight.check_target(source, target, found.target_pattern),
        pitr_finding,
        preflight.check_cloudtrail(_trails(aws), found.manifest.get("region", "")),
        stream_readers.finding(aws, source_description),
    ]
    replay_from = args.replay_from or found.replay_from
    replay_start = effective_point if replay_from == "restore_point" else started_at
    where = session.context(aws)
    plan = {
        "account": where["account"],
        "region": where["region"],
        "source_table": source,
        "target_table": target,
        "restore_point": None if effective_point is None else format_time(effective_point),
        "replay_from": replay_from,
        "replay_start": None if replay_start is None else format_time(replay_start),
        "standby_retention_seconds": found.part("cdc_buffer").get("buffer_standby_retention_seconds"),
        "billing_mode": overrides.billing_mode,
        "overrides": overrides.request,
        "left_out_indexes": overrides.left_out,
        "restored_table_lacks": overrides.lacks,
        "checks": [{"check": f.check, "ok": f.ok, "message": f.message, "hint": f.hint} for f in findings],
    }
    ui.fields(
        "Restore plan",
        {k: v for k, v in plan.items() if k not in ("checks", "overrides", "restored_table_lacks")},
    )
    for lack in overrides.lacks:
        ui.text(f"the restored table will lack the {lack}", style="yellow")
    ui.table(
        "Checks",
        ("check", "ok", "message"),
        [(f.check, "yes" if f.ok else "NO", f.message) for f in findings],
    )
    failed = [f for f in findings if not f.ok]
    if failed:
        raise PitrctlError(
            "; ".join(f.message for f in failed),
            hint=" | ".join(f.hint for f in failed if f.hint),
            exit_code=2,
        )
    if args.replay_from and args.replay_from != found.replay_from:
        raise PitrctlError(
            f"the deployment replays from {found.replay_from}, not {args.replay_from}",
            hint="replay_from is a module input: change it in Terraform and apply, then restore",
            exit_code=2,
        )
    _confirm(ui, args)

    # Retention first: changes queued from now on must outlive the restore (DESIGN 3.4).
    aws("sqs").set_queue_attributes(
        QueueUrl=found.require("cdc_buffer", "buffer_queue_url"),
        Attributes={"MessageRetentionPeriod": str(coverage.RESTORE_RETENTION_SECONDS)},
    )
    request: dict[str, Any] = {"SourceTableName": source, "TargetTableName": target}
    if restore_point is None:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreDateTime"] = restore_point
    request.update(overrides.request)
    aws("dynamodb").restore_table_to_point_in_time(**request)
    ui.say(f"[green]restore requested:[/] {escape(source)} -> {escape(target)}")

    # CloudTrail delivery to EventBridge is best effort: start the workflow too; its claim makes the
    # second start (from the rule) end quietly.
    sfn = aws("stepfunctions")
    state_machine = found.require("restore_watcher", "state_machine_arn")
    execution_input = {
        "target_table": target,
        "requested_at": format_time(started_at),
        "started_by": "pitrctl",
    }
    try:
        execution = sfn.start_execution(
            stateMachineArn=state_machine, name=execution_name(target), input=json.dumps(execution_input)
        )
        plan["execution_arn"] = execution["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        plan["execution_arn"] = None
    ui.say("[green]restore workflow started[/]")
    if args.follow:
        plan["final_status"] = follow(found, aws, ui, until=(CAUGHT_UP,), interval=args.interval).as_dict()
    return plan


################################################################################
# status
################################################################################


def _show(ui: Ui, status: Status) -> None:
    if not status.active:
        ui.text(f"No restore in flight for {status.source_table}. Buffer backlog: {status.backlog}.")
        return
    record = status.restore or {}
    ui.fields(
        f"Restore of {status.source_table}",
        {
            "target table": f"{record.get('target_table')} ({status.target_status})",
            "status": record.get("status"),
            "restore point": record.get("restore_point"),
            "replay start": record.get("replay_start"),
            "covered since": record.get("covered_since"),
            "backlog (in flight)": f"{status.backlog} ({status.in_flight})",
            "replay rate": None if status.replay_rate_per_s is None else f"{status.replay_rate_per_s:.1f}/s",
            "lag": None if status.lag_seconds is None else f"{status.lag_seconds:.0f}s",
            "ETA to caught up": None if status.eta_seconds is None else f"{status.eta_seconds:.0f}s",
            "workflow": status.execution_status,
        },
    )
    if status.settings:
        ui.fields("Settings", status.settings.get("counts", {}))
    for note in status.notes:
        ui.text(f"note: {note}", style="yellow")


def follow(
    found: Deployment,
    aws: Aws,
    ui: Ui,
    *,
    until: tuple[str, ...] = (),
    interval: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
) -> Status:
    """Poll until the restore reaches a status in ``until``, ends, or ``max_polls`` runs out."""
    polls = 0
    started = time.monotonic()
    while True:
        moment = _now()
        status = gather(found, aws, moment)
        ui.update(progress.from_status(status, time.monotonic() - started, moment))
        polls += 1
        current = (status.restore or {}).get("status")
        if not status.active or current in until or (max_polls is not None and polls >= max_polls):
            ui.end_progress()
            _show(ui, status)
            return status
        sleep(interval)


def _stream_readers(found: Deployment, aws: Aws, ui: Ui) -> dict[str, Any]:
    description = aws("dynamodb").describe_table(TableName=found.source_table)["Table"]
    finding = stream_readers.finding(aws, description)
    if not finding.ok or finding.hint:
        ui.text(f"{finding.message}. What to do: {finding.hint}", style="yellow")
    return {"ok": finding.ok and not finding.hint, "message": finding.message, "hint": finding.hint}


def status(args: Any, aws: Aws, ui: Ui) -> dict[str, Any]:
    found = _deployment(args, aws)
    readers = _stream_readers(found, aws, ui)
    if args.follow:
        return follow(found, aws, ui, until=(), interval=args.interval).as_dict() | {
            "stream_readers": readers
        }
    current = gather(found, aws, _now())
    _show(ui, current)
    return current.as_dict() | {"stream_readers": readers}


################################################################################
# cutover and abort
################################################################################


def _answer(found: Deployment, aws: Aws, action: str, allowed: tuple[str, ...]) -> RestoreRecord:
    record = _record(found, aws)
    source = found.source_table
    if record is None:
        raise PitrctlError(
            f"no restore of {source} is in flight", hint=f"start one with `pitrctl restore --table {source}`"
        )
    if record.status not in allowed or not record.task_token:
        raise PitrctlError(
            f"the restore into {record.target_table} is {record.status}, not waiting for {action}",
            hint=f"wait until it is caught up: `pitrctl status --table {source} --follow`",
        )
    sfn = aws("stepfunctions")
    try:
        sfn.send_task_success(taskToken=record.task_token, output=json.dumps({"action": action}))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist) as exc:
        raise PitrctlError(
            f"the workflow did not take the answer ({type(exc).__name__})",
            hint="it may have moved on (a reminder renews the token): run the command again in a few seconds",
        ) from exc
    return record


def import_block(target_table: str) -> str:
    resource = re.sub(r"[^a-zA-Z0-9_]", "_", target_table)
    return f'import {{\n  to = aws_dynamodb_table.{resource}\n  id = "{target_table}"\n}}\n'


def _wait_for_end(
    found: Deployment,
    record: RestoreRecord,
    aws: Aws,
    ui: Ui,
    *,
    interval: float,
    sleep: Callable[[float], None],
    max_wait_seconds: float = 4 * 3600,
) -> dict[str, Any]:
    """Poll the execution until it ends. Stops early when the workflow went back to waiting for the
    operator (a new task token: the drain timed out, e.g. writes were not paused), and after
    ``max_wait_seconds`` of polling."""
    sfn = aws("stepfunctions")
    waited = 0.0
    while True:
        execution = sfn.describe_execution(executionArn=record.execution_arn)
        if execution["status"] != "RUNNING":
            return execution
        now = _record(found, aws)
        if now is not None and now.task_token and now.task_token != record.task_token:
            raise PitrctlError(
                f"the workflow went back to mirroring into {record.target_table} ({now.status}) instead of "
                "finishing the cut-over: the stream and buffer did not drain in time",
                hint="make sure every writer to the source is paused, then run `pitrctl cutover` again",
            )
        if waited >= max_wait_seconds:
            raise PitrctlError(
                f"the cut-over is still running after {waited:.0f} s",
                hint=f"follow it with `pitrctl status --follow`; the execution is {record.execution_arn}",
            )
        ui.update(
            progress.Progress(
                phase=f"{record.status}: workflow finishing",
                elapsed_seconds=waited,
                detail=f"{record.target_table} (a cut-over drains the stream and the buffer first)",
            )
        )
        sleep(interval)
        waited += interval


def cutover(args: Any, aws: Aws, ui: Ui, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    found = _deployment(args, aws)
    ui.say(
        "[bold]Pause writes to the source table now.[/] The workflow drains the stream and the buffer, stops "
        "replay, creates the stream triggers and Kinesis destinations on the restored table, then says "
        "'switch now'."
    )
    in_flight = _record(found, aws)
    if in_flight is not None and in_flight.status == CAUGHT_UP:  # compare first (--verify)
        verify.before_cutover(args, aws, ui, found, in_flight.target_table)
    record = _answer(found, aws, "cutover", (CAUGHT_UP,))
    execution = _wait_for_end(found, record, aws, ui, interval=args.interval, sleep=sleep)
    output = json.loads(execution.get("output") or "{}")
    result = {
        "source_table": found.source_table,
        "target_table": record.target_table,
        "execution_status": execution["status"],
        "outcome": output,
        "import_block": import_block(record.target_table),
    }
    if execution["status"] != "SUCCEEDED":
        raise PitrctlError(
            f"the cut-over did not finish: the workflow is {execution['status']}",
            hint=f"see the execution {record.execution_arn}; replay was left off and the record released",
        )
    ui.end_progress()
    ui.say(f"[bold green]switch now:[/] point the application at {escape(record.target_table)}.")
    ui.text("To manage the restored table with Terraform, add:\n" + result["import_block"])
    return result


def abort(args: Any, aws: Aws, ui: Ui, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    found = _deployment(args, aws)
    record = _record(found, aws)
    if record is None:
        raise PitrctlError(f"no restore of {found.source_table} is in flight", hint="nothing to abort")
    if not record.task_token:
        raise PitrctlError(
            f"the restore into {record.target_table} is {record.status} and not waiting for an answer yet",
            hint="abort as soon as it waits (after the table is ACTIVE): "
            f"`pitrctl status --table {found.source_table} --follow`",
        )
    record = _answer(found, aws, "abort", (record.status,))
    execution = _wait_for_end(found, record, aws, ui, interval=args.interval, sleep=sleep)
    ui.end_progress()
    ui.text(f"aborted: replay stopped; {record.target_table} is left as it is (delete it if unwanted).")
    return {
        "source_table": found.source_table,
        "target_table": record.target_table,
        "execution_status": execution["status"],
    }
