"""Stream triggers: the Lambda event source mappings on the source's stream, recreated on the target's.

Phase ``restore`` only reports them (``deferred``) and checks that each trigger's own execution role
can read the target's stream, naming the policy it needs when it cannot. Phase ``cutover`` creates
them at ``LATEST`` (so they see only writes made after the cut-over) with every other setting of the
source mapping; a trigger disabled on the source is created disabled. Mappings listed in
``exclude_mapping_uuids`` (this module's own subscriber) are never copied.

The role check asks IAM's policy simulator first (conditions, boundaries and managed policies all
count); where that is unavailable (no permission, or moto, which lacks it) it reads the role's inline
and attached policies and evaluates their Allow/Deny statements itself, without conditions,
permissions boundaries or organization policies. The result says which method answered.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from .context import SyncContext
from .report import APPLIED, DEFERRED, FAILED, SKIPPED, UNCHANGED, Result, attempt

NAME = "triggers"
PHASE = "cutover"

STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)

# Settings copied from the source mapping as they are (CreateEventSourceMapping's names).
_COPIED = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "FilterCriteria",
    "KMSKeyArn",
)
_DISABLED_STATES = ("Disabled", "Disabling")


def _mappings(ctx: SyncContext, stream_arn: str) -> list[dict[str, Any]]:
    lam = ctx.client("lambda")
    return list(
        ctx.pages(
            lam.list_event_source_mappings,
            "EventSourceMappings",
            token_in="Marker",
            token_out="NextMarker",
            EventSourceArn=stream_arn,
        )
    )


def mapping_settings(mapping: dict[str, Any]) -> dict[str, Any]:
    """The copied settings of a mapping, plus whether it is enabled."""
    settings = {k: mapping[k] for k in _COPIED if mapping.get(k) not in (None, [], {})}
    destination = settings.get("DestinationConfig")
    if destination is not None and not (destination.get("OnFailure") or {}).get("Destination"):
        del settings["DestinationConfig"]
    filters = settings.get("FilterCriteria")
    if filters is not None and not filters.get("Filters"):
        del settings["FilterCriteria"]
    settings["Enabled"] = mapping.get("State") not in _DISABLED_STATES
    return settings


def _key(mapping: dict[str, Any]) -> str:
    return json.dumps([mapping["FunctionArn"], mapping.get("FilterCriteria") or {}], sort_keys=True)


def _label(mapping: dict[str, Any]) -> str:
    return f"{mapping['FunctionArn'].split(':function:', 1)[-1]} ({mapping['UUID']})"


def _source_mappings(ctx: SyncContext) -> list[dict[str, Any]] | None:
    stream = ctx.source().get("LatestStreamArn")
    if not stream:
        return None
    return [m for m in _mappings(ctx, stream) if m["UUID"] not in ctx.exclude_mapping_uuids]


# ---- role check ---------------------------------------------------------------------------------


def needed_policy(stream_arn: str) -> dict[str, Any]:
    """The statement a trigger's role needs to read the target's stream."""
    table_arn = stream_arn.split("/stream/", 1)[0]
    return {
        "Effect": "Allow",
        "Action": list(STREAM_READ_ACTIONS),
        "Resource": f"{table_arn}/stream/*",
    }


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(patterns: list[str], value: str, case_sensitive: bool) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(value, p) for p in patterns)
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _statement_applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = _matches(_as_list(statement["Action"]), action, case_sensitive=False)
    else:
        action_ok = not _matches(_as_list(statement.get("NotAction")), action, case_sensitive=False)
    if "Resource" in statement:
        resource_ok = _matches(_as_list(statement["Resource"]), resource, case_sensitive=True)
    else:
        resource_ok = not _matches(_as_list(statement.get("NotResource")), resource, case_sensitive=True)
    return action_ok and resource_ok


def evaluate(documents: list[dict[str, Any]], actions: tuple[str, ...], resource: str) -> list[str]:
    """Actions the policy documents do not allow on ``resource`` (explicit Deny wins; no conditions)."""
    statements = [
        s
        for d in documents
        for s in ([d["Statement"]] if isinstance(d["Statement"], dict) else d["Statement"])
    ]
    missing = []
    for action in actions:
        denied = any(
            s.get("Effect") == "Deny" and _statement_applies(s, action, resource) for s in statements
        )
        allowed = any(
            s.get("Effect") == "Allow" and _statement_applies(s, action, resource) for s in statements
        )
        if denied or not allowed:
            missing.append(action)
    return missing


def _document(raw: Any) -> dict[str, Any]:
    # IAM returns documents URL-encoded on the wire; boto3 usually decodes them already.
    return raw if isinstance(raw, dict) else json.loads(unquote(raw))


def _role_documents(ctx: SyncContext, role_name: str) -> list[dict[str, Any]]:
    iam = ctx.client("iam")
    documents = []
    for name in ctx.pages(iam.list_role_policies, "PolicyNames", "Marker", "Marker", RoleName=role_name):
        documents.append(
            _document(ctx.call(iam.get_role_policy, RoleName=role_name, PolicyName=name)["PolicyDocument"])
        )
    for attached in ctx.pages(
        iam.list_attached_role_policies, "AttachedPolicies", "Marker", "Marker", RoleName=role_name
    ):
        policy = ctx.call(iam.get_policy, PolicyArn=attached["PolicyArn"])["Policy"]
        version = ctx.call(
            iam.get_policy_version, PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )
        documents.append(_document(version["PolicyVersion"]["Document"]))
    return documents


def role_check(ctx: SyncContext, role_arn: str, stream_arn: str) -> tuple[list[str], str]:
    """(actions the role lacks on the stream, method used: "simulator" or "policy read")."""
    iam = ctx.client("iam")
    try:
        response = ctx.call(
            iam.simulate_principal_policy,
            PolicySourceArn=role_arn,
            ActionNames=list(STREAM_READ_ACTIONS),
            ResourceArns=[stream_arn],
        )
        missing = [
            r["EvalActionName"] for r in response["EvaluationResults"] if r["EvalDecision"] != "allowed"
        ]
        return missing, "simulator"
    except Exception:  # no iam:SimulatePrincipalPolicy, or an emulator without it: read the policies
        role_name = role_arn.rsplit("/", 1)[-1]
        return evaluate(_role_documents(ctx, role_name), STREAM_READ_ACTIONS, stream_arn), "policy read"


def _preview_one(ctx: SyncContext, mapping: dict[str, Any], target_stream: str | None) -> Result:
    label = _label(mapping)
    state = "disabled" if not mapping_settings(mapping)["Enabled"] else "enabled"
    if not target_stream:
        return Result(NAME, label, DEFERRED, f"created ({state}) at cut-over; the target has no stream yet")
    role = ctx.call(ctx.client("lambda").get_function_configuration, FunctionName=mapping["FunctionArn"])[
        "Role"
    ]
    missing, method = role_check(ctx, role, target_stream)
    detail = {"role": role, "role_check": method}
    if not missing:
        return Result(
            NAME,
            label,
            DEFERRED,
            f"created ({state}) at cut-over; its role can read the target stream",
            detail=detail,
        )
    policy = {"Version": "2012-10-17", "Statement": [needed_policy(target_stream)]}
    return Result(
        NAME,
        label,
        DEFERRED,
        f"created ({state}) at cut-over; its role {role} lacks {', '.join(missing)} "
        f"on the target stream ({method})",
        action=f"add to role {role}: {json.dumps(policy, separators=(',', ':'))}",
        detail=detail,
    )


def preview(ctx: SyncContext) -> Iterator[Result]:
    mappings = _source_mappings(ctx)
    if not mappings:
        yield Result(NAME, "triggers", SKIPPED, "no triggers on the source stream")
        return
    target_stream = ctx.target(refresh=True).get("LatestStreamArn")
    for mapping in mappings:
        ctx.check_time()
        yield attempt(NAME, _label(mapping), lambda m=mapping: _preview_one(ctx, m, target_stream))


def _create_or_update(
    ctx: SyncContext, mapping: dict[str, Any], existing: dict[str, Any] | None, stream: str
) -> Result:
    lam = ctx.client("lambda")
    wanted = mapping_settings(mapping)
    label = _label(mapping)
    if existing is None:
        created = ctx.call(
            lam.create_event_source_mapping,
            EventSourceArn=stream,
            FunctionName=mapping["FunctionArn"],
            StartingPosition="LATEST",
            **wanted,
        )
        return Result(
            NAME, label, APPLIED, detail={"target_uuid": created["UUID"], "enabled": wanted["Enabled"]}
        )
    if mapping_settings(existing) == wanted:
        return Result(NAME, label, UNCHANGED, detail={"target_uuid": existing["UUID"]})
    update = {k: v for k, v in wanted.items() if k != "KMSKeyArn"}
    ctx.call(lam.update_event_source_mapping, UUID=existing["UUID"], **update)
    return Result(
        NAME, label, APPLIED, "updated the existing mapping", detail={"target_uuid": existing["UUID"]}
    )


def sync(ctx: SyncContext) -> Iterator[Result]:
    mappings = _source_mappings(ctx)
    if not mappings:
        yield Result(NAME, "triggers", SKIPPED, "no triggers on the source stream")
        return
    stream = ctx.target(refresh=True).get("LatestStreamArn")
    if not stream:
        for mapping in mappings:
            yield Result(
                NAME,
                _label(mapping),
                FAILED,
                "the target has no stream: switch on streams and run phase restore",
            )
        return
    # Match by function and filters; the n-th source mapping of a key pairs with the n-th on the target.
    existing: dict[str, list[dict[str, Any]]] = {}
    for m in _mappings(ctx, stream):
        existing.setdefault(_key(m), []).append(m)
    for mapping in mappings:
        ctx.check_time()
        candidates = existing.get(_key(mapping), [])
        match = candidates.pop(0) if candidates else None
        yield attempt(NAME, _label(mapping), lambda m=mapping, e=match: _create_or_update(ctx, m, e, stream))
