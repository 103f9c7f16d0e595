"""The workflow world (``pitrctl.sim.workflow_world``) inside moto with Step Functions executing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from pitr import clients
from pitrctl.sim.workflow_world import World


@pytest.fixture
def world_factory() -> Iterator[Callable[..., World]]:
    from moto import mock_aws

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        clients.reset()
        stack.callback(clients.reset)
        yield lambda **kw: World(stack, **kw)
