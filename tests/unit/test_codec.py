from __future__ import annotations

import base64
import json
import os
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitr import codec
from pitr.codec import Change, CodecError, SpillPointer

# Worst-case fixtures of docs/design.md#large-items: items of about 400 KB (DynamoDB's item size limit).
LIST_ITEMS = 195_000  # a list element costs 1 byte of value + 1 byte of overhead
BINARY_BYTES = 399_000


def _record(event: str = "MODIFY", **dynamodb: object) -> dict[str, object]:
    data: dict[str, object] = {
        "Keys": {"pk": {"S": "a"}, "sk": {"N": "1"}},
        "SequenceNumber": "100",
        "ApproximateCreationDateTime": 1_700_000_000.0,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if event != "REMOVE":
        data["NewImage"] = {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}}
    data.update(dynamodb)
    return {"eventID": "e1", "eventName": event, "dynamodb": data}


def worst_case_list_item() -> dict[str, object]:
    values = [{"BOOL": True}, {"NULL": True}, {"BOOL": False}]
    return {
        "pk": {"S": "big"},
        "sk": {"N": "1"},
        "flags": {"L": [values[i % 3] for i in range(LIST_ITEMS)]},
    }


def binary_item(seed: int = 7) -> dict[str, object]:
    blob = (
        os.urandom(BINARY_BYTES)
        if seed < 0
        else bytes((i * seed * 2654435761) % 251 for i in range(BINARY_BYTES))
    )
    return {"pk": {"S": "bin"}, "sk": {"N": "2"}, "blob": {"B": base64.b64encode(blob).decode("ascii")}}


def _change(item: dict[str, object]) -> Change:
    return Change(
        op=codec.PUT,
        key={"pk": item["pk"], "sk": item["sk"]},
        time=1.0,
        seq="1",
        event_id="e-big",
        item=item,
    )


# -- keys and groups ---------------------------------------------------------------------------


def test_group_id_is_stable_over_attribute_order_and_number_form() -> None:
    a = codec.group_id({"pk": {"S": "x"}, "sk": {"N": "1.0"}})
    b = codec.group_id({"sk": {"N": "1"}, "pk": {"S": "x"}})
    assert a == b
    assert len(a) == 64 and all(c in "0123456789abcdef" for c in a)


def test_group_id_uses_the_full_typed_key() -> None:
    base = codec.group_id({"pk": {"S": "x"}, "sk": {"N": "1"}})
    assert codec.group_id({"pk": {"S": "x"}, "sk": {"N": "2"}}) != base  # range key counts
    assert codec.group_id({"pk": {"S": "x"}, "sk": {"S": "1"}}) != base  # type counts
    assert codec.group_id({"pk": {"S": "x"}}) != base


def test_group_id_binary_keys_agree_between_bytes_and_base64() -> None:
    assert codec.group_id({"pk": {"B": b"\x00\xff"}}) == codec.group_id({"pk": {"B": "AP8="}})


@pytest.mark.parametrize(
    "key", [{}, {"pk": {"BOOL": True}}, {"pk": {"S": "a", "N": "1"}}, {"pk": {"N": "x"}}]
)
def test_bad_keys_are_refused(key: dict[str, object]) -> None:
    with pytest.raises(CodecError):
        codec.group_id(key)


# -- stream records ----------------------------------------------------------------------------


def test_from_stream_record_put_and_delete() -> None:
    put = codec.from_stream_record(_record("INSERT"))
    assert (put.op, put.seq, put.event_id, put.time, put.ttl) == (
        codec.PUT,
        "100",
        "e1",
        1_700_000_000.0,
        False,
    )
    assert put.item is not None and put.item["v"] == {"S": "x"}
    delete = codec.from_stream_record(_record("REMOVE"))
    assert delete.op == codec.DELETE and delete.item is None and not delete.ttl


def test_ttl_deletes_are_recognised() -> None:
    record = _record("REMOVE")
    record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert codec.from_stream_record(record).ttl
    record["userIdentity"] = {"type": "Service", "principalId": "someone.else"}
    assert not codec.from_stream_record(record).ttl


