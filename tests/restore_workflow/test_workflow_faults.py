"""The workflow under the fault classes of the kit (pitrctl.sim.faults) that reach it."""

from __future__ import annotations

import random

import boto3

from pitr import clients
from pitrctl.sim.faults import Faults, FlakySsm
from pitrctl.sim.workflow_world import World

TARGET = "orders-restored-1"


def test_workflow_waits_through_describe_table_not_found_after_the_restore_call(world_factory) -> None:
    world: World = world_factory()
    world.subscriber.write("a", "1")
    world.simulate_restore(TARGET, takes_seconds=120, not_found_seconds=30)
    world.start(TARGET, "restore-not-found")
    world.wait_parked()


def test_workflow_survives_too_many_updates_on_put_parameter(world_factory) -> None:
    world: World = world_factory()
    clients.override("ssm", FlakySsm(boto3.client("ssm"), Faults(random.Random(3), too_many_updates=0.5)))
    world.subscriber.write("a", "1")
    world.simulate_restore(TARGET, takes_seconds=120)
    world.start(TARGET, "restore-too-many-updates")
    world.wait_parked()
