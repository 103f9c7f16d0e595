"""The operator commands: restore, status, cutover, abort.

Each takes its typed options (``pitrctl.options``), an ``aws(service)`` client factory and a ``Ui``,
and returns the result document (what ``--json`` prints). Failures the operator can act on are
``PitrctlError``.
"""

from __future__ import annotations

import json
import re
import secrets
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
from pitrctl.options import AbortOptions, CutoverOptions, Deployed, RestoreOptions, StatusOptions
from pitrctl.status import Status, gather
from pitrctl.ui import Ui

Aws = Callable[[str], Any]


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _deployment(options: Deployed, aws: Aws) -> Deployment:
    return deployments.load(aws("ssm"), options.table, options.ssm_prefix)


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


def _confirm(
    ui: Ui,
    yes: bool,
    question: str = "Start this restore?",
    refused: str = "restore not started",
) -> None:
    if yes:
        return
    if ui.json_mode or not sys.stdin.isatty():
        raise PitrctlError(
            "confirmation needed and there is no terminal to ask",
            hint="review the plan above, then run again with --yes",
            exit_code=2,
        )
    answer = ui.console.input(f"{question} Type 'yes' to go on: ")
    if answer.strip().lower() != "yes":
        raise PitrctlError(refused, hint="nothing was changed", exit_code=3)


EXECUTION_NAME_LENGTH = 80  # StartExecution: "name" is 1 to 80 characters


def execution_name(target_table: str, started_at: datetime, token: str | None = None) -> str:
    """A Step Functions execution name unique per restore: 80 characters of [A-Za-z0-9_-].

    StartExecution: "This name must be unique for your AWS account and region for 90 days" and "When
    the original execution is closed, the ExecutionAlreadyExists message is returned regardless of
    input", so a name made from the target alone is refused for 90 days after an abort. The time and
    a random token keep each restore's name its own; the target is cut, never the unique part.
    """
    unique = f"{started_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{token or secrets.token_hex(3)}"
    room = EXECUTION_NAME_LENGTH - len("pitrctl--") - len(unique)
    return f"pitrctl-{re.sub(r'[^A-Za-z0-9_-]', '-', target_table)[:room]}-{unique}"


def _execution_arn(state_machine_arn: str, name: str) -> str:
    # arn:<partition>:states:<region>:<account>:stateMachine:<machine> -> ...:execution:<machine>:<name>
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start_workflow(sfn: Any, state_machine: str, name: str, execution_input: dict[str, Any]) -> str:
    """Start the restore workflow; ``ExecutionAlreadyExists`` is an error unless a running execution
    of that name serves the same target (then that execution is the one to follow)."""
    try:
        return str(
            sfn.start_execution(stateMachineArn=state_machine, name=name, input=json.dumps(execution_input))[
                "executionArn"
            ]
        )
    except sfn.exceptions.ExecutionAlreadyExists as exc:
        arn = _execution_arn(state_machine, name)
        existing = sfn.describe_execution(executionArn=arn)
        try:
            serves = json.loads(existing.get("input") or "{}").get("target_table")
        except json.JSONDecodeError:
            serves = None
        if existing["status"] == "RUNNING" and serves == execution_input["target_table"]:
            return arn
        raise PitrctlError(
            f"the restore workflow was not started: the execution name {name} is taken by an execution "
            f"that is {existing['status']} for {serves or 'another input'} (names are kept 90 days)",
            hint="the restore of the table goes on in DynamoDB; start the workflow by hand with a new name: "
            f"aws stepfunctions start-execution --state-machine-arn {state_machine} "
            f"--input '{json.dumps(execution_input)}'",
        ) from exc


