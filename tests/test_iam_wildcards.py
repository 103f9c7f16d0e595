"""No IAM statement in any .tf file grants an action on Resource "*" unless docs/iam-wildcards.json lists it.

The allowlist lives in one JSON file (not in this test) so a security reviewer reads every wildcard
and its reason in one place; the README's security review points to it.

Policies here are built with ``jsonencode`` from HCL objects, often inside ``concat(...)`` or a
conditional. ``hcl2.load`` keeps such function-call arguments as one expression string, so the test
walks hcl2's parse tree instead and serializes every object literal it finds with hcl2 itself: the
values look exactly like ``hcl2.load``'s (strings stay quoted, expressions wrapped in ``${}``).
A statement is any object with the keys Effect, Action (or NotAction) and Resource (or NotResource).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
from conftest import REPO
from hcl2.rules.abstract import LarkRule
from hcl2.rules.containers import ObjectRule

ALLOWLIST_FILE = REPO / "docs" / "iam-wildcards.json"
_SKIP_DIRS = {".terraform", ".venv", ".venv-checkov", ".git", ".build"}


@dataclass(frozen=True)
class Statement:
    where: str  # file (and Sid) for the failure message
    body: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.body.get(key)


def _unquote(value: Any) -> Any:
    """'"x"' -> 'x'; an expression ('${...}') or anything else is returned unchanged."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value) if "${" not in value else value[1:-1]
    return value


def _is_literal(value: Any) -> bool:
    return isinstance(value, str) and value.startswith('"') and "${" not in value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _objects(node: Any) -> Iterator[ObjectRule]:
    if isinstance(node, ObjectRule):
        yield node
    if isinstance(node, LarkRule):
        for child in node.children:
            yield from _objects(child)


def statements_in(text: str, where: str) -> list[Statement]:
    """Every statement-like object literal in a Terraform file's text, however deeply nested."""
    found = []
    for obj in _objects(hcl2.parses(text)):
        body = {_unquote(k): v for k, v in obj.serialize().items()}
        has_action = "Action" in body or "NotAction" in body
        has_resource = "Resource" in body or "NotResource" in body
        if "Effect" in body and has_action and has_resource:
            sid = _unquote(body.get("Sid", '"(no Sid)"'))
            found.append(Statement(f"{where} [{sid}]", body))
    return found


def _grants_everything(statement: Statement) -> bool:
    """Resource "*" (alone, in a list, or as a literal inside an expression), or NotResource."""
    if statement.get("NotResource") is not None:
        return True
    for value in _as_list(statement.get("Resource")):
        if _unquote(value) == "*":
            return True
        # concat(["*"], ...) or a conditional: the literal is inside the expression text.
        if isinstance(value, str) and value.startswith("${") and '"*"' in value:
            return True
    return False


def violations(statements: list[Statement], allowlist: dict[str, dict[str, str]]) -> list[str]:
    """What each statement on "*" does that the allowlist does not allow."""
    problems = []
    for st in statements:
        if not _grants_everything(st):
            continue
        effect = st.get("Effect")
        if _unquote(effect) != "Allow" or not _is_literal(effect):
            problems.append(f'{st.where}: a statement on Resource "*" must be a literal Allow, got {effect}')
            continue
        if st.get("NotResource") is not None:
            problems.append(f"{st.where}: NotResource grants on every other resource; list the resources")
            continue
        if st.get("NotAction") is not None:
            problems.append(f'{st.where}: NotAction on Resource "*" grants every other action')
            continue
        # A Principal makes it a resource policy (key policy): "*" is that resource alone.
        section = "resource_policies" if st.get("Principal") is not None else "identity_policies"
        for action in _as_list(st.get("Action")):
            if not _is_literal(action):
                problems.append(
                    f'{st.where}: action {action} on Resource "*" is not a literal, so unreviewable'
                )
            elif _unquote(action) not in allowlist[section]:
                problems.append(
                    f'{st.where}: {_unquote(action)} on Resource "*" is not in {section} of '
                    f"{ALLOWLIST_FILE.relative_to(REPO)} (add it with a reason, or scope the resource)"
                )
    return problems


def _tf_files() -> list[Path]:
    return sorted(p for p in REPO.rglob("*.tf") if not _SKIP_DIRS.intersection(p.relative_to(REPO).parts))


@pytest.fixture(scope="module")
def allowlist() -> dict[str, dict[str, str]]:
    return json.loads(ALLOWLIST_FILE.read_text())


@pytest.fixture(scope="module")
def repo_statements() -> list[Statement]:
    found = []
    for path in _tf_files():
        found += statements_in(path.read_text(), str(path.relative_to(REPO)))
    return found


def test_allowlist_entries_have_reasons(allowlist: dict[str, Any]) -> None:
    assert set(allowlist) == {"about", "identity_policies", "resource_policies"}
    for section in ("identity_policies", "resource_policies"):
        assert allowlist[section], section
        for action, reason in allowlist[section].items():
            assert ":" in action, f"{action} is not a service:action name"
            assert len(reason.strip()) >= 30, f"{action} needs a reason a reviewer can check"


def test_scanner_sees_the_repository(repo_statements: list[Statement]) -> None:
    # A parser change that found nothing would make the real test pass vacuously.
    sids = {_unquote(st.get("Sid")) for st in repo_statements}
    for expected in ("WriteTraces", "ReadSourceStream", "WriteRestoredTables", "CopyAutoScaling"):
        assert expected in sids, f"statement {expected} not found: is the scanner still reading the files?"
    assert sum(_grants_everything(st) for st in repo_statements) >= 5


def test_no_unlisted_wildcard_grants(
    repo_statements: list[Statement], allowlist: dict[str, dict[str, str]]
) -> None:
    problems = violations(repo_statements, allowlist)
    assert not problems, 'IAM grants on Resource "*" outside the allowlist:\n' + "\n".join(problems)


def test_every_allowlisted_action_is_used(
    repo_statements: list[Statement], allowlist: dict[str, dict[str, str]]
) -> None:
    """A stale entry would let a later change grant it again unreviewed."""
    used = {
        ("resource_policies" if st.get("Principal") is not None else "identity_policies", _unquote(a))
        for st in repo_statements
        if _grants_everything(st)
        for a in _as_list(st.get("Action"))
    }
    stale = [
        f"{section}: {action}"
        for section in ("identity_policies", "resource_policies")
        for action in allowlist[section]
        if (section, action) not in used
    ]
    assert not stale, "allowlisted but granted nowhere (remove them):\n" + "\n".join(stale)


def test_no_policy_documents_terraform_cannot_show() -> None:
    """aws_iam_policy_document is opaque under mock_provider and to this scan: policies use jsonencode."""
    offenders = [
        str(path.relative_to(REPO))
        for path in _tf_files()
        if any("aws_iam_policy_document" in block for block in hcl2.loads(path.read_text()).get("data", []))
    ]
    assert not offenders, f"use jsonencode for policies, not aws_iam_policy_document: {offenders}"


# The scan must be able to fail: each snippet below is a way to grant on "*" that it has to catch.
_BAD_SNIPPETS = {
    "unlisted action": """
        locals {
          s = concat([], [{ Sid = "Bad", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["*"] }])
        }
    """,
    "bare string resource": """
        resource "aws_iam_role_policy" "p" {
          policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "dynamodb:*", Resource = "*" }] })
        }
    """,
    "deny on star": """
        locals { s = [{ Effect = "Deny", Action = ["xray:PutTraceSegments"], Resource = "*" }] }
    """,
    "not resource": """
        locals {
          s = [{ Effect = "Allow", Action = ["xray:PutTraceSegments"], NotResource = ["arn:aws:s3:::x"] }]
        }
    """,
    "not action": """
        locals { s = [{ Effect = "Allow", NotAction = ["iam:*"], Resource = ["*"] }] }
    """,
    "star inside an expression": """
        locals { s = [{ Effect = "Allow", Action = ["sqs:SendMessage"], Resource = var.x ? ["*"] : [] }] }
    """,
    "action from a variable": """
        locals { s = [{ Effect = "Allow", Action = local.actions, Resource = ["*"] }] }
    """,
    "key policy action in a role policy": """
        locals { s = [{ Effect = "Allow", Action = ["kms:*"], Resource = ["*"] }] }
    """,
}


@pytest.mark.parametrize("snippet", list(_BAD_SNIPPETS.values()), ids=list(_BAD_SNIPPETS))
def test_scan_catches_wildcard_grants(snippet: str, allowlist: dict[str, dict[str, str]]) -> None:
    found = statements_in(snippet, "snippet.tf")
    assert len(found) == 1
    assert violations(found, allowlist), 'the scan let a grant on Resource "*" through'


def test_scan_allows_listed_and_scoped_grants(allowlist: dict[str, dict[str, str]]) -> None:
    ok = """
        locals {
          s = [
            { Effect = "Allow", Action = ["xray:PutTraceSegments"], Resource = ["*"] },
            { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${aws_s3_bucket.b.arn}/*"] },
            {
              Effect = "Allow", Principal = { AWS = "arn:aws:iam::123456789012:root" },
              Action = "kms:*", Resource = "*"
            },
          ]
        }
    """
    found = statements_in(ok, "snippet.tf")
    assert len(found) == 3
    assert violations(found, allowlist) == []
