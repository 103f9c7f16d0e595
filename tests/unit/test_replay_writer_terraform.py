"""What ``terraform test`` cannot read: lifecycle blocks of cdc_buffer.tf.

The replay mapping's ``enabled`` and the buffer's ``message_retention_seconds`` belong to the restore
workflow after creation; an apply during a restore must not switch replay off or cut retention back.
(``tests/cdc_buffer.tftest.hcl`` also shows the retention one in action across two applies.)
"""

from __future__ import annotations

import re

import pytest
from conftest import REPO

MAIN = REPO / "cdc_buffer.tf"


def block(text: str, header: str) -> str:
    """The body of the block that starts with ``header`` (braces matched, strings skipped)."""
    start = text.index(header)
    depth, i, in_string = 0, text.index("{", start), False
    begin = i
    while i < len(text):
        c = text[i]
        if c == '"' and text[i - 1] != "\\":
            in_string = not in_string
        elif not in_string and c == "{":
            depth += 1
        elif not in_string and c == "}":
            depth -= 1
            if depth == 0:
                return text[begin + 1 : i]
        i += 1
    raise AssertionError(f"unbalanced block {header}")


def ignored(resource: str) -> set[str]:
    body = block(MAIN.read_text(), resource)
    lifecycle = block(body, "lifecycle")
    match = re.search(r"ignore_changes\s*=\s*\[([^\]]*)\]", lifecycle)
    assert match, f"{resource} has no ignore_changes"
    return {name.strip() for name in match.group(1).split(",") if name.strip()}


@pytest.mark.parametrize(
    ("resource", "attribute"),
    [
        ('resource "aws_lambda_event_source_mapping" "replay"', "enabled"),
        ('resource "aws_sqs_queue" "buffer"', "message_retention_seconds"),
    ],
)
def test_workflow_owned_attributes_are_ignored_by_terraform(resource: str, attribute: str) -> None:
    assert attribute in ignored(resource)


def test_replay_mapping_is_created_disabled() -> None:
    body = block(MAIN.read_text(), 'resource "aws_lambda_event_source_mapping" "replay"')
    assert re.search(r"^\s*enabled\s*=\s*false\s*$", body, re.MULTILINE)


def test_block_parser_finds_nested_blocks() -> None:
    text = 'resource "x" "y" {\n  a = "${b}"\n  lifecycle {\n    ignore_changes = [c, d]\n  }\n}\n'
    assert "ignore_changes" in block(block(text, 'resource "x"'), "lifecycle")