def restore(options: RestoreOptions, aws: Aws, ui: Ui, now: Callable[[], datetime] = _now) -> dict[str, Any]:
    found = _deployment(options, aws)
    source = found.source_table
    in_flight = _record(found, aws)
    if in_flight is not None:
        holder = execution_status(aws("stepfunctions"), in_flight.execution_arn)
        if holder != "RUNNING":
            raise PitrctlError(
                f"the restore of {source} into {in_flight.target_table} is still claimed, but its workflow "
                f"ended ({holder}) without releasing it",
                hint=f"release it with `pitrctl abort --table {source}` (replay off, its end recorded, "
                "retention back to standby), then restore again",
            )
        raise PitrctlError(
            f"a restore of {source} into {in_flight.target_table} is already in flight ({in_flight.status})",
            hint=f"one restore at a time: follow it with `pitrctl status --table {source} --follow`, "
            f"or stop it with `pitrctl abort --table {source}`",
        )
    started_at = now()
    target = options.target or preflight.default_target_name(source, started_at)
    restore_point = None if options.to is None else parse_time(options.to)
    pitr_finding, effective_point = preflight.check_restore_point(
        aws("dynamodb").describe_continuous_backups(TableName=source), restore_point
    )
    source_description = aws("dynamodb").describe_table(TableName=source)["Table"]
    overrides = restore_options.build(source_description, options.overrides)
    findings = [
        preflight.check_target(source, target, found.target_pattern),
        pitr_finding,
        preflight.check_cloudtrail(_trails(aws), found.manifest.get("region", "")),
        stream_readers.finding(aws, source_description),
    ]
    replay_from = options.replay_from or found.replay_from
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
    if options.replay_from and options.replay_from != found.replay_from:
        raise PitrctlError(
            f"the deployment replays from {found.replay_from}, not {options.replay_from}",
            hint="replay_from is a module input: change it in Terraform and apply, then restore",
            exit_code=2,
        )
    _confirm(ui, options.yes)

    # Retention first: changes queued from now on must outlive the restore (docs/design.md#buffer-retention).
    queue_url = found.require("cdc_buffer", "buffer_queue_url")
    aws("sqs").set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"MessageRetentionPeriod": str(coverage.RESTORE_RETENTION_SECONDS)},
    )
    request: dict[str, Any] = {"SourceTableName": source, "TargetTableName": target}
    if restore_point is None:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreDateTime"] = restore_point
    request.update(overrides.request)
    try:
        aws("dynamodb").restore_table_to_point_in_time(**request)
    except Exception as exc:
        _lower_retention(found, aws, queue_url)
        raise PitrctlError(
            f"DynamoDB refused the restore of {source} into {target}: {exc}",
            hint="the buffer's retention is back to its standby value; nothing else was changed. "
            "Fix the cause, then run the restore again",
        ) from exc
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
    plan["execution_arn"] = start_workflow(
        sfn, state_machine, execution_name(target, started_at), execution_input
    )
    ui.say(f"[green]restore workflow started:[/] {escape(str(plan['execution_arn']))}")
    if options.follow:
        plan["final_status"] = follow(
            found, aws, ui, until=(CAUGHT_UP,), interval=options.interval, execution_arn=plan["execution_arn"]
        ).as_dict()
    return plan


def _lower_retention(found: Deployment, aws: Aws, queue_url: str) -> None:
    """Back to the standby retention (nothing was claimed: this restore never started)."""
    standby = found.part("cdc_buffer").get("buffer_standby_retention_seconds")
    if standby is None:
        raise PitrctlError(
            "the restore call failed and the manifest lacks cdc_buffer.buffer_standby_retention_seconds, "
            "so the buffer's retention stays at 14 days",
            hint="run `terraform apply` for the module: it sets the standby retention again",
        )
    aws("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"MessageRetentionPeriod": str(standby)})


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
    execution_arn: str | None = None,
) -> Status:
    """Poll until the restore reaches a status in ``until``, ends, or ``max_polls`` runs out.

    With ``execution_arn`` (just started), no restore in flight means "not claimed yet" while that
    execution runs: follow waits for the claim, or for the execution's end (refused, duplicate...).
    """
    polls = 0
    claimed = execution_arn is None
    started = time.monotonic()
    while True:
        moment = _now()
        status = gather(found, aws, moment)
        ui.update(progress.from_status(status, time.monotonic() - started, moment))
        polls += 1
        if status.active:
            claimed = True
        elif not claimed and _running(aws, execution_arn):
            ui.update(
                progress.Progress(
                    phase="waiting for the claim",
                    elapsed_seconds=time.monotonic() - started,
                    backlog=status.backlog,
                    detail=f"the workflow {execution_arn} starts the restore's mirroring",
                )
            )
            if max_polls is not None and polls >= max_polls:
                return status
            sleep(interval)
            continue
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


