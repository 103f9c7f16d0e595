"""The workflow's service integration ARNs name the deployment's partition.

``arn:aws:states:::lambda:invoke`` is wrong in aws-cn and aws-us-gov; the template takes the
partition, and pitrctl's renderer (``pitrctl/workflow.py``) must stay byte-identical with Terraform's
``templatefile`` for it too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from restore_workflow.test_templates import _terraform_render

from pitrctl import workflow

PARTITIONS = ["aws", "aws-cn", "aws-us-gov"]


def _values(partition: str) -> dict[str, object]:
    function = f"arn:{partition}:lambda:cn-northwest-1:123456789012:function"
    return workflow.values(
        source_table_name="orders",
        waiter_function_arn=f"{function}:pitr-orders-restore-waiter",
        steps_function_arn=f"{function}:pitr-orders-restore-steps",
        settings_sync_function_arn=f"{function}:pitr-orders-settings-sync",
        stream_mapping_uuid="bbbbbbbb-0000-4000-8000-000000000002",
        partition=partition,
    )


def _task_resources(definition: dict) -> list[str]:
    found = []
    for state in definition.get("States", {}).values():
        if state.get("Type") == "Task":
            found.append(state["Resource"])
        for branch in state.get("Branches", []):
            found += _task_resources(branch)
        if "ItemProcessor" in state:
            found += _task_resources(state["ItemProcessor"])
    return found


@pytest.mark.parametrize("partition", PARTITIONS)
def test_every_task_integration_names_the_partition(partition: str) -> None:
    resources = _task_resources(workflow.definition(_values(partition)))
    assert resources
    assert all(
        re.fullmatch(rf"arn:{partition}:states:::lambda:invoke(\.waitForTaskToken)?", r) for r in resources
    ), sorted(set(resources))
    assert "arn:aws:states" not in workflow.render(_values(partition)) or partition == "aws"


@pytest.mark.terraform
@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_terraform_and_python_render_the_same_text_in_every_partition(partition: str, tmp_path: Path) -> None:
    values = _values(partition)
    python = workflow.render(values)
    assert _terraform_render(workflow.TEMPLATE, values, tmp_path) == python
    json.loads(python)
