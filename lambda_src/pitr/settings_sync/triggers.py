"""Stream triggers: the Lambda event source mappings on the source's stream, recreated on the target's.

Phase ``restore`` only reports them (``deferred``) and checks that each trigger's own execution role
can read the target's stream, naming the policy it needs when it cannot. Phase ``cutover`` creates
them at ``LATEST`` (so they see only writes made after the cut-over) with every other setting of the
source mapping; a trigger disabled on the source is created disabled. Mappings listed in
``exclude_mapping_uuids`` (this module's own subscriber) are never copied.

Each source mapping is read with ``GetEventSourceMapping``, not from the list: for ``FilterCriteria``
AWS documents "If filter criteria is encrypted, this field shows up as null in the response of
ListEventSourceMapping API calls. You can view this field in plaintext in the response of
GetEventSourceMapping and DeleteEventSourceMapping calls if you have kms:Decrypt permissions for the
correct KMS key." ("Lambda sends a Decrypt request on your behalf when you try to access it in
plaintext", so the caller's kms:Decrypt on the key is what counts.) A filter this function may not
decrypt is a failed item naming the grant, never a trigger copied without its filter (its function
would then run on every change).

Lambda allows one mapping per function and event source: a second ``CreateEventSourceMapping``
answers ``ResourceConflictException`` ("The event source arn (...) and function (...) provided
mapping already exists. Please update or delete the existing mapping with UUID ..."). So the target's
mapping is matched by function alone and updated in place with ``UpdateEventSourceMapping``, which
takes every copied setting except ``StartingPosition`` (fixed at creation). A setting removed on the
source is removed from the copy with its empty value (an empty ``FilterCriteria``, an ``OnFailure``
without destination, an empty ``KMSKeyArn``, no ``Metrics``). Tags are read with ``ListTags`` on the
mapping's ARN and set with ``TagResource``/``UntagResource``.

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

from .context import SyncContext
from .iam_documents import as_list, document, statements
from .report import APPLIED, DEFERRED, FAILED, SKIPPED, UNCHANGED, Result, attempt

NAME = "triggers"
PHASE = "cutover"

STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)

# Every setting CreateEventSourceMapping accepts for a DynamoDB stream source, except the source, the
# function and StartingPosition/StartingPositionTimestamp (the copy starts at LATEST). Tags are
# handled apart (ListTags/TagResource). ScalingConfig, ProvisionedPollerConfig, SourceAccessConfigurations,
# Topics, Queues and the Kafka/MQ/DocumentDB configurations do not apply to DynamoDB streams.
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
    "MetricsConfig",
)
# What UpdateEventSourceMapping is given to remove a setting the source no longer has.
_REMOVED: dict[str, Any] = {
    "FilterCriteria": {},
    "DestinationConfig": {"OnFailure": {}},
    "KMSKeyArn": "",
    "MetricsConfig": {"Metrics": []},
    "FunctionResponseTypes": [],
}
_DISABLED_STATES = ("Disabled", "Disabling")


class FilterNotReadableError(Exception):
    """The source mapping's filter is encrypted with a key this function may not decrypt."""


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


def _present(value: Any) -> bool:
    return value not in (None, [], {}, "")


def mapping_settings(mapping: dict[str, Any]) -> dict[str, Any]:
    """The copied settings of a mapping (as GetEventSourceMapping answers), plus whether it is enabled."""
    settings = {k: mapping[k] for k in _COPIED if _present(mapping.get(k))}
    destination = settings.get("DestinationConfig")
    if destination is not None:
        on_failure = (destination.get("OnFailure") or {}).get("Destination")
        if on_failure:
            settings["DestinationConfig"] = {"OnFailure": {"Destination": on_failure}}
        else:
            del settings["DestinationConfig"]
    filters = settings.get("FilterCriteria")
    if filters is not None and not filters.get("Filters"):
        del settings["FilterCriteria"]
    metrics = settings.get("MetricsConfig")
    if metrics is not None and not metrics.get("Metrics"):
        del settings["MetricsConfig"]
    settings["Enabled"] = mapping.get("State") not in _DISABLED_STATES
    return settings


