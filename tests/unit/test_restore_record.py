from __future__ import annotations

import boto3
import pytest

from pitr.restore_record import (
    RecordCache,
    RecordError,
    RestoreRecord,
    format_time,
    load,
    parse_time,
)


def _record(**overrides: object) -> RestoreRecord:
    values: dict[str, object] = {
        "restore_id": "r-1",
        "target_table": "orders-restored-1",
        "status": "replaying",
        "replay_from": "restore_point",
        "restore_point": "2026-11-22T10:00:00Z",
        "replay_start": "2026-11-22T10:00:00Z",
    }
    values.update(overrides)
    return RestoreRecord(**values)  # type: ignore[arg-type]


def test_round_trip() -> None:
    record = _record(task_token="t", covered_since="2026-11-22T06:00:00.5Z")
    assert RestoreRecord.from_json(record.to_json()) == record


def test_replay_start_epoch() -> None:
    assert _record(replay_start="1970-01-01T00:01:40Z").replay_start_epoch == 100.0
    assert _record(replay_start=None).replay_start_epoch is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"restore_id": "r"}', "lacks"),
        (
            '{"restore_id":"r","target_table":"t","status":"done","replay_from":"restore_point"}',
            "status",
        ),
        (
            '{"restore_id":"r","target_table":"t","status":"claimed","replay_from":"later"}',
            "replay_from",
        ),
        (
            '{"restore_id":"r","target_table":"t","status":"claimed","replay_from":"restore_point","replay_start":"soon"}',
            "ISO 8601",
        ),
    ],
)
def test_malformed_records_are_refused(text: str, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        RestoreRecord.from_json(text)


def test_unknown_fields_are_ignored() -> None:
    text = _record().to_json()[:-1] + ', "added_later": 1}'
    assert RestoreRecord.from_json(text) == _record()


def test_times() -> None:
    assert format_time(0) == "1970-01-01T00:00:00Z"
    assert parse_time("2026-11-22T10:00:00+01:00") == parse_time("2026-11-22T09:00:00Z")
    assert parse_time("2026-11-22T09:00:00").tzinfo is not None


def test_load_absent_and_present(aws: None) -> None:
    ssm = boto3.client("ssm")
    assert load(ssm, "/dynamodb-pitr/orders/restore") is None
    ssm.put_parameter(Name="/dynamodb-pitr/orders/restore", Value=_record().to_json(), Type="String")
    assert load(ssm, "/dynamodb-pitr/orders/restore") == _record()


def test_cache_reads_once_per_ttl() -> None:
    now = [0.0]
    reads: list[int] = []

    def loader() -> RestoreRecord | None:
        reads.append(1)
        return _record()

    cache = RecordCache(loader, ttl_seconds=10, clock=lambda: now[0])
    cache.get()
    now[0] = 9.9
    cache.get()
    assert len(reads) == 1
    now[0] = 10.0
    cache.get()
    assert len(reads) == 2
    cache.invalidate()
    cache.get()
    assert len(reads) == 3