def test_records_without_new_image_are_refused_with_the_fix() -> None:
    record = _record("MODIFY")
    del record["dynamodb"]["NewImage"]  # type: ignore[attr-defined]
    with pytest.raises(CodecError, match="NEW_AND_OLD_IMAGES"):
        codec.from_stream_record(record)


def test_unknown_event_and_missing_fields_are_refused() -> None:
    with pytest.raises(CodecError, match="eventName"):
        codec.from_stream_record(_record("TRUNCATE"))
    with pytest.raises(CodecError, match="Keys"):
        codec.from_stream_record(_record("INSERT", Keys={}))
    with pytest.raises(CodecError):
        codec.from_stream_record({"eventID": "x"})


# -- bodies ------------------------------------------------------------------------------------

attribute_values = st.recursive(
    st.one_of(
        st.builds(lambda s: {"S": s}, st.text(max_size=20)),
        st.builds(lambda n: {"N": str(n)}, st.integers(-(10**12), 10**12)),
        st.builds(lambda b: {"B": base64.b64encode(b).decode()}, st.binary(max_size=20)),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"NULL": True}),
    ),
    lambda inner: st.one_of(
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=4)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=4)),
    ),
    max_leaves=20,
)


@given(
    item=st.dictionaries(st.text(min_size=1, max_size=8), attribute_values, max_size=6),
    op=st.sampled_from([codec.PUT, codec.DELETE]),
    ttl=st.booleans(),
)
def test_encode_decode_round_trip(item: dict[str, object], op: str, ttl: bool) -> None:
    change = Change(
        op=op,
        key={"pk": {"S": "k\u2603\uffff"}},  # non-ASCII and a character SQS refuses raw
        time=1_700_000_123.0,
        seq="42",
        event_id="e",
        item={"pk": {"S": "k\u2603\uffff"}, **item} if op == codec.PUT else None,
        ttl=ttl and op == codec.DELETE,
    )
    encoded = codec.encode(change, bucket=None)
    assert encoded.spill is None
    assert encoded.body.isascii()
    assert codec.decode(encoded.body) == change


def test_small_bodies_stay_plain_and_large_ones_are_compressed() -> None:
    small = codec.encode(codec.from_stream_record(_record()), None).body
    assert small.startswith("{")
    big = _change({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "y" * 5000}})
    body = codec.encode(big, None).body
    assert body.startswith("z1:") and len(body) < 1000
    assert codec.decode(body) == big


def test_worst_case_list_item_round_trips_in_one_message() -> None:
    item = worst_case_list_item()
    raw = json.dumps(item)
    assert len(raw) > 5 * 400_000  # the ~7x inflation docs/design.md#large-items warns about
    change = _change(item)
    encoded = codec.encode(change, bucket=None)
    assert encoded.spill is None and len(encoded.body) <= codec.BODY_LIMIT
    assert codec.decode(encoded.body) == change


def test_binary_item_round_trips_in_one_message() -> None:
    item = binary_item(seed=-1)  # random bytes: compression cannot help
    change = _change(item)
    encoded = codec.encode(change, bucket=None)
    assert encoded.spill is None and len(encoded.body) <= codec.BODY_LIMIT
    decoded = codec.decode(encoded.body)
    assert decoded == change
    assert isinstance(decoded, Change) and decoded.item is not None
    assert len(codec.to_client_image(decoded.item)["blob"]["B"]) == BINARY_BYTES


def test_oversized_bodies_spill_with_a_pointer_that_keeps_time_and_key() -> None:
    change = _change(binary_item(seed=-1))
    encoded = codec.encode(change, bucket="spill", body_limit=10_000)
    assert encoded.spill is not None
    key, blob = encoded.spill
    assert key == codec.spill_key(change) and change.group_id in key
    pointer = codec.decode(encoded.body)
    assert isinstance(pointer, SpillPointer)
    assert (pointer.bucket, pointer.key, pointer.change.time, pointer.change.key) == (
        "spill",
        key,
        change.time,
        change.key,
    )
    assert codec.decode_spilled(pointer, blob) == change