def _running(aws: Aws, execution_arn: str | None) -> bool:
    if not execution_arn:
        return False
    sfn = aws("stepfunctions")
    try:
        return sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    except sfn.exceptions.ExecutionDoesNotExist:
        return False


def status(options: StatusOptions, aws: Aws, ui: Ui) -> dict[str, Any]:
    found = _deployment(options, aws)
    readers = _stream_readers(found, aws, ui)
    if options.follow:
        return follow(found, aws, ui, until=(), interval=options.interval).as_dict() | {
            "stream_readers": readers
        }
    current = gather(found, aws, _now())
    _show(ui, current)
    return current.as_dict() | {"stream_readers": readers}


################################################################################
# cutover and abort
################################################################################


def _answer(sfn: Any, record: RestoreRecord, action: str) -> None:
    """Send the operator's answer. ``TaskTimedOut``: "The task token has either expired or the task
    associated with the token has already been closed" (SFN API): a closed execution, or a token a
    reminder replaced; the caller tells the two apart with DescribeExecution."""
    try:
        sfn.send_task_success(taskToken=record.task_token, output=json.dumps({"action": action}))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist) as exc:
        raise _NotTakenError(type(exc).__name__) from exc


class _NotTakenError(Exception):
    """The workflow did not take the answer (its token is stale or its execution closed)."""


def _waiting_record(found: Deployment, aws: Aws, action: str, allowed: tuple[str, ...]) -> RestoreRecord:
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


def cutover(
    options: CutoverOptions, aws: Aws, ui: Ui, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    found = _deployment(options, aws)
    record = _waiting_record(found, aws, "cutover", (CAUGHT_UP,))
    ui.text(
        f"The restore into {record.target_table} is caught up. Cut-over: pause writes to "
        f"{found.source_table}; the workflow drains the stream and the buffer, stops replay, creates the "
        "stream triggers and Kinesis destinations on the restored table, then says 'switch now'."
    )
    verify.before_cutover(options, aws, ui, found, record.target_table)  # compare first (--verify)
    _confirm(
        ui,
        options.yes,
        question="Writes to the source are paused; cut over now?",
        refused="cut-over not started",
    )
    sfn = aws("stepfunctions")
    try:
        _answer(sfn, record, "cutover")
    except _NotTakenError as exc:
        if execution_status(sfn, record.execution_arn) != "RUNNING":
            raise PitrctlError(
                f"the workflow of the restore into {record.target_table} is no longer running, so it cannot "
                "cut over",
                hint=f"release it with `pitrctl abort --table {found.source_table}`, then restore again",
            ) from exc
        raise PitrctlError(
            f"the workflow did not take the answer ({exc})",
            hint="a reminder renewed its token: run the command again in a few seconds",
        ) from exc
    ui.say("[bold]Keep writes to the source table paused.[/]")
    execution = _wait_for_end(found, record, aws, ui, interval=options.interval, sleep=sleep)
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
            hint=f"see the execution {record.execution_arn}; if `pitrctl status` still shows the restore, "
            f"run `pitrctl abort --table {found.source_table}` to release it",
        )
    ui.end_progress()
    ui.say(f"[bold green]switch now:[/] point the application at {escape(record.target_table)}.")
    failures = ((output.get("settings") or {}).get("cutover") or {}).get("error")
    if failures:
        ui.text(
            f"settings not copied at cut-over: {failures}; copy them by hand (docs/runbook.md).",
            style="yellow",
        )
    ui.text("To manage the restored table with Terraform, add:\n" + result["import_block"])
    return result


