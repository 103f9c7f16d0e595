"""The real workflow definition executed in moto with the real waiter and step handlers.

Stand-ins (``standins.py``) play the data path and settings_sync; see ``harness.py`` for what is
simulated and why.
"""

from __future__ import annotations

import json

import pytest

from .harness import COVERAGE, SOURCE, STANDBY_RETENTION, World

pytestmark = pytest.mark.slow

TARGET = "orders-restored-20300317"


def _seed(world: World) -> None:
    for key, value in [("a", "1"), ("b", "1"), ("c", "1")]:
        world.subscriber.write(key, value)
    # The standby buffer already held these; a real replay mapping was never enabled, so they wait.


def test_happy_path_through_cutover(world_factory) -> None:
    world: World = world_factory()
    _seed(world)
    world.fake.advance(60)
    world.simulate_restore(TARGET, takes_seconds=1800)
    restore_point = world.fake.clock()
    # Writes while the restore runs (buffered, replay disabled) and after it (mirroring).
    world.schedule_writes(10, 30, [("a", "2"), ("b", None), ("d", "1"), ("a", "3")])
    world.schedule_writes(1800 + 120, 20, [("e", "1"), ("c", "2"), ("d", None)])

    arn = world.start(TARGET, "restore-1")
    world.wait_for(lambda: (r := world.record()) and r.status == "caught_up" and r.task_token, "caught up")
    record = world.record()
    assert record.target_table == TARGET
    assert record.restore_point is not None and record.replay_start == record.restore_point
    assert world.retention() == 1_209_600, "retention raised to 14 days while the restore is in flight"
    assert world.replay_enabled()
    settings_calls = [c["phase"] for c in world.settings.calls]
    assert settings_calls == ["restore"]
    assert world.settings.calls[0]["exclude_mapping_uuids"] == ["stream-mapping-uuid"]
    assert world.settings.calls[0]["target_table"] == TARGET

    # Replay was enabled within the cap of the table becoming ACTIVE: the first poll at or after
    # ACTIVE happened at most cap - margin after it (the fake clock only moves in waiter sleeps).
    active_at = world.restores[TARGET]["active_at"]
    assert active_at - restore_point == 1800

    # More live writes, then the operator pauses writes and cuts over.
    world.schedule_writes(5, 5, [("f", "1"), ("e", "2")])
    world.fake.advance(30)
    world.answer("cutover")
    done = world.finished(arn)
    assert done["status"] == "SUCCEEDED", world.history_names()
    outcome = json.loads(done["output"])
    assert outcome["outcome"] == "cut_over" and outcome["switch_now"] is True
    assert outcome["settings"]["restore"]["counts"]["applied"] == 7
    assert outcome["settings"]["cutover"]["counts"]["applied"] == 2
    assert [c["phase"] for c in world.settings.calls] == ["restore", "cutover"]

    assert world.items(TARGET) == world.items(SOURCE), "the restored table equals the source at cut-over"
    assert set(world.items(SOURCE)) == {"a", "c", "e", "f"}
    assert not world.replay_enabled(), "replay disabled after cut-over"
    assert world.retention() == STANDBY_RETENTION, "retention back to the standby value"
    assert world.record() is None, "restore record released"
    kept = json.loads(world.ssm.get_parameter(Name=COVERAGE)["Parameter"]["Value"])
    assert kept["replay_ended_at"], "the next restore's coverage starts after this replay"

    types = world.detail_types()
    assert types == [
        "Restore Started",
        "Restore Table Active",
        "Restore Caught Up",
        "Restore Cut Over",
    ]
    cut = world.notifications()[-1]["detail"]
    assert cut["source_table"] == SOURCE and cut["target_table"] == TARGET
    assert cut["restore_id"] == "restore-1"
    assert cut["restore_point"] == record.restore_point and cut["replay_start"] == record.replay_start
    assert cut["settings"]["cutover"]["counts"]["applied"] == 2
    assert len(world.sns_messages()) == 4
