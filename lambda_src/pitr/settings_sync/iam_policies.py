"""IAM policies that name the source table: reported with the statement the restored table needs.

AWS lists "IAM policies" among what "You must manually set up ... on the restored table": a policy
granting (or denying) access to ``table/orders`` says nothing about ``table/orders-restored-1``. No
copy is made (changing who may do what is the operator's decision); each statement that names the
source's ARN (the table, or its ``/index/...`` and ``/stream/...``) and does not already cover the
target is reported as an action with the statement to add, its resources re-pointed at the target.

Where: the account's customer managed policies attached to something (``ListPolicies`` with
``Scope=Local`` and ``OnlyAttached``, at most ``MAX_PAGES`` pages of 100) and the inline policies of the
source's triggers' roles. Broad patterns (``table/*``) are not "naming" the table and are left
alone. When this function's role may not list or read them, the result says "not checked" and which
permission would let it check.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from .context import SyncContext, error_code
from .iam_documents import as_list, document, statements
from .report import SKIPPED, UNCHANGED, Result
from .triggers import source_mappings

NAME = "iam_policies"
PHASE = "restore"

# Bounded work: 10 pages of 100 policies. Beyond that the result says what was not checked.
MAX_PAGES = 10
_PAGE = 100
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def _rewrite(resource: str, source_arn: str, target_arn: str) -> str | None:
    """The target's counterpart of a resource naming the source (None when it does not name it)."""
    if resource == source_arn or resource.startswith(source_arn + "/"):
        return target_arn + resource[len(source_arn) :]
    return None


def _covers(other: dict[str, Any], statement: dict[str, Any], resource: str) -> bool:
    """Whether ``other`` has the same effect, at least the actions of ``statement``, and ``resource``."""
    if other.get("Effect") != statement.get("Effect") or other.get("Condition") != statement.get("Condition"):
        return False
    if "NotAction" in statement or "NotAction" in other:
        same = other.get("NotAction") == statement.get("NotAction") and other.get("Action") == statement.get(
            "Action"
        )
    else:
        granted = [a.lower() for a in as_list(other.get("Action"))]
        same = all(
            any(fnmatch.fnmatchcase(a.lower(), g) for g in granted) for a in as_list(statement.get("Action"))
        )
    return same and any(fnmatch.fnmatchcase(resource, p) for p in as_list(other.get("Resource")))


def missing_statements(policy: dict[str, Any], source_arn: str, target_arn: str) -> list[dict[str, Any]]:
    """Statements to add so that every statement naming the source also applies to the target."""
    present = statements(policy)
    missing = []
    for statement in present:
        rewritten = [
            r for r in (_rewrite(x, source_arn, target_arn) for x in as_list(statement.get("Resource"))) if r
        ]
        uncovered = [r for r in rewritten if not any(_covers(o, statement, r) for o in present)]
        if uncovered:
            added = {k: v for k, v in statement.items() if k not in ("Sid", "Resource")}
            missing.append({**added, "Resource": uncovered[0] if len(uncovered) == 1 else uncovered})
    return missing


def _result(where: str, policy: dict[str, Any], source_arn: str, target_arn: str) -> Result | None:
    missing = missing_statements(policy, source_arn, target_arn)
    if missing:
        statement = json.dumps(missing if len(missing) > 1 else missing[0], separators=(",", ":"))
        return Result(
            NAME,
            where,
            SKIPPED,
            "reported: names the source table but not the restored one (IAM is left to the operator)",
            action=f"add to {where}: {statement}",
        )
    if any(
        _rewrite(r, source_arn, target_arn) for s in statements(policy) for r in as_list(s.get("Resource"))
    ):
        return Result(NAME, where, UNCHANGED, "already covers the restored table")
    return None


def _not_checked(what: str, permission: str, exc: ClientError) -> Result:
    return Result(
        NAME,
        what,
        SKIPPED,
        f"not checked: this function's role may not call {permission} ({error_code(exc)}); "
        "check by hand which policies name the source table",
    )


def _managed(ctx: SyncContext, source_arn: str, target_arn: str) -> Iterator[Result]:
    iam = ctx.client("iam")
    marker: str | None = None
    for _ in range(MAX_PAGES):
        try:
            page = ctx.call(
                iam.list_policies,
                Scope="Local",
                OnlyAttached=True,
                MaxItems=_PAGE,
                **({"Marker": marker} if marker else {}),
            )
        except ClientError as exc:
            if error_code(exc) in _DENIED:
                yield _not_checked("customer managed policies", "iam:ListPolicies", exc)
                return
            raise
        for policy in page.get("Policies", []):
            ctx.check_time()
            where = f"policy {policy['Arn']}"
            try:
                version = ctx.call(
                    iam.get_policy_version, PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
                )
            except ClientError as exc:
                if error_code(exc) in _DENIED:
                    yield _not_checked(where, "iam:GetPolicyVersion", exc)
                    continue
                raise
            result = _result(where, document(version["PolicyVersion"]["Document"]), source_arn, target_arn)
            if result:
                yield result
        marker = page.get("Marker") if page.get("IsTruncated") else None
        if not marker:
            return
    yield Result(
        NAME,
        "customer managed policies",
        SKIPPED,
        f"not checked beyond the first {MAX_PAGES} pages ({MAX_PAGES * _PAGE} policies) of attached "
        "customer managed policies",
    )


def _trigger_roles(ctx: SyncContext, source_arn: str, target_arn: str) -> Iterator[Result]:
    lam, iam = ctx.client("lambda"), ctx.client("iam")
    roles = set()
    for mapping in source_mappings(ctx) or []:
        roles.add(ctx.call(lam.get_function_configuration, FunctionName=mapping["FunctionArn"])["Role"])
    for role in sorted(roles):
        name = role.rsplit("/", 1)[-1]
        try:
            for policy in ctx.pages(iam.list_role_policies, "PolicyNames", "Marker", "Marker", RoleName=name):
                raw = ctx.call(iam.get_role_policy, RoleName=name, PolicyName=policy)["PolicyDocument"]
                result = _result(f"role {name} inline policy {policy}", document(raw), source_arn, target_arn)
                if result:
                    yield result
        except ClientError as exc:
            if error_code(exc) in _DENIED:
                yield _not_checked(f"role {name}", "iam:ListRolePolicies/iam:GetRolePolicy", exc)
                continue
            raise


def sync(ctx: SyncContext) -> Iterator[Result]:
    source_arn, target_arn = ctx.source()["TableArn"], ctx.target()["TableArn"]
    found = False
    for result in (*_managed(ctx, source_arn, target_arn), *_trigger_roles(ctx, source_arn, target_arn)):
        found = True
        yield result
    if not found:
        yield Result(NAME, "policies", SKIPPED, "no customer managed or trigger role policy names the source")
