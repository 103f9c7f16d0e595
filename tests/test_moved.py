"""Upgrading from the feature-module layout plans no replacement: moved.tf maps every former address.

The module used to call three feature modules (modules/cdc_buffer, modules/restore_watcher,
modules/settings_sync); their resources and function modules now live in the root's files. A former
address without a ``moved`` block would make Terraform destroy the deployed resource and create a
new one (a new buffer queue loses every buffered change). ``FORMER`` is the old layout's complete
list of resource and module addresses, frozen as it was released; Terraform itself does not check
that a ``moved`` block's target exists (``terraform validate`` accepts any address), so this does.
"""

from __future__ import annotations

import re

import pytest
from conftest import REPO

FORMER = {
    "cdc_buffer": [
        "aws_sqs_queue.buffer_dlq",
        "aws_sqs_queue.buffer",
        "aws_sqs_queue.stream_failures",
        "aws_sqs_queue_policy.tls_only",
        "aws_s3_bucket.spill",
        "aws_s3_bucket_public_access_block.spill",
        "aws_s3_bucket_ownership_controls.spill",
        "aws_s3_bucket_server_side_encryption_configuration.spill",
        "aws_s3_bucket_lifecycle_configuration.spill",
        "aws_s3_bucket_policy.spill",
        "aws_dynamodb_table.ledger",
        "module.subscriber",
        "aws_lambda_event_source_mapping.stream",
        "module.replay_writer",
        "aws_lambda_event_source_mapping.replay",
        "aws_cloudwatch_metric_alarm.this",
    ],
    "restore_watcher": [
        "aws_kms_key.notifications",
        "aws_kms_alias.notifications",
        "aws_sns_topic.notifications",
        "aws_sns_topic_policy.notifications",
        "aws_sns_topic_subscription.email",
        "module.waiter",
        "module.steps",
        "aws_cloudwatch_log_group.workflow",
        "aws_iam_role.workflow",
        "aws_iam_role_policy.workflow",
        "aws_sfn_state_machine.this",
        "aws_cloudwatch_event_rule.restore_requested",
        "aws_iam_role.rule",
        "aws_iam_role_policy.rule",
        "aws_cloudwatch_event_target.workflow",
        "aws_sqs_queue.trigger_dead_letters",
        "aws_sqs_queue_policy.trigger_dead_letters",
        "aws_cloudwatch_event_rule.execution_ended",
        "aws_cloudwatch_event_target.release",
        "aws_lambda_permission.release",
        "aws_cloudwatch_metric_alarm.executions",
        "aws_cloudwatch_metric_alarm.trigger_failed",
    ],
    "settings_sync": ["module.function"],
}

_MOVED = re.compile(r"^moved \{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}", re.MULTILINE)


def _moved() -> dict[str, str]:
    pairs = _MOVED.findall((REPO / "moved.tf").read_text())
    sources = [source for source, _ in pairs]
    assert len(sources) == len(set(sources)), "an address is moved twice"
    return dict(pairs)


def _root_text() -> str:
    return "\n".join(path.read_text() for path in sorted(REPO.glob("*.tf")) if path.name != "moved.tf")


def _declared(address: str, root: str) -> bool:
    """Whether the root configuration declares ``address`` (a resource, or a module instance)."""
    module = re.fullmatch(r'module\.(\w+)(?:\["(\w+)"\])?', address)
    if module is None:
        kind, name = address.split(".")
        return re.search(rf'^resource "{kind}" "{name}" \{{', root, re.MULTILINE) is not None
    call, key = module.groups()
    block = re.search(rf'^module "{call}" \{{\n(.*?)^\}}', root, re.MULTILINE | re.DOTALL)
    if block is None:
        return False
    if key is None:
        return "for_each" not in block.group(1)
    # A keyed instance: the call's for_each is a local whose map holds the key.
    each = re.search(r"for_each\s*=\s*local\.(\w+)", block.group(1))
    assert each, f"module {call}: for_each is not a local this test can read"
    body = re.search(rf"^  {each.group(1)}\s*=\s*\{{\n(.*?)^  \}}", root, re.MULTILINE | re.DOTALL)
    return body is not None and re.search(rf"^\s+{key}\s+=", body.group(1), re.MULTILINE) is not None


@pytest.mark.parametrize(
    "former",
    [f"module.{module}.{address}" for module, addresses in FORMER.items() for address in addresses],
    ids=str,
)
def test_every_former_address_moves_to_a_declared_one(former: str) -> None:
    moved = _moved()
    # A former nested module call is module.<part>.module.<call>; its new address is a root one.
    assert former in moved, f"moved.tf has no moved block from {former}: an upgrade would replace it"
    assert _declared(moved[former], _root_text()), (
        f"moved.tf moves {former} to {moved[former]}, which the root does not declare"
    )


def test_no_two_former_addresses_share_a_target() -> None:
    targets = list(_moved().values())
    assert len(targets) == len(set(targets)), sorted(t for t in targets if targets.count(t) > 1)


def test_moved_names_only_former_addresses() -> None:
    """A moved block for an address that never existed hides a typo in one that did."""
    former = {f"module.{module}.{address}" for module, addresses in FORMER.items() for address in addresses}
    assert set(_moved()) <= former, sorted(set(_moved()) - former)


def test_the_check_can_fail() -> None:
    root = _root_text()
    assert _declared("aws_sqs_queue.buffer", root)
    assert not _declared("aws_sqs_queue.nope", root)
    assert _declared('module.workflow_function["restore_steps"]', root)
    assert not _declared('module.workflow_function["cdc_subscriber"]', root)
    assert not _declared("module.workflow_function", root)  # a for_each call needs its key