def execution_status(sfn: Any, execution_arn: str | None) -> str:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; GONE when Step Functions no longer knows it."""
    if not execution_arn:
        return "GONE"
    try:
        return str(sfn.describe_execution(executionArn=execution_arn)["status"])
    except sfn.exceptions.ExecutionDoesNotExist:
        return "GONE"


def _release(found: Deployment, aws: Aws, record: RestoreRecord, reason: str) -> dict[str, Any]:
    """The workflow's release path for an execution that no longer runs (the steps function's
    ``release`` action with ``holder_ended``; it checks DescribeExecution itself)."""
    function = found.require("restore_watcher", "steps_function_arn")
    response = aws("lambda").invoke(
        FunctionName=function,
        InvocationType="RequestResponse",
        Payload=json.dumps(
            {
                "action": "release",
                "outcome": "aborted",
                "execution_arn": record.execution_arn,
                "target_table": record.target_table,
                "holder_ended": True,
                "reason": reason,
            }
        ).encode(),
    )
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise PitrctlError(
            f"the release failed: {payload.get('errorType')}: {payload.get('errorMessage')}",
            hint="fix the cause (the message says which step), then run `pitrctl abort` again: the release "
            "is idempotent",
        )
    return dict(payload)


def abort(
    options: AbortOptions,
    aws: Aws,
    ui: Ui,
    sleep: Callable[[float], None] = time.sleep,
    stop_wait_seconds: float = 120.0,
) -> dict[str, Any]:
    """Abort the restore in flight at any point: answer a parked workflow, stop a running one, or
    release one that ended without its clean-up (StopExecution, a timeout, the history quota)."""
    found = _deployment(options, aws)
    record = _record(found, aws)
    if record is None:
        raise PitrctlError(f"no restore of {found.source_table} is in flight", hint="nothing to abort")
    sfn = aws("stepfunctions")
    status = execution_status(sfn, record.execution_arn)
    ui.text(
        f"Abort the restore of {found.source_table} into {record.target_table} ({record.status}; workflow "
        f"{status}): replay stops, the buffer goes back to its standby retention, the restore record is "
        f"released. {record.target_table} is left as it is. Writes to the source table go on as before."
    )
    _confirm(ui, options.yes, question="Abort this restore?", refused="nothing aborted")
    result = {
        "source_table": found.source_table,
        "target_table": record.target_table,
        "execution_arn": record.execution_arn,
    }
    if status == "RUNNING" and record.task_token:
        try:
            _answer(sfn, record, "abort")
        except _NotTakenError:
            status = execution_status(sfn, record.execution_arn)
            if status == "RUNNING":  # a reminder renewed the token: stop the execution instead
                status = _stop(sfn, record, sleep, stop_wait_seconds)
        else:
            execution = _wait_for_end(found, record, aws, ui, interval=options.interval, sleep=sleep)
            status = execution["status"]
            left = _record(found, aws)
            if left is None or left.execution_arn != record.execution_arn:
                ui.text(ABORTED.format(target=record.target_table))
                return {**result, "execution_status": status, "released_by": "workflow"}
            # The workflow ended without releasing (its release failed): run the release here.
    elif status == "RUNNING":
        # Still waiting for the table (no token yet): stop the execution, then release.
        status = _stop(sfn, record, sleep, stop_wait_seconds)
    outcome = _release(
        found,
        aws,
        record,
        reason=f"aborted with pitrctl; the workflow execution {record.execution_arn} was {status}",
    )
    ui.text(ABORTED.format(target=record.target_table))
    return {**result, "execution_status": status, "released_by": "pitrctl", "outcome": outcome}


ABORTED = "aborted: replay stopped, retention back to standby, record released; {target} is left as it is."


def _stop(sfn: Any, record: RestoreRecord, sleep: Callable[[float], None], wait_seconds: float) -> str:
    """StopExecution ends the execution without its Catch: nothing in it releases (see ``_release``)."""
    sfn.stop_execution(executionArn=record.execution_arn, error="Aborted", cause="pitrctl abort")
    waited = 0.0
    while True:
        status = execution_status(sfn, record.execution_arn)
        if status != "RUNNING":
            return status
        if waited >= wait_seconds:
            raise PitrctlError(
                f"the workflow execution {record.execution_arn} still runs {waited:.0f} s after "
                "StopExecution",
                hint="run `pitrctl abort` again in a minute",
            )
        sleep(1.0)
        waited += 1.0