def test_oversized_bodies_without_a_bucket_fail_clearly() -> None:
    with pytest.raises(CodecError, match="SPILL_BUCKET"):
        codec.encode(_change(binary_item(seed=-1)), bucket=None, body_limit=10_000)


def test_spilled_object_must_match_its_pointer() -> None:
    change = _change(binary_item(seed=3))
    encoded = codec.encode(change, bucket="b", body_limit=1000)
    pointer = codec.decode(encoded.body)
    assert isinstance(pointer, SpillPointer)
    other = zlib.compress(
        codec.change_json(Change(op="delete", key=change.key, time=1, seq="1", event_id="x")).encode()
    )
    with pytest.raises(CodecError, match="holds change x"):
        codec.decode_spilled(pointer, other)
    with pytest.raises(CodecError, match="corrupt"):
        codec.decode_spilled(pointer, b"not zlib")


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        "z1:!!!",
        json.dumps({"v": 2, "op": "put"}),
        json.dumps({"v": 1, "op": "upsert"}),
        json.dumps({"v": 1, "op": "put", "key": {}, "t": 1, "seq": "1", "id": "e"}),
        json.dumps({"v": 1, "op": "delete", "t": 1}),
        json.dumps({"v": 1, "op": "delete", "key": {}, "t": 1, "seq": "1", "id": "e", "spill": {}}),
    ],
)
def test_bad_bodies_raise_codec_error(body: str) -> None:
    with pytest.raises(CodecError):
        codec.decode(body)


def test_client_and_event_images_convert_nested_binary() -> None:
    event = {
        "b": {"B": "AAE="},
        "bs": {"BS": ["AQ=="]},
        "m": {"M": {"l": {"L": [{"B": "Ag=="}, {"N": "1"}]}}},
    }
    client = codec.to_client_image(event)
    assert client == {
        "b": {"B": b"\x00\x01"},
        "bs": {"BS": [b"\x01"]},
        "m": {"M": {"l": {"L": [{"B": b"\x02"}, {"N": "1"}]}}},
    }
    assert codec.to_event_image(client) == event


# -- exact number keys ----------------------------------------------------------------------------


def test_keys_differing_beyond_the_28th_digit_are_distinct_items_and_groups() -> None:
    a = {"id": {"N": "1234567890123456789012345678901234567"}}
    b = {"id": {"N": "1234567890123456789012345678901234568"}}
    assert codec.canonical_key(a) != codec.canonical_key(b)
    assert codec.group_id(a) != codec.group_id(b)
    # What versions up to 1.x computed: the two collided (rounded to 28 digits).
    assert codec.legacy_group_id(a) == codec.legacy_group_id(b)


@pytest.mark.parametrize(
    ("one", "other"),
    [("1.50", "1.5"), ("100", "1E+2"), ("-0.000", "0"), ("1" + "0" * 37, "1E+37"), ("00012", "12")],
)
def test_equal_numbers_are_one_item(one: str, other: str) -> None:
    assert codec.group_id({"k": {"N": one}}) == codec.group_id({"k": {"N": other}})


def test_legacy_group_equals_the_exact_group_up_to_28_digits() -> None:
    key = {"pk": {"S": "a"}, "sk": {"N": "1234567890123456789012345678"}}
    assert codec.legacy_group_id(key) == codec.group_id(key)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "1e", ""])
def test_a_key_that_is_not_a_finite_number_is_refused(bad: str) -> None:
    with pytest.raises(codec.CodecError):
        codec.canonical_key({"k": {"N": bad}})


def test_watermarks_compare_as_integers() -> None:
    assert codec.watermark("9" * 21) < codec.watermark("1" + "0" * 21)  # "9..." > "10..." as text
    assert codec.watermark("1" * 40) > codec.watermark("9" * 39)
    for bad in ("", "12a", "1" * 41):
        with pytest.raises(codec.CodecError):
            codec.watermark(bad)
