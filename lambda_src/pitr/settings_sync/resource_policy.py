"""Resource policies of the table and of its stream, with every source ARN rewritten to the target.

ARNs are rewritten by walking the parsed policy, so only whole ARNs of the source table (and its
``/index/...`` and ``/stream/...`` sub-resources) change: ``table/orders`` never rewrites
``table/orders-archive``. The source's current stream ARN becomes the target's current stream ARN.

A policy with ``Deny`` statements waits for cut-over: phase ``restore`` runs while buffered changes
are being replayed into the target, and a Deny meant for the application (say, "only the app role
may write") would refuse the replay writer. Allow-only policies cannot take access away, so they
are applied at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from .context import SyncContext, error_code
from .report import APPLIED, DEFERRED, FAILED, SKIPPED, UNCHANGED, Result, attempt

NAME = "resource_policy"
PHASE = "restore"
ALSO_AT_CUTOVER = True


def rewrite_arns(
    document: Any, source_arn: str, target_arn: str, source_stream: str | None, target_stream: str | None
) -> Any:
    """``document`` with every ARN of the source table (and its indexes and streams) pointed at the target."""
    if isinstance(document, dict):
        return {
            k: rewrite_arns(v, source_arn, target_arn, source_stream, target_stream)
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [rewrite_arns(v, source_arn, target_arn, source_stream, target_stream) for v in document]
    if isinstance(document, str):
        if source_stream and document == source_stream:
            return target_stream or f"{target_arn}/stream/*"
        if document == source_arn or document.startswith(source_arn + "/"):
            return target_arn + document[len(source_arn) :]
    return document


def has_deny(policy: dict[str, Any]) -> bool:
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return any(s.get("Effect") == "Deny" for s in statements)


def _get(ctx: SyncContext, arn: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        response = ctx.call(ctx.client("dynamodb").get_resource_policy, ResourceArn=arn)
    except ClientError as exc:
        if error_code(exc) == "PolicyNotFoundException":
            return None, None
        raise
    return json.loads(response["Policy"]), response.get("RevisionId")


def _copy(ctx: SyncContext, item: str, source: str, target: str | None) -> Result:
    policy, _ = _get(ctx, source)
    if policy is None:
        return Result(NAME, item, SKIPPED, f"the source {item} has no resource policy")
    if target is None:
        return Result(
            NAME,
            item,
            FAILED,
            "the source stream has a resource policy but the target has no stream (switch on streams)",
        )
    src, tgt = ctx.source(), ctx.target()
    wanted = rewrite_arns(
        policy, src["TableArn"], tgt["TableArn"], src.get("LatestStreamArn"), tgt.get("LatestStreamArn")
    )
    current, revision = _get(ctx, target)
    if current == wanted:
        return Result(NAME, item, UNCHANGED)
    if ctx.phase == "restore" and has_deny(wanted):
        return Result(
            NAME,
            item,
            DEFERRED,
            "the policy has Deny statements that could refuse the replay of buffered changes: "
            "applied at cut-over, after replay stops",
        )
    ctx.check_time()
    ctx.call(
        ctx.client("dynamodb").put_resource_policy,
        ResourceArn=target,
        Policy=json.dumps(wanted),
        **({"ExpectedRevisionId": revision} if revision else {}),
    )
    return Result(NAME, item, APPLIED)


def sync(ctx: SyncContext) -> Iterator[Result]:
    source, target = ctx.source(), ctx.target(refresh=True)
    yield attempt(NAME, "table", lambda: _copy(ctx, "table", source["TableArn"], target["TableArn"]))
    if source.get("LatestStreamArn"):
        yield attempt(
            NAME,
            "stream",
            lambda: _copy(ctx, "stream", source["LatestStreamArn"], target.get("LatestStreamArn")),
        )