def update_arguments(wanted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """UpdateEventSourceMapping's arguments that turn ``current`` into ``wanted`` (both as from
    ``mapping_settings``): changed settings, and removed ones set to their empty value."""
    update = {k: v for k, v in wanted.items() if current.get(k) != v}
    for key in current:
        if key not in wanted and key in _REMOVED:
            update[key] = _REMOVED[key]
    return update


def _label(mapping: dict[str, Any]) -> str:
    return f"{mapping['FunctionArn'].split(':function:', 1)[-1]} ({mapping['UUID']})"


def source_mappings(ctx: SyncContext) -> list[dict[str, Any]] | None:
    stream = ctx.source().get("LatestStreamArn")
    if not stream:
        return None
    return [m for m in _mappings(ctx, stream) if m["UUID"] not in ctx.exclude_mapping_uuids]


def read_mapping(ctx: SyncContext, uuid: str) -> dict[str, Any]:
    """The full mapping (GetEventSourceMapping): the only answer that shows an encrypted filter."""
    mapping = ctx.call(ctx.client("lambda").get_event_source_mapping, UUID=uuid)
    error = mapping.get("FilterCriteriaError")
    if error or (mapping.get("KMSKeyArn") and not mapping.get("FilterCriteria")):
        key = mapping.get("KMSKeyArn", "its KMS key")
        raise FilterNotReadableError(
            f"the filter is encrypted with {key} and could not be read "
            f"({(error or {}).get('ErrorCode', 'no FilterCriteria returned')}): grant kms:Decrypt on {key} "
            "to the settings_sync function's role (Terraform: trigger_filter_kms_key_arns) and run again"
        )
    return mapping


def _tags(ctx: SyncContext, mapping: dict[str, Any]) -> dict[str, str]:
    """The mapping's own tags (AWS's ``aws:`` tags cannot be set, so they are neither copied nor removed)."""
    arn = mapping.get("EventSourceMappingArn")
    if not arn:
        return {}
    tags = ctx.call(ctx.client("lambda").list_tags, Resource=arn).get("Tags") or {}
    return {k: v for k, v in tags.items() if not k.startswith("aws:")}


# ---- role check ---------------------------------------------------------------------------------


def needed_policy(stream_arn: str) -> dict[str, Any]:
    """The statement a trigger's role needs to read the target's stream."""
    table_arn = stream_arn.split("/stream/", 1)[0]
    return {
        "Effect": "Allow",
        "Action": list(STREAM_READ_ACTIONS),
        "Resource": f"{table_arn}/stream/*",
    }


def _matches(patterns: list[str], value: str, case_sensitive: bool) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(value, p) for p in patterns)
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _statement_applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = _matches(as_list(statement["Action"]), action, case_sensitive=False)
    else:
        action_ok = not _matches(as_list(statement.get("NotAction")), action, case_sensitive=False)
    if "Resource" in statement:
        resource_ok = _matches(as_list(statement["Resource"]), resource, case_sensitive=True)
    else:
        resource_ok = not _matches(as_list(statement.get("NotResource")), resource, case_sensitive=True)
    return action_ok and resource_ok


def evaluate(documents: list[dict[str, Any]], actions: tuple[str, ...], resource: str) -> list[str]:
    """Actions the policy documents do not allow on ``resource`` (explicit Deny wins; no conditions)."""
    found = [s for d in documents for s in statements(d)]
    missing = []
    for action in actions:
        denied = any(s.get("Effect") == "Deny" and _statement_applies(s, action, resource) for s in found)
        allowed = any(s.get("Effect") == "Allow" and _statement_applies(s, action, resource) for s in found)
        if denied or not allowed:
            missing.append(action)
    return missing


