"""The workflow sizes the replay to the restored table at replay start and puts the ceiling back.

The real workflow definition and steps in moto (``pitrctl.sim.workflow_world``): enable_replay sets
the replay mapping's ``MaximumConcurrency`` from the target's write capacity (``pitr.replay_sizing``)
under the deployment's ceiling, hands settings_sync the backlog's ``warm_write_units_per_second``,
and the release switches replay off with the ceiling back, so Terraform finds the mapping as it set
it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pitr import clients, replay_sizing
from pitrctl.sim.dynamodb_extras import DynamoDBExtrasFake
from pitrctl.sim.workflow_world import LEDGER, SOURCE, World

pytestmark = pytest.mark.slow

TARGET = "orders-restored-20300317"
CEILING = 500


def _concurrency(world: World) -> int | None:
    mapping = world.lam.get_event_source_mapping(UUID=world.replay_uuid)
    return (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")


def _step_output(world: World, arn: str, state: str) -> dict[str, Any]:
    exited = next(e for e in world.history(arn) if e.get("stateExitedEventDetails", {}).get("name") == state)
    return json.loads(exited["stateExitedEventDetails"]["output"])


def _parked(world: World) -> None:
    world.wait_for(
        lambda: (r := world.record()) and r.status == "caught_up" and r.task_token, "parked in caught_up"
    )
    world.wait_for(lambda: "Restore Caught Up" in world.detail_types(), "the caught-up notification")


@pytest.mark.parametrize("outcome", ["cutover", "abort"])
def test_replay_runs_at_the_sized_concurrency_and_the_ceiling_comes_back(world_factory, outcome: str) -> None:
    world: World = world_factory(replay_maximum_concurrency=CEILING)
    for key in "abcdefgh":
        world.subscriber.write(key, "1")
    world.simulate_restore(TARGET, takes_seconds=120)
    arn = world.start(TARGET, f"restore-{outcome}")
    _parked(world)

    # moto describes a new on-demand table with AWS's 4,000 warm write units: 200 pollers fill it
    # when each batch is one item written through the guard.
    expected = replay_sizing.concurrency_for(4000, CEILING)
    assert expected == 200 < CEILING
    assert _concurrency(world) == expected, "replay runs at the sized concurrency"
    replay = _step_output(world, arn, "EnableReplay")["replay"]["value"]
    assert replay["replay_concurrency"] == expected
    assert replay["write_capacity"] == 4000
    assert replay["backlog_messages"] >= 8, "the seeded changes were waiting in the buffer"
    (restore_call,) = world.settings.calls
    assert restore_call["warm_write_units_per_second"] == replay["warm_write_units_per_second"] > 0

    world.answer(outcome)
    done = world.finished(arn)
    assert done["status"] == "SUCCEEDED", world.history_names()
    assert not world.replay_enabled()
    assert _concurrency(world) == CEILING, "the ceiling is back once replay is off"


def test_a_failed_sizing_read_never_holds_replay_back(world_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """DescribeTable refused (an IAM mistake, say): replay starts at the ceiling, and says why."""
    world: World = world_factory(replay_maximum_concurrency=CEILING)
    world.simulate_restore(TARGET, takes_seconds=60)

    real = replay_sizing.backlog_messages

    def refused(sqs: Any, queue_url: str) -> int:
        sqs.get_queue_attributes(QueueUrl=queue_url + "-missing", AttributeNames=["All"])
        return real(sqs, queue_url)

    monkeypatch.setattr(replay_sizing, "backlog_messages", refused)
    arn = world.start(TARGET, "restore-unsized")
    _parked(world)
    assert world.replay_enabled()
    assert _concurrency(world) == CEILING
    replay = _step_output(world, arn, "EnableReplay")["replay"]["value"]
    assert replay["replay_concurrency"] == CEILING and "sizing skipped" in replay["reason"]
    assert world.settings.calls[0]["warm_write_units_per_second"] == 0
    world.answer("abort")
    assert world.finished(arn)["status"] == "SUCCEEDED"


def _warm_world(world_factory: Any, **config: Any) -> tuple[World, DynamoDBExtrasFake]:
    """A world whose DynamoDB models warm throughput as AWS documents it (the kit's fake: raised
    asynchronously, never lowered), with the source warmed to 12,000 write units by its history."""
    world: World = world_factory(replay_maximum_concurrency=CEILING, **config)
    fake = DynamoDBExtrasFake().install(world.ddb)
    clients.override("dynamodb", world.ddb)
    world.ddb.update_table(TableName=SOURCE, WarmThroughput={"WriteUnitsPerSecond": 12_000})
    return world, fake


def _ledger_warm(world: World) -> int:
    return world.ddb.describe_table(TableName=LEDGER)["Table"]["WarmThroughput"]["WriteUnitsPerSecond"]


def test_the_ledger_is_prewarmed_to_the_target_and_replay_sized_for_both(world_factory) -> None:
    """The target is pre-warmed to the source's 12,000 write units; the ledger, a new on-demand table
    (4,000), is raised to 12,000 too, within ``warm_throughput_max_write_units_per_second``."""
    world, fake = _warm_world(world_factory, warm_write_units_max=40_000)
    assert _ledger_warm(world) == replay_sizing.NEW_TABLE_WRITE_UNITS, "a new on-demand ledger starts cold"
    world.subscriber.write("a", "1")
    world.simulate_restore(TARGET, takes_seconds=60)
    arn = world.start(TARGET, "restore-warm-ledger")
    _parked(world)

    replay = _step_output(world, arn, "EnableReplay")["replay"]["value"]
    assert replay["ledger_warm_write_units_per_second"] == 12_000
    assert replay["ledger_prewarm"].startswith("asked for 12000 write units/s"), replay
    assert replay["write_capacity"] == 12_000, "sized for the raised ledger, not its 4,000"
    assert replay["replay_concurrency"] == _concurrency(world) == CEILING, "12,000 units want 600 pollers"
    assert _ledger_warm(world) == 12_000
    assert fake.warm[(LEDGER, None)]["Status"] == "ACTIVE", "settled after a describe (asynchronous)"
    world.answer("abort")
    assert world.finished(arn)["status"] == "SUCCEEDED"


def test_without_a_prewarm_bound_the_ledger_follows_the_source(world_factory) -> None:
    """``warm_throughput_max_write_units_per_second = 0`` pre-warms the target to the source's warm
    throughput only (12,000 here): the ledger follows it to the same level, no higher."""
    world, _fake = _warm_world(world_factory)
    world.simulate_restore(TARGET, takes_seconds=60)
    arn = world.start(TARGET, "restore-source-level-ledger")
    _parked(world)
    replay = _step_output(world, arn, "EnableReplay")["replay"]["value"]
    assert replay["ledger_warm_write_units_per_second"] == 12_000
    assert replay["write_capacity"] == 12_000
    assert _ledger_warm(world) == 12_000
    world.answer("abort")
    assert world.finished(arn)["status"] == "SUCCEEDED"


def test_a_cold_source_and_no_prewarm_bound_leave_the_ledger_alone(world_factory) -> None:
    """Nothing is paid for when neither the source nor the bound asks for more than a new table's
    4,000 units: replay is sized for the ledger as it is."""
    world: World = world_factory(replay_maximum_concurrency=CEILING)
    fake = DynamoDBExtrasFake().install(world.ddb)
    clients.override("dynamodb", world.ddb)
    world.simulate_restore(TARGET, takes_seconds=60)
    arn = world.start(TARGET, "restore-cold-ledger")
    _parked(world)
    replay = _step_output(world, arn, "EnableReplay")["replay"]["value"]
    assert "ledger_prewarm" not in replay and "ledger_warm_write_units_per_second" not in replay
    assert replay["write_capacity"] == 4000 and _concurrency(world) == 200
    assert (LEDGER, None) not in fake.warm or _ledger_warm(world) == 4000
    world.answer("abort")
    assert world.finished(arn)["status"] == "SUCCEEDED"


def test_a_refused_ledger_prewarm_is_reported_and_never_holds_replay_back(
    world_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UpdateTable on the ledger refused (an IAM mistake, say): replay is on, the step says why."""
    world, _fake = _warm_world(world_factory, warm_write_units_max=40_000)
    update_table = world.ddb.update_table

    def refuse_ledger(**kwargs: Any) -> Any:
        if kwargs["TableName"] == LEDGER:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "UpdateTable"
            )
        return update_table(**kwargs)

    monkeypatch.setattr(world.ddb, "update_table", refuse_ledger)
    world.simulate_restore(TARGET, takes_seconds=60)
    arn = world.start(TARGET, "restore-refused-ledger")
    _parked(world)
    assert world.replay_enabled()
    replay = _step_output(world, arn, "EnableReplay")["replay"]["value"]
    assert replay["ledger_prewarm"].startswith("not raised (ClientError"), replay
    assert "AccessDeniedException" in replay["ledger_prewarm"]
    assert _ledger_warm(world) == 4000
    world.answer("abort")
    assert world.finished(arn)["status"] == "SUCCEEDED"
