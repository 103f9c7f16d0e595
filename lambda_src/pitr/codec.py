"""The buffer's record codec: stream record -> change -> SQS message body, and back.

A *change* is one stream record reduced to what replay needs: the item's full primary key, its new
image (or nothing, for a delete), the stream's ``ApproximateCreationDateTime`` (compared with the
replay start), the stream ``SequenceNumber`` and ``eventID`` (for logs and duplicate counting).

Message format (version 1)
--------------------------
Every body is ASCII (JSON with ``ensure_ascii``), so SQS's character rules never bite, whatever the
item's strings hold. A body is one of:

* plain: a JSON object ``{"v": 1, "op": "put"|"delete", "key": {...}, "item": {...}, "t": 1700000000,
  "seq": "...", "id": "<eventID>", "ttl": true}``; ``item`` only for ``put``, ``ttl`` only for deletes
  made by DynamoDB's time to live. ``key`` and ``item`` are DynamoDB JSON as in Lambda's stream event
  (binary values as base64 strings).
* compressed: ``"z1:" + base64(zlib(plain JSON))``, used when it is shorter than the plain form
  (DynamoDB JSON inflates an item up to ~7x; compressed, the worst cases shrink back well below 1 MiB).
* spilled: a plain or compressed JSON object with the same ``v, op, key, t, seq, id`` fields and a
  ``"spill": {"bucket": ..., "key": ...}`` pointer instead of ``item``. The S3 object holds the
  compressed plain form. Used when even the compressed body exceeds the SQS message size limit.
  Spilled bodies keep ``t``, so the replay writer skips stale changes without reading S3.

Message group id: ``sha256`` (hex) of the canonical, typed primary key (attribute names sorted,
numbers normalised exactly: DynamoDB numbers carry up to 38 significant digits, and two keys that
differ in any of them are two items): every item is ordered, distinct items replay in parallel.
Deduplication id: the stream record's ``eventID``.

Versions up to 1.x normalised key numbers at Python's default precision (28 digits), so two keys
differing only beyond the 28th digit shared a group and an identity. Groups of keys with at most 28
significant digits are unchanged; :func:`legacy_group_id` gives the old group of the others, which
the replay writer still accepts for messages buffered before an upgrade.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

VERSION = 1
PUT = "put"
DELETE = "delete"

# SQS limits: a message body and a whole SendMessageBatch request each hold at most 1 MiB. The
# margin leaves room for the request's other fields and for message attributes added later.
SQS_MAX_BYTES = 1_048_576
BODY_LIMIT = SQS_MAX_BYTES - 4_096
BATCH_BYTES_LIMIT = SQS_MAX_BYTES - 4_096
# Below this size compression rarely pays for its CPU and base64 overhead.
COMPRESS_MIN_BYTES = 512

_COMPRESSED_PREFIX = "z1:"
_TTL_PRINCIPAL = "dynamodb.amazonaws.com"


# Exact normalisation: more digits than any DynamoDB number has (38), and DynamoDB's exponent range
# (1E-130 to 9.9999999999999999999999999999999999999E+125) well inside the context's.
_EXACT = Context(prec=40, Emax=999_999, Emin=-999_999)
# What versions up to 1.x used (decimal's default context): rounds beyond 28 digits.
_LEGACY = Context(prec=28, Emax=999_999, Emin=-999_999)


class CodecError(ValueError):
    """A stream record or message body that cannot be turned into a change."""


@dataclass(frozen=True)
class Change:
    """One change of one item, as the buffer carries it."""

    op: str
    key: dict[str, Any]
    time: float
    seq: str
    event_id: str
    item: dict[str, Any] | None = None
    ttl: bool = False

    @property
    def group_id(self) -> str:
        return group_id(self.key)

    @property
    def item_key(self) -> str:
        return canonical_key(self.key)

    @property
    def watermark(self) -> str:
        return watermark(self.seq)


@dataclass(frozen=True)
class SpillPointer:
    """A change whose image lives in S3; everything but the image is in the message itself."""

    change: Change
    bucket: str
    key: str


# ---------------------------------------------------------------------------------------------
# Keys and groups
# ---------------------------------------------------------------------------------------------


def _canonical_value(value: Mapping[str, Any], context: Context = _EXACT) -> dict[str, str]:
    if len(value) != 1:
        raise CodecError(f"key attribute value must have exactly one type, got {sorted(value)}")
    ((kind, raw),) = value.items()
    if kind == "N":
        try:
            number = Decimal(raw)  # the constructor is exact whatever the context's precision
        except InvalidOperation as exc:
            raise CodecError(f"key number {raw!r} is not a number") from exc
        if not number.is_finite():
            raise CodecError(f"key number {raw!r} is not a finite number")
        if context is _EXACT:
            # Never round: a longer coefficient (trailing zeros, or more than DynamoDB allows)
            # widens the precision rather than merging two keys. -0 is the number 0.
            context = _EXACT.copy()
            context.prec = max(_EXACT.prec, len(number.as_tuple().digits))
            number = abs(number) if number.is_zero() else number
        return {"N": str(number.normalize(context))}
    if kind == "B":
        return {"B": raw if isinstance(raw, str) else base64.b64encode(raw).decode("ascii")}
    if kind == "S":
        return {"S": raw}
    raise CodecError(f"key attribute type {kind!r} is not S, N or B")


def canonical_key(key: Mapping[str, Any], context: Context = _EXACT) -> str:
    """A stable text form of a full primary key (hash and range): equal exactly for equal items."""
    if not key:
        raise CodecError("stream record has no Keys")
    canonical = {name: _canonical_value(key[name], context) for name in sorted(key)}
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def group_id(key: Mapping[str, Any]) -> str:
    """The SQS message group of an item: a hash, so any key fits SQS's 128-character limit."""
    return hashlib.sha256(canonical_key(key).encode("ascii")).hexdigest()