def _role_documents(ctx: SyncContext, role_name: str) -> list[dict[str, Any]]:
    iam = ctx.client("iam")
    documents = []
    for name in ctx.pages(iam.list_role_policies, "PolicyNames", "Marker", "Marker", RoleName=role_name):
        documents.append(
            document(ctx.call(iam.get_role_policy, RoleName=role_name, PolicyName=name)["PolicyDocument"])
        )
    for attached in ctx.pages(
        iam.list_attached_role_policies, "AttachedPolicies", "Marker", "Marker", RoleName=role_name
    ):
        policy = ctx.call(iam.get_policy, PolicyArn=attached["PolicyArn"])["Policy"]
        version = ctx.call(
            iam.get_policy_version, PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )
        documents.append(document(version["PolicyVersion"]["Document"]))
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


def _preview_one(ctx: SyncContext, listed: dict[str, Any], target_stream: str | None) -> Result:
    label = _label(listed)
    try:
        mapping = read_mapping(ctx, listed["UUID"])
    except FilterNotReadableError as exc:
        return Result(NAME, label, FAILED, str(exc))
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
    mappings = source_mappings(ctx)
    if not mappings:
        yield Result(NAME, "triggers", SKIPPED, "no triggers on the source stream")
        return
    target_stream = ctx.target(refresh=True).get("LatestStreamArn")
    for mapping in mappings:
        ctx.check_time()
        yield attempt(NAME, _label(mapping), lambda m=mapping: _preview_one(ctx, m, target_stream))


def _sync_tags(ctx: SyncContext, wanted: dict[str, str], target: dict[str, Any]) -> bool:
    lam = ctx.client("lambda")
    current = _tags(ctx, target)
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    removed = sorted(set(current) - set(wanted))
    if changed:
        ctx.call(lam.tag_resource, Resource=target["EventSourceMappingArn"], Tags=changed)
    if removed:
        ctx.call(lam.untag_resource, Resource=target["EventSourceMappingArn"], TagKeys=removed)
    return bool(changed or removed)


def _create_or_update(
    ctx: SyncContext, listed: dict[str, Any], existing: dict[str, Any] | None, stream: str
) -> Result:
    lam = ctx.client("lambda")
    label = _label(listed)
    try:
        mapping = read_mapping(ctx, listed["UUID"])
    except FilterNotReadableError as exc:
        return Result(NAME, label, FAILED, str(exc))
    wanted = mapping_settings(mapping)
    tags = _tags(ctx, mapping)
    if existing is None:
        created = ctx.call(
            lam.create_event_source_mapping,
            EventSourceArn=stream,
            FunctionName=mapping["FunctionArn"],
            StartingPosition="LATEST",
            **wanted,
            **({"Tags": tags} if tags else {}),
        )
        return Result(
            NAME, label, APPLIED, detail={"target_uuid": created["UUID"], "enabled": wanted["Enabled"]}
        )
    current = mapping_settings(read_mapping(ctx, existing["UUID"]))
    update = update_arguments(wanted, current)
    if update:
        ctx.call(lam.update_event_source_mapping, UUID=existing["UUID"], **update)
    retagged = _sync_tags(ctx, tags, existing)
    if not update and not retagged:
        return Result(NAME, label, UNCHANGED, detail={"target_uuid": existing["UUID"]})
    changed = sorted(update) + (["Tags"] if retagged else [])
    return Result(
        NAME,
        label,
        APPLIED,
        f"updated the existing mapping in place: {', '.join(changed)}",
        detail={"target_uuid": existing["UUID"]},
    )


def sync(ctx: SyncContext) -> Iterator[Result]:
    mappings = source_mappings(ctx)
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
    # Lambda allows one mapping per function and event source: the target's is matched by function.
    existing = {m["FunctionArn"]: m for m in _mappings(ctx, stream)}
    for mapping in mappings:
        ctx.check_time()
        match = existing.get(mapping["FunctionArn"])
        yield attempt(NAME, _label(mapping), lambda m=mapping, e=match: _create_or_update(ctx, m, e, stream))
