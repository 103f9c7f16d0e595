"""Every AWS call a Lambda function can make is granted by its role, as Terraform renders it.

moto enforces no IAM, so a call without a grant shows only in production. This test:

1. renders the module once (``tests/terraform/iam/render.tftest.hcl``, mocked provider; ``terraform
   test -json -verbose`` prints the state): each function's handler and its role's policy;
2. finds every boto3 call each function can reach: the handler's module and every ``pitr`` module it
   imports, transitively (AST: ``<client>.<operation>`` attribute uses whose receiver names a service,
   ``client("svc").<operation>``, ``get_paginator("<operation>")``);
3. maps each call to the IAM actions it needs and the resource it touches: ``CALLS`` below, the ONE
   table to extend (a new call is one line); the action defaults to ``<prefix>:<Operation>``. The
   copied settings' DynamoDB calls come from ``lambda_src/pitr/settings_sync/catalogue.json``, which
   Terraform builds the role from too; ``test_each_setting_lists_its_dynamodb_calls`` holds each
   setting's entry to the calls its code makes;
4. checks every action name against policy_sentry's bundled IAM database (no network), and that the
   role allows it on that resource (and denies it nowhere), with a message naming the call, the
   missing grant and the Terraform file building the role.

Conditions in policies are not evaluated (a conditional grant counts as a grant); KMS use implied by
encrypted resources is covered by tests/aws_limits.tftest.hcl.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from conftest import REPO, require_terraform
from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from pitr.settings_sync import catalogue

pytestmark = pytest.mark.terraform

SOURCE = REPO / "lambda_src"
RENDER_DIR = "tests/terraform/iam"

# Variable names (or ``self.<name>``) that hold a client of a service. Name client variables after
# their service; a call through any other name fails the test so it cannot slip past.
RECEIVERS = {
    "aas": "application-autoscaling",
    "cloudwatch": "cloudwatch",
    "cw": "cloudwatch",
    "ddb": "dynamodb",
    "dynamodb": "dynamodb",
    "events": "events",
    "iam": "iam",
    "kinesis": "kinesis",
    "lam": "lambda",
    "lambda_client": "lambda",
    "s3": "s3",
    "sfn": "stepfunctions",
    "sns": "sns",
    "sqs": "sqs",
    "ssm": "ssm",
    "states": "stepfunctions",
    "streams": "dynamodbstreams",
}

# IAM service prefix of a boto3 service, where they differ.
IAM_PREFIX = {"stepfunctions": "states", "dynamodbstreams": "dynamodb"}

# Calls no handler reaches although their module is imported: (module, function) -> why.
NOT_REACHED = {
    (
        "pitr.metrics",
        "publish",
    ): "test harnesses feed moto's CloudWatch with it; handlers write EMF log lines",
}


@dataclass(frozen=True)
class Grant:
    """What one call needs: the resources it touches (kinds of ``Deployment.arn``), per function when
    they differ ({handler module: kinds}), and the actions when not ``<prefix>:<Operation>``."""

    resources: tuple[str, ...] | Mapping[str, tuple[str, ...]]
    actions: tuple[str, ...] = ()

    def resources_for(self, function: str) -> tuple[str, ...] | None:
        if isinstance(self.resources, tuple):
            return self.resources
        return self.resources.get(function)


SOURCE_AND_TARGET = ("source_table", "target_table")

# settings_sync's DynamoDB calls, from lambda_src/pitr/settings_sync/catalogue.json: a setting's reads
# on both tables (with their indexes and streams), its writes on the target's only. A new setting
# needs no line here; a call CALLS names already (shared, or needing more) keeps CALLS's line.
SETTINGS_READS = (
    "source_table",
    "source_index",
    "source_stream",
    "target_table",
    "target_index",
    "target_stream",
)
SETTINGS_WRITES = ("target_table", "target_index", "target_stream")

# (boto3 service, operation) -> Grant (or Grants, when actions touch different resources). The ONE
# place that says what each call needs. Functions are named by their handler module
# "<module>" (pitr.<module>.handler). "*": only for actions docs/iam-wildcards.json
# lists (APIs that accept no narrower resource).
CALLS: dict[tuple[str, str], Grant | tuple[Grant, ...]] = {
    # cdc_subscriber
    ("sqs", "send_message_batch"): Grant(("buffer_queue",), ("sqs:SendMessage",)),
    ("s3", "put_object"): Grant(("spill_object",), ("s3:PutObject",)),
    # replay_writer
    # The ordering guard: IAM has no TransactWriteItems action, each action of the transaction is
    # authorised as its single-item call (target Put or Delete, the ledger's conditional Put).
    ("dynamodb", "transact_write_items"): (
        Grant(("target_table",), ("dynamodb:PutItem", "dynamodb:DeleteItem")),
        Grant(("ledger_table",), ("dynamodb:PutItem",)),
    ),
    ("s3", "get_object"): Grant(("spill_object",), ("s3:GetObject",)),
    # restore record and coverage parameter
    ("ssm", "get_parameter"): Grant(
        {
            "replay_writer": ("restore_record",),
            "restore_steps": ("restore_record", "coverage_parameter"),
            "restore_waiter": ("coverage_parameter",),
        }
    ),
    ("ssm", "put_parameter"): Grant(
        {
            "restore_steps": ("restore_record", "coverage_parameter"),
            "restore_waiter": ("coverage_parameter",),
        }
    ),
    ("ssm", "delete_parameter"): Grant({"restore_steps": ("restore_record", "coverage_parameter")}),
    # restore_waiter; restore_steps' replay sizing reads the tables' capacity and the backlog
    ("dynamodb", "describe_table"): Grant(
        {
            "restore_waiter": ("target_table",),
            "settings_sync": SOURCE_AND_TARGET,
            "restore_steps": (*SOURCE_AND_TARGET, "ledger_table"),
        }
    ),
    ("sqs", "get_queue_attributes"): Grant(
        {"restore_waiter": ("buffer_queue", "stream_failure_queue"), "restore_steps": ("buffer_queue",)}
    ),
    ("sqs", "receive_message"): Grant({"restore_waiter": ("stream_failure_queue",)}),
    ("cloudwatch", "get_metric_data"): Grant(("*",)),
    # restore_steps
    ("sqs", "set_queue_attributes"): Grant({"restore_steps": ("buffer_queue",)}),
    ("lambda", "update_event_source_mapping"): Grant(
        {"restore_steps": ("replay_mapping",), "settings_sync": ("account_mapping",)}
    ),
    ("lambda", "get_event_source_mapping"): Grant(
        {"restore_steps": ("replay_mapping",), "settings_sync": ("account_mapping",)}
    ),
    # replay start raises the ordering ledger's warm throughput (pitr.replay_sizing.prewarm_ledger);
    # settings_sync's pre-warm and other settings write the target (its line from the catalogue)
    ("dynamodb", "update_table"): Grant(
        {"settings_sync": SETTINGS_WRITES, "restore_steps": ("ledger_table",)}
    ),
    # the claim and a release for an ended holder ask whether the holder execution still runs
    ("stepfunctions", "describe_execution"): Grant({"restore_steps": ("workflow_execution",)}),
    ("sns", "publish"): Grant(("topic",)),
    ("events", "put_events"): Grant(("default_bus",)),
    # settings_sync's DynamoDB calls come from the catalogue (settings_calls() below); these need more.
    # DynamoDB checks the caller's access to the Kinesis stream it streams to.
    ("dynamodb", "enable_kinesis_streaming_destination"): (
        Grant({"settings_sync": ("target_table",)}),
        Grant({"settings_sync": ("kinesis_stream",)}, ("kinesis:PutRecords", "kinesis:DescribeStream")),
    ),
    ("application-autoscaling", "describe_scalable_targets"): Grant(("*",)),
    ("application-autoscaling", "describe_scaling_policies"): Grant(("*",)),
    ("application-autoscaling", "register_scalable_target"): Grant(("*",)),
    ("application-autoscaling", "put_scaling_policy"): Grant(("*",)),
    ("application-autoscaling", "describe_scheduled_actions"): Grant(("*",)),
    ("application-autoscaling", "put_scheduled_action"): Grant(("*",)),
    ("application-autoscaling", "delete_scheduled_action"): Grant(("*",)),
    ("cloudwatch", "describe_alarms"): Grant(("account_alarm",)),
    ("cloudwatch", "put_metric_alarm"): Grant(("account_alarm",)),
    ("cloudwatch", "enable_alarm_actions"): Grant(("account_alarm",)),
    ("cloudwatch", "list_tags_for_resource"): Grant(("account_alarm",)),
    ("lambda", "list_event_source_mappings"): Grant(("*",)),
    ("lambda", "create_event_source_mapping"): Grant(("*",)),
    ("lambda", "get_function_configuration"): Grant(("account_function",)),
    # settings_sync: a trigger's tags, on its mapping's ARN
    ("lambda", "list_tags"): Grant({"settings_sync": ("account_mapping",)}),
    ("lambda", "tag_resource"): Grant({"settings_sync": ("account_mapping",)}),
    ("lambda", "untag_resource"): Grant({"settings_sync": ("account_mapping",)}),
    ("iam", "simulate_principal_policy"): Grant(("account_role",)),
    ("iam", "list_role_policies"): Grant(("account_role",)),
    ("iam", "get_role_policy"): Grant(("account_role",)),
    ("iam", "list_attached_role_policies"): Grant(("account_role",)),
    ("iam", "get_policy"): Grant(("account_policy", "aws_managed_policy")),
    ("iam", "get_policy_version"): Grant(("account_policy", "aws_managed_policy")),
    # settings_sync: the customer managed policies naming the source (ListPolicies takes no resource)
    ("iam", "list_policies"): Grant(("*",)),
}


def settings_calls() -> dict[tuple[str, str], Grant]:
    calls: dict[tuple[str, str], Grant] = {}
    for setting in catalogue.SETTINGS:
        for actions, kinds in (
            (setting.dynamodb_reads, SETTINGS_READS),
            (setting.dynamodb_writes, SETTINGS_WRITES),
        ):
            for action in actions:
                calls[("dynamodb", xform_name(action.removeprefix("dynamodb:")))] = Grant(
                    {"settings_sync": kinds}
                )
    return calls


CALLS = {**settings_calls(), **CALLS}

# What Lambda's event source mappings do with the function's role (no boto3 call in the code).
EVENT_SOURCES: dict[str, list[Grant]] = {
    "cdc_subscriber": [
        Grant(
            ("source_stream",),
            (
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ),
        ),
        Grant(("stream_failure_queue",), ("sqs:SendMessage",)),  # the on-failure destination
    ],
    "replay_writer": [
        Grant(
            ("buffer_queue",),
            (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ),
        ),
    ],
}


################################################################################
# The calls each function can reach
################################################################################


@dataclass(frozen=True)
class Call:
    service: str
    operation: str  # boto3 name (snake_case)
    where: str  # file:line


@functools.cache
def _operations() -> dict[str, dict[str, str]]:
    """boto3 operation name -> API name, per service the receivers name."""
    session = botocore.session.get_session()
    services = set(RECEIVERS.values())
    return {s: {xform_name(op): op for op in session.get_service_model(s).operation_names} for s in services}


def _module_path(module: str) -> Path:
    base = SOURCE.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _imports(module: str) -> set[str]:
    """The pitr modules ``module`` imports (absolute and relative, ``from pkg import submodule``)."""
    path = _module_path(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pitr")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if not base.startswith("pitr"):
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if _module_path(f"{base}.{a.name}").exists()}
    return {m for m in found if _module_path(m).exists()}


def reachable_modules(handler_module: str) -> list[str]:
    seen, todo = set(), [handler_module]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(_imports(module) - seen)
        # A package's modules are imported through it (pitr.settings_sync.x imports pitr.settings_sync).
        if "." in module:
            todo.append(module.rpartition(".")[0])
    return sorted(seen)


def _service_of(receiver: ast.expr) -> str | None:
    if isinstance(receiver, ast.Call) and receiver.args and isinstance(receiver.args[0], ast.Constant):
        name = (
            receiver.func.attr
            if isinstance(receiver.func, ast.Attribute)
            else getattr(receiver.func, "id", "")
        )
        if name == "client":
            return str(receiver.args[0].value)
    if (
        isinstance(receiver, ast.Attribute)
        and isinstance(receiver.value, ast.Name)
        and receiver.value.id == "self"
    ):
        return RECEIVERS.get(receiver.attr)
    if isinstance(receiver, ast.Name):
        return RECEIVERS.get(receiver.id)
    return None


def calls_in(module: str) -> tuple[list[Call], list[str]]:
    """The boto3 calls in ``module`` and the uses it cannot attribute to a service."""
    path = _module_path(module)
    where = path.relative_to(REPO)
    tree = ast.parse(path.read_text())
    imported_modules = {
        a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
    }
    every_operation = {op for ops in _operations().values() for op in ops}
    skipped_lines = {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (module, node.name) in NOT_REACHED
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    calls, unknown = [], []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped_lines:
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_paginator"
        ):
            service = _service_of(node.func.value)
            operation = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
            if service:
                calls.append(Call(service, str(operation), f"{where}:{node.lineno}"))
            continue
        if not isinstance(node, ast.Attribute) or node.attr not in every_operation:
            continue
        service = _service_of(node.value)
        if service and node.attr in _operations().get(service, {}):
            calls.append(Call(service, node.attr, f"{where}:{node.lineno}"))
        elif not (isinstance(node.value, ast.Name) and node.value.id in imported_modules | {"self", "cls"}):
            unknown.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return calls, unknown


################################################################################
# The rendered deployment
################################################################################


@dataclass
class Function:
    handler_module: str  # e.g. "restore_steps"
    function_name: str
    role_policy: dict[str, Any]
    terraform_file: str


@dataclass
class Deployment:
    manifest: dict[str, Any]
    partition: str
    region: str
    account: str
    functions: dict[str, Function] = field(default_factory=dict)

    def arn(self, kind: str) -> str:
        p, r, a, m = self.partition, self.region, self.account, self.manifest
        target = f"arn:{p}:dynamodb:{r}:{a}:table/" + m["target_table_name_pattern"].replace("*", "20260102")
        buffer, watcher = m["cdc_buffer"], m["restore_watcher"]
        parameter = f"arn:{p}:ssm:{r}:{a}:parameter"
        mapping = f"arn:{p}:lambda:{r}:{a}:event-source-mapping:"
        kinds = {
            "*": "*",
            "source_table": m["source_table_arn"],
            "source_index": f"{m['source_table_arn']}/index/by-customer",
            "source_stream": m["source_stream_arn"],
            "target_table": target,
            "target_index": f"{target}/index/by-customer",
            "target_stream": f"{target}/stream/2026-01-02T00:00:00.000",
            "ledger_table": f"arn:{p}:dynamodb:{r}:{a}:table/{buffer['ledger_table_name']}",
            "buffer_queue": buffer["buffer_queue_arn"],
            "stream_failure_queue": buffer["stream_failure_queue_arn"],
            "spill_object": f"arn:{p}:s3:::{buffer['spill_bucket']}/changes/2026/01/02/change.json.gz",
            "restore_record": f"{parameter}{m['restore_record_parameter']}",
            "coverage_parameter": f"{parameter}{watcher['coverage_parameter']}",
            "replay_mapping": f"{mapping}{buffer['replay_mapping_uuid']}",
            "workflow_execution": watcher["state_machine_arn"].replace(":stateMachine:", ":execution:", 1)
            + ":pitrctl-orders-restored-20260102-20260102T000000Z-0a1b2c",
            "topic": watcher["topic_arn"],
            "default_bus": f"arn:{p}:events:{r}:{a}:event-bus/default",
            "account_alarm": f"arn:{p}:cloudwatch:{r}:{a}:alarm:orders-read-throttles",
            "account_function": f"arn:{p}:lambda:{r}:{a}:function:orders-projector",
            "account_mapping": f"{mapping}0f1e2d3c-0000-4000-8000-00000000000a",
            "account_role": f"arn:{p}:iam::{a}:role/orders-projector",
            "account_policy": f"arn:{p}:iam::{a}:policy/orders-projector-streams",
            "aws_managed_policy": f"arn:{p}:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
            "kinesis_stream": f"arn:{p}:kinesis:{r}:{a}:stream/orders-changes",
        }
        return kinds[kind]


def _modules(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield module
    for child in module.get("child_modules", []):
        yield from _modules(child)


LAMBDA_FUNCTION = "modules/lambda_function/main.tf"


def _defining_file(handler_module: str) -> str:
    """The root file that defines the function's statements: its ``local.<module>_function``."""
    pattern = re.compile(rf"^\s*{handler_module}_function\s*=", re.M)
    (path,) = [p for p in sorted(REPO.glob("*.tf")) if pattern.search(p.read_text())]
    return path.name


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    tf = require_terraform()
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", NO_COLOR="1")
    run = functools.partial(subprocess.run, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    init = run([tf, "init", "-backend=false", "-input=false", "-no-color", f"-test-directory={RENDER_DIR}"])
    assert init.returncode == 0, init.stdout + init.stderr
    result = run([tf, "test", "-json", "-verbose", f"-test-directory={RENDER_DIR}"], timeout=900)
    states = [
        json.loads(line)["test_state"]
        for line in result.stdout.splitlines()
        if line.startswith("{") and '"type":"test_state"' in line
    ]
    assert result.returncode == 0 and states, (
        f"rendering the module failed:\n{result.stdout[-5000:]}{result.stderr}"
    )
    root = states[-1]["root_module"]
    resources = {r["address"]: r["values"] for m in _modules(root) for r in m.get("resources", [])}
    manifest = json.loads(resources["aws_ssm_parameter.manifest"]["value"])
    out = Deployment(
        manifest=manifest,
        partition=resources["data.aws_partition.current"]["partition"],
        region=manifest["region"],
        account=manifest["account_id"],
    )
    for address, values in resources.items():
        if not address.endswith(".aws_lambda_function.this"):
            continue
        prefix = address.removesuffix(".aws_lambda_function.this")
        handler_module = values["handler"].removeprefix("pitr.").removesuffix(".handler")
        out.functions[handler_module] = Function(
            handler_module=handler_module,
            function_name=values["function_name"],
            role_policy=json.loads(resources[f"{prefix}.aws_iam_role_policy.this"]["policy"]),
            terraform_file=f"{_defining_file(handler_module)} (role policy through {LAMBDA_FUNCTION})",
        )
    return out


################################################################################
# Policy evaluation (actions and resources; conditions are not evaluated)
################################################################################


def _glob(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE if ":" not in pattern else 0) is not None


def _action_matches(pattern: str, action: str) -> bool:
    return (
        re.fullmatch("".join(".*" if c == "*" else re.escape(c) for c in pattern), action, re.I) is not None
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_for(policy: dict[str, Any], effect: str, action: str, resource: str) -> list[str]:
    return [
        s.get("Sid", "(no Sid)")
        for s in _as_list(policy["Statement"])
        if s["Effect"] == effect
        and any(_action_matches(a, action) for a in _as_list(s.get("Action", [])))
        and any(_glob(r, resource) for r in _as_list(s.get("Resource", [])))
    ]


def granted_resources(policy: dict[str, Any], action: str) -> list[str]:
    return [
        r
        for s in _as_list(policy["Statement"])
        if s["Effect"] == "Allow" and any(_action_matches(a, action) for a in _as_list(s.get("Action", [])))
        for r in _as_list(s.get("Resource", []))
    ]


################################################################################
# The IAM action database (policy_sentry, bundled with the package: no network)
################################################################################


def default_action(call: Call) -> str:
    prefix = IAM_PREFIX.get(call.service, call.service)
    return f"{prefix}:{_operations()[call.service][call.operation]}"


def grants_for(call: Call) -> tuple[Grant, ...]:
    entry = CALLS.get((call.service, call.operation))
    return () if entry is None else entry if isinstance(entry, tuple) else (entry,)


@functools.cache
def wildcard_allowlist() -> frozenset[str]:
    return frozenset(json.loads((REPO / "docs" / "iam-wildcards.json").read_text())["identity_policies"])


@functools.cache
def _known_actions(prefix: str) -> frozenset[str]:
    return frozenset(a.lower() for a in get_actions_for_service(prefix))


def unknown_action(action: str) -> bool:
    prefix, _, _ = action.partition(":")
    return action.lower() not in _known_actions(prefix)


def supports_resources(action: str) -> bool:
    prefix, _, name = action.partition(":")
    rows = get_action_data(prefix, name).get(prefix, [])
    return any(row["resource_arn_format"] != "*" for row in rows)


################################################################################
# Tests
################################################################################


HANDLERS = ["cdc_subscriber", "replay_writer", "settings_sync", "restore_waiter", "restore_steps"]


def function_calls(handler_module: str) -> tuple[list[Call], list[str]]:
    calls, unknown = [], []
    for module in reachable_modules(f"pitr.{handler_module}"):
        found, unattributed = calls_in(module)
        calls += found
        unknown += unattributed
    return calls, unknown


def test_every_function_is_rendered(deployment: Deployment) -> None:
    assert sorted(deployment.functions) == sorted(HANDLERS)


def test_scanner_sees_calls_through_every_form() -> None:
    """The scan finds calls on self.<client>, on named clients and on client("svc") (can fail)."""
    calls, _ = function_calls("cdc_subscriber")
    assert {(c.service, c.operation) for c in calls} >= {("sqs", "send_message_batch"), ("s3", "put_object")}
    calls, _ = function_calls("restore_steps")
    assert ("sqs", "set_queue_attributes") in {(c.service, c.operation) for c in calls}
    assert "pitr.restore_record" in reachable_modules("pitr.restore_steps")
    assert "pitr.settings_sync.triggers" in reachable_modules("pitr.settings_sync")


def problems_for(deployment: Deployment, handler_module: str, policy: dict[str, Any]) -> list[str]:
    """Every call of the function its role ``policy`` does not allow, one line each."""
    function = deployment.functions[handler_module]
    calls, unknown = function_calls(handler_module)
    problems = [
        f"{where}: cannot tell which AWS service this call uses: name the client variable after its service "
        "(RECEIVERS in tests/test_iam_per_call.py)"
        for where in unknown
    ]
    needs: list[tuple[str, str, str, str]] = []  # (where, what, action, resource kind)
    for call in calls:
        grants = grants_for(call)
        if not grants:
            action = default_action(call)
            where_granted = granted_resources(policy, action) or "nothing"
            table = (
                "its setting's entry in lambda_src/pitr/settings_sync/catalogue.json lacks it: add it "
                "to its dynamodb_reads or dynamodb_writes"
                if handler_module == "settings_sync" and call.service == "dynamodb"
                else "CALLS in tests/test_iam_per_call.py has no line for this call: add one with the "
                "resource it touches"
            )
            problems.append(
                f"{call.where}: {function.function_name} calls {call.service}.{call.operation}, which needs "
                f"{action}; {table} (the role grants it on {where_granted}; "
                f"the role is built in {function.terraform_file})"
            )
            continue
        for grant in grants:
            kinds = grant.resources_for(handler_module)
            for action in grant.actions or (default_action(call),):
                if kinds is None:
                    problems.append(
                        f"{call.where}: {function.function_name} calls {call.service}.{call.operation} "
                        f"({action}); its CALLS line names no resource for {handler_module}: add it"
                    )
                    continue
                needs += [
                    (call.where, f"calls {call.service}.{call.operation}", action, kind) for kind in kinds
                ]
    for grant in EVENT_SOURCES.get(handler_module, []):
        for action in grant.actions:
            needs += [
                ("event source mapping", "reads its event source", action, kind) for kind in grant.resources
            ]
    for where, what, action, kind in needs:
        resource = deployment.arn(kind)
        if unknown_action(action):
            problems.append(f"{where}: {action} is not an IAM action (policy_sentry's database): fix CALLS")
            continue
        if kind == "*" and action not in wildcard_allowlist():
            problems.append(
                f'{where}: {action} on "*" is not in docs/iam-wildcards.json: name its resource in CALLS'
                + (" (it supports resource-level permissions)" if supports_resources(action) else "")
            )
        denied = statements_for(policy, "Deny", action, resource)
        allowed = statements_for(policy, "Allow", action, resource)
        if denied or not allowed:
            problems.append(
                f"{where}: {function.function_name} {what}, which needs {action} on {resource} ({kind}); "
                + (f"the role denies it ({', '.join(denied)})" if denied else "the role does not grant it")
                + f" (grants it on: {granted_resources(policy, action) or 'nothing'}); "
                f"add the grant in {function.terraform_file}"
            )
    return list(dict.fromkeys(problems))


@pytest.mark.parametrize("handler_module", HANDLERS)
def test_every_call_is_granted_by_the_functions_role(deployment: Deployment, handler_module: str) -> None:
    problems = problems_for(deployment, handler_module, deployment.functions[handler_module].role_policy)
    assert not problems, "\n".join(problems)


def test_every_table_entry_names_real_actions_and_is_used() -> None:
    """CALLS holds only real IAM actions, and no line for a call no function makes any more."""
    made = {(c.service, c.operation) for h in HANDLERS for c in function_calls(h)[0]}
    stale = sorted(set(CALLS) - made)
    assert not stale, f"CALLS lists calls no function makes: {stale} (remove them)"
    grants = [g for entry in CALLS.values() for g in (entry if isinstance(entry, tuple) else (entry,))]
    bad = [a for g in grants for a in g.actions if unknown_action(a)]
    bad += [a for gs in EVENT_SOURCES.values() for g in gs for a in g.actions if unknown_action(a)]
    assert not bad, f"not IAM actions (policy_sentry's database): {bad}"


def test_a_missing_grant_is_reported_with_call_action_and_file(deployment: Deployment) -> None:
    """Removing one statement from a rendered role makes the check name the call, grant and file."""
    policy = deployment.functions["restore_steps"].role_policy
    stripped = {"Statement": [s for s in policy["Statement"] if s.get("Sid") != "SwitchReplay"]}
    problems = problems_for(deployment, "restore_steps", stripped)
    assert problems, "removing SwitchReplay must fail the check"
    assert any(
        "lambda_src/pitr/restore_steps.py:" in p
        and "lambda.update_event_source_mapping" in p
        and "lambda:UpdateEventSourceMapping on arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:"
        in p
        and "restore_workflow.tf (role policy" in p
        for p in problems
    ), problems
    # A Deny wins over the grant.
    denied = {"Statement": [*policy["Statement"], {"Effect": "Deny", "Action": "sns:*", "Resource": "*"}]}
    assert any(
        "the role denies it" in p and "sns:Publish" in p
        for p in problems_for(deployment, "restore_steps", denied)
    )
    assert unknown_action("sqs:SendMessageBatch") and not unknown_action("sqs:SendMessage")


################################################################################
# The copied settings: the catalogue says which DynamoDB calls each makes
################################################################################

# Modules of settings_sync every setting uses (the run's context, the report), not a setting's own.
_SETTINGS_SHARED = {
    "pitr.settings_sync",
    *(f"pitr.settings_sync.{m}" for m in ("context", "report", "runner", "catalogue")),
}
_READ_VERBS = ("Describe", "List", "Get")


def setting_modules(name: str) -> list[str]:
    """A setting's own module and the settings_sync modules it imports (helpers such as iam_documents)."""
    seen: set[str] = set()
    todo = [f"pitr.settings_sync.{name}"]
    while todo:
        module = todo.pop()
        if module in seen or module in _SETTINGS_SHARED or not module.startswith("pitr.settings_sync."):
            continue
        seen.add(module)
        todo.extend(_imports(module))
    return sorted(seen)


@pytest.mark.parametrize("setting", catalogue.SETTINGS, ids=lambda s: s.name)
def test_each_setting_lists_its_dynamodb_calls(setting: catalogue.Setting) -> None:
    """The role Terraform builds from the catalogue grants exactly what the settings' code calls."""
    made = {
        default_action(call)
        for module in setting_modules(setting.name)
        for call in calls_in(module)[0]
        if call.service in ("dynamodb", "dynamodbstreams")
    }
    listed = set(setting.dynamodb_reads) | set(setting.dynamodb_writes)
    where = f"lambda_src/pitr/settings_sync/catalogue.json, setting {setting.name!r}"
    assert made <= listed, f"{where}: add {sorted(made - listed)} (its code calls them)"
    assert listed <= made, f"{where}: remove {sorted(listed - made)} (its code no longer calls them)"
    wrong_reads = [a for a in setting.dynamodb_reads if not a.split(":")[1].startswith(_READ_VERBS)]
    wrong_writes = [a for a in setting.dynamodb_writes if a.split(":")[1].startswith(_READ_VERBS)]
    assert not wrong_reads, f"{where}: {wrong_reads} change a table: list them under dynamodb_writes"
    assert not wrong_writes, f"{where}: {wrong_writes} only read: list them under dynamodb_reads"


def test_the_scan_sees_a_setting_module_and_its_helpers() -> None:
    """(can fail) iam_policies reaches the triggers' role checks; ttl calls its own two actions."""
    assert "pitr.settings_sync.triggers" in setting_modules("iam_policies")
    assert {default_action(c) for c in calls_in("pitr.settings_sync.ttl")[0]} == {
        "dynamodb:DescribeTimeToLive",
        "dynamodb:UpdateTimeToLive",
    }


def test_rendered_switches_are_the_catalogues(deployment: Deployment) -> None:
    """Terraform's switches (SETTINGS_SWITCHES, the manifest) are the catalogue's, with its defaults."""
    assert deployment.manifest["settings_sync"]["settings"] == catalogue.DEFAULTS