def legacy_group_id(key: Mapping[str, Any]) -> str:
    """The group versions up to 1.x gave the item (numbers rounded to 28 digits); equal to
    :func:`group_id` for every key whose numbers have at most 28 significant digits."""
    return hashlib.sha256(canonical_key(key, _LEGACY).encode("ascii")).hexdigest()


def watermark(seq: str) -> str:
    """The ordering key of a change: its stream ``SequenceNumber`` as a fixed-width decimal string.

    Sequence numbers are numeric strings of 21 to 40 characters (StreamRecord API reference), so
    as text "9..." sorts after "10..."; zero-padded to 40 digits, text order is numeric order, which
    DynamoDB condition expressions compare (``<`` on strings is byte order). See docs/ordering.md.
    """
    if not seq.isdigit() or len(seq) > 40:
        raise CodecError(f"SequenceNumber {seq!r} is not a number of at most 40 digits")
    return seq.rjust(40, "0")


# ---------------------------------------------------------------------------------------------
# Stream records
# ---------------------------------------------------------------------------------------------


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float | Decimal):
        return float(value)
    raise CodecError(f"ApproximateCreationDateTime {value!r} is neither epoch seconds nor a datetime")


def is_ttl_delete(record: Mapping[str, Any]) -> bool:
    """True for a delete made by DynamoDB's time to live (not by the application)."""
    identity = record.get("userIdentity") or {}
    return identity.get("type") == "Service" and identity.get("principalId") == _TTL_PRINCIPAL


def from_stream_record(record: Mapping[str, Any]) -> Change:
    """The change a Lambda DynamoDB stream event record carries."""
    data = record.get("dynamodb")
    if not isinstance(data, Mapping):
        raise CodecError(f"record {record.get('eventID')!r} is not a DynamoDB stream record")
    event = record.get("eventName")
    common: dict[str, Any] = {
        "key": dict(data.get("Keys") or {}),
        "time": _epoch(data.get("ApproximateCreationDateTime")),
        "seq": str(data.get("SequenceNumber", "")),
        "event_id": str(record.get("eventID", "")),
    }
    if not common["key"] or not common["seq"] or not common["event_id"]:
        raise CodecError(f"stream record lacks Keys, SequenceNumber or eventID: {record.get('eventID')!r}")
    if event == "REMOVE":
        return Change(op=DELETE, ttl=is_ttl_delete(record), **common)
    if event in ("INSERT", "MODIFY"):
        image = data.get("NewImage")
        if not image:
            raise CodecError(
                f"stream record {common['event_id']} ({event}) has no NewImage: the source table's "
                "stream view type must be NEW_IMAGE or NEW_AND_OLD_IMAGES (changing it replaces the "
                "stream; records without images cannot be replayed)"
            )
        return Change(op=PUT, item=dict(image), **common)
    raise CodecError(f"stream record {common['event_id']} has unknown eventName {event!r}")


# ---------------------------------------------------------------------------------------------
# Attribute values: Lambda's JSON form (binary as base64) <-> boto3 client form (binary as bytes)
# ---------------------------------------------------------------------------------------------


def _convert(value: Mapping[str, Any], binary: Any) -> dict[str, Any]:
    ((kind, raw),) = value.items()
    if kind == "B":
        return {"B": binary(raw)}
    if kind == "BS":
        return {"BS": [binary(x) for x in raw]}
    if kind == "M":
        return {"M": {k: _convert(v, binary) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_convert(v, binary) for v in raw]}
    return {kind: raw}


def _to_bytes(raw: str | bytes) -> bytes:
    return raw if isinstance(raw, bytes) else base64.b64decode(raw)


def _to_base64(raw: str | bytes) -> str:
    return raw if isinstance(raw, str) else base64.b64encode(raw).decode("ascii")


