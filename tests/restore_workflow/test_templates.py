"""The workflow and rule templates: ``${name}`` only, and Terraform and Python render them alike."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_terraform

from pitrctl import workflow

PATTERN = workflow.TEMPLATE.parent / "event_pattern.json.tftpl"

VALUES = workflow.values(
    source_table_name="orders",
    waiter_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:pitr-orders-restore-waiter",
    steps_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:pitr-orders-restore-steps",
    settings_sync_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:pitr-orders-settings-sync",
    stream_mapping_uuid="bbbbbbbb-0000-4000-8000-000000000002",
    settings={"ttl": False, "tags": True},
    cutover_reminder_hours=24,
)


def _hcl(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${")
    return json.dumps(value)


def _terraform_render(path: Path, values: dict[str, object], tmp_path: Path) -> str:
    tf = require_terraform()
    args = ", ".join(f"{k} = {_hcl(v)}" for k, v in values.items())
    expression = f'base64encode(templatefile("{path}", {{ {args} }}))\n'
    result = subprocess.run(
        [tf, "console"],
        input=expression,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return base64.b64decode(json.loads(result.stdout.strip())).decode()


def test_template_keys_are_the_placeholders() -> None:
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", workflow.TEMPLATE.read_text()))
    assert placeholders == set(workflow.TEMPLATE_KEYS) == set(VALUES)


@pytest.mark.terraform
@pytest.mark.parametrize("path", [workflow.TEMPLATE, PATTERN], ids=["workflow", "rule pattern"])
def test_terraform_and_python_render_the_same_text(path: Path, tmp_path: Path) -> None:
    values = (
        VALUES
        if path == workflow.TEMPLATE
        else {
            "account_id": "123456789012",
            "region": "eu-west-1",
            "source_table_name": "orders",
            "source_table_arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
        }
    )
    python = workflow.render_text(path.read_text(), values)
    assert _terraform_render(path, values, tmp_path) == python
    json.loads(python)  # valid JSON once rendered


def test_the_definition_is_jsonpath_and_every_transition_exists() -> None:
    definition = workflow.definition(VALUES)
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath", "moto cannot run JSONata"
    states = definition["States"]
    targets = {definition["StartAt"]}
    for state in states.values():
        targets |= {state[k] for k in ("Next", "Default") if k in state}
        targets |= {c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])}
    assert targets <= set(states), f"transitions to missing states: {targets - set(states)}"
    assert set(states) - targets == set(), f"unreachable states: {set(states) - targets}"
    assert states["AwaitCutover"]["HeartbeatSeconds"] == 86400
    # Every task that can fail after the claim ends in Cleanup, which releases and notifies; except
    # the cut-over's settings: replay is off by then and the data complete, so the cut-over stands.
    for name, state in states.items():
        if state["Type"] == "Task" and name not in ("Cleanup", "SettingsCutover"):
            assert any(
                c["Next"] == "Cleanup" and c["ErrorEquals"] == ["States.ALL"] for c in state["Catch"]
            ), name
    assert states["SettingsCutover"]["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.settings_cutover_error",
            "Next": "CutoverSettingsFailed",
        }
    ]
    assert states["CutoverSettingsFailed"]["Next"] == "ReleaseCutOver"


def test_every_retrier_names_errors_that_occur() -> None:
    """Retry names must match errors the tasks raise: Lambda's (Step Functions developer guide, "Handle
    Lambda service exceptions": "Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException",
    "Lambda.AWSLambdaException", "Lambda.SdkClientException"; "Unhandled errors in Lambda are reported as
    Lambda.Unknown ... These include out-of-memory errors and function timeouts"; "When Lambda hits the
    maximum number of invocations, the error is Lambda.TooManyRequestsException"), a function timeout as
    newer runtimes name it ("Sandbox.Timedout"), and our functions' own error classes."""
    from pitr import notify, restore_steps, step_errors

    ours = {
        notify.NotifyError.__name__,  # EventBridge PutEvents answered a failed entry (throttled, internal)
        step_errors.AwsTransientError.__name__,
        restore_steps.ReleaseIncompleteError.__name__,
        restore_steps.ReplayNotDisabledError.__name__,
    }
    lambda_errors = {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.Unknown",
        "Sandbox.Timedout",
    }
    states = workflow.definition(VALUES)["States"]
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        named = {e for r in state["Retry"] for e in r["ErrorEquals"]} - {"States.ALL"}
        assert named <= ours | lambda_errors, (name, named - ours - lambda_errors)
        assert lambda_errors | ours <= named, (name, (lambda_errors | ours) - named)


def test_renderer_refuses_what_templatefile_would_treat_differently() -> None:
    with pytest.raises(workflow.TemplateError):
        workflow.render_text('{"a": "%{ if x }y%{ endif }"}', {})
    with pytest.raises(workflow.TemplateError):
        workflow.render_text('{"a": "${x + 1}"}', {"x": 1})
    with pytest.raises(workflow.TemplateError, match="missing"):
        workflow.render_text('{"a": "${x}"}', {})
    with pytest.raises(workflow.TemplateError, match="unused"):
        workflow.render_text('{"a": "${x}"}', {"x": "1", "y": "2"})


def test_escaped_dollar_brace_renders_literally_like_templatefile() -> None:
    assert workflow.render_text('{"a": "$${x}", "b": "${x}"}', {"x": "1"}) == '{"a": "${x}", "b": "1"}'