def to_client_image(image: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON from a stream event (binary as base64) -> boto3 client values (bytes)."""
    return {name: _convert(value, _to_bytes) for name, value in image.items()}


def to_event_image(image: Mapping[str, Any]) -> dict[str, Any]:
    """boto3 client values (bytes) -> DynamoDB JSON as a Lambda stream event carries it."""
    return {name: _convert(value, _to_base64) for name, value in image.items()}


# ---------------------------------------------------------------------------------------------
# Message bodies
# ---------------------------------------------------------------------------------------------


def _header(change: Change) -> dict[str, Any]:
    header: dict[str, Any] = {
        "v": VERSION,
        "op": change.op,
        "key": change.key,
        "t": change.time,
        "seq": change.seq,
        "id": change.event_id,
    }
    if change.ttl:
        header["ttl"] = True
    return header


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True)


def change_json(change: Change) -> str:
    """The plain body of a change."""
    data = _header(change)
    if change.item is not None:
        data["item"] = change.item
    return _dumps(data)


def compress(text: str) -> str:
    return _COMPRESSED_PREFIX + base64.b64encode(zlib.compress(text.encode("ascii"), 6)).decode("ascii")


def decompress(body: str) -> str:
    try:
        return zlib.decompress(base64.b64decode(body[len(_COMPRESSED_PREFIX) :], validate=True)).decode(
            "ascii"
        )
    except (ValueError, zlib.error) as exc:
        raise CodecError(f"compressed body is corrupt: {exc}") from exc


def shortest(text: str) -> str:
    """The plain text or its compressed form, whichever is shorter."""
    if len(text) < COMPRESS_MIN_BYTES:
        return text
    packed = compress(text)
    return packed if len(packed) < len(text) else text


@dataclass(frozen=True)
class Encoded:
    """A message body ready to send; ``spill`` holds (S3 key, object bytes) when it must be stored."""

    body: str
    spill: tuple[str, bytes] | None = None


def spill_key(change: Change) -> str:
    """S3 key of a spilled change: deterministic, so a retried send overwrites its own object."""
    return f"changes/{change.group_id}/{change.event_id}.json.z"


def encode(change: Change, bucket: str | None, body_limit: int = BODY_LIMIT) -> Encoded:
    """Encode a change; bodies over ``body_limit`` even when compressed go to S3 (``bucket``)."""
    body = shortest(change_json(change))
    if len(body) <= body_limit:
        return Encoded(body)
    if not bucket:
        raise CodecError(
            f"change {change.event_id} needs {len(body)} bytes compressed, over the {body_limit}-byte "
            "message limit, and no spill bucket is configured (SPILL_BUCKET)"
        )
    key = spill_key(change)
    pointer = _header(change)
    pointer["spill"] = {"bucket": bucket, "key": key}
    pointer_body = shortest(_dumps(pointer))
    if len(pointer_body) > body_limit:
        raise CodecError(f"change {change.event_id}: even its key does not fit a message")
    return Encoded(pointer_body, (key, zlib.compress(change_json(change).encode("ascii"), 6)))


def _change_from(data: Mapping[str, Any]) -> Change:
    if data.get("v") != VERSION:
        raise CodecError(f"message version {data.get('v')!r} is not {VERSION}; upgrade the replay writer")
    op = data.get("op")
    if op not in (PUT, DELETE):
        raise CodecError(f"message op {op!r} is not put or delete")
    try:
        return Change(
            op=op,
            key=dict(data["key"]),
            time=float(data["t"]),
            seq=str(data["seq"]),
            event_id=str(data["id"]),
            item=dict(data["item"]) if "item" in data else None,
            ttl=bool(data.get("ttl", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"message lacks a field or has a wrong type: {exc!r}") from exc


def json_object(text: str, what: str, error: type[Exception]) -> dict[str, Any]:
    """``text`` as a JSON object; else ``error`` saying that ``what`` is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"{what} is not a JSON object")
    return data


def _loads(text: str) -> dict[str, Any]:
    return json_object(text, "message body", CodecError)


def decode(body: str) -> Change | SpillPointer:
    """A message body back into its change, or a pointer to the change's S3 object."""
    text = decompress(body) if body.startswith(_COMPRESSED_PREFIX) else body
    data = _loads(text)
    spill = data.get("spill")
    if spill is not None:
        if not isinstance(spill, dict) or "bucket" not in spill or "key" not in spill:
            raise CodecError("spill pointer lacks bucket or key")
        return SpillPointer(_change_from(data), str(spill["bucket"]), str(spill["key"]))
    change = _change_from(data)
    if change.op == PUT and change.item is None:
        raise CodecError(f"put message {change.event_id} has no item")
    return change


def decode_spilled(pointer: SpillPointer, blob: bytes) -> Change:
    """The full change from a spilled S3 object; it must be the change the pointer names."""
    try:
        text = zlib.decompress(blob).decode("ascii")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise CodecError(f"spilled object s3://{pointer.bucket}/{pointer.key} is corrupt: {exc}") from exc
    change = _change_from(_loads(text))
    if change.event_id != pointer.change.event_id:
        raise CodecError(
            f"spilled object s3://{pointer.bucket}/{pointer.key} holds change {change.event_id}, "
            f"not {pointer.change.event_id}"
        )
    return replace(change, ttl=pointer.change.ttl)
