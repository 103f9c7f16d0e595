"""``pitrctl verify``: is the restored table the source, item for item?

Both tables are read with parallel scans ("a Scan operation can logically divide a table or a
secondary index into multiple segments, with multiple application workers scanning the segments in
parallel", DynamoDB developer guide, Parallel scan); each item becomes a digest keyed by its primary
key, and the two maps are compared: missing (in the source, not in the restored table), extra (only
in the restored table), different. Keys that differ are read again after ``settle_seconds`` with
strongly consistent reads, so a change still on its way through the buffer is not reported.

Reads are paced by a token bucket on the read capacity the scans report (``ReturnConsumedCapacity``)
so the live table is not hurt. ``--sample F`` scans only a share F of the source's segments and
reads the same keys from the restored table (extras cannot be seen in a sample).

The comparison is pure (``digest``, ``compare``, ``compare_items``): the rehearsal calls it too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.markup import escape

from pitr import restore_record
from pitrctl import deployment
from pitrctl.errors import PitrctlError
from pitrctl.options import Comparison, CutoverOptions, VerifyOptions
from pitrctl.progress import Progress
from pitrctl.status import eta_seconds
from pitrctl.ui import Ui

MISSING = "missing"
EXTRA = "extra"
DIFFERENT = "different"
PROBLEMS = {
    MISSING: "missing in the restored table",
    EXTRA: "only in the restored table",
    DIFFERENT: "differs",
}
BATCH_GET_LIMIT = 100  # BatchGetItem: "up to 100 items"


################################################################################
# Pure comparison
################################################################################


def _canonical(value: Any) -> Any:
    """A DynamoDB JSON value in one spelling: sets sorted, numbers normalised, binaries in base64.

    Sets have no order ("the order of the values within a set is not preserved"), and a number can
    be written many ways (``1``, ``1.0``, ``1E0``) for the same value.
    """
    if not (isinstance(value, dict) and len(value) == 1):
        return value
    ((kind, inner),) = value.items()
    spell = _SPELLINGS.get(kind)
    return {kind: inner if spell is None else spell(inner)}


def _number(text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return "0" if number == 0 else format(number.normalize(), "f")


def _binary(value: Any) -> str:
    raw = getattr(value, "value", value)  # boto3's Binary wrapper
    if isinstance(raw, bytes | bytearray):
        return base64.b64encode(bytes(raw)).decode()
    return str(raw)


_SPELLINGS: dict[str, Callable[[Any], Any]] = {
    "N": _number,
    "NS": lambda ns: sorted(_number(n) for n in ns),
    "SS": sorted,
    "B": _binary,
    "BS": lambda bs: sorted(_binary(b) for b in bs),
    "M": lambda m: {k: _canonical(v) for k, v in sorted(m.items())},
    "L": lambda items: [_canonical(v) for v in items],
}


def key_of(item: Mapping[str, Any], key_names: Iterable[str]) -> str:
    """The item's primary key as canonical JSON (the same key spells the same in both tables)."""
    return json.dumps({name: _canonical(item[name]) for name in key_names}, sort_keys=True)


def request_key(key: str) -> dict[str, Any]:
    """A key from ``key_of`` back in the form a request takes (binaries as bytes again)."""
    return {
        name: {"B": base64.b64decode(value["B"])} if "B" in value else value
        for name, value in json.loads(key).items()
    }


def digest(item: Mapping[str, Any]) -> str:
    """128 bits of BLAKE2b over the canonical item: equal items, equal digests, whatever their size."""
    text = json.dumps({k: _canonical(v) for k, v in item.items()}, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Difference:
    key: str
    kind: str
    attributes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "problem": PROBLEMS[self.kind],
            "attributes": list(self.attributes),
        }


def compare(source: Mapping[str, str], target: Mapping[str, str], *, extras: bool = True) -> list[Difference]:
    """Differences between two ``{key: digest}`` maps, sorted by key. ``extras=False`` (a sample of
    the source) ignores keys only the target has."""
    differences = []
    for key in sorted(source.keys() | (target.keys() if extras else set())):
        left, right = source.get(key), target.get(key)
        if left == right:
            continue
        kind = MISSING if right is None else EXTRA if left is None else DIFFERENT
        differences.append(Difference(key, kind))
    return differences


def differing_attributes(left: Mapping[str, Any], right: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the attributes whose values differ (or exist on one side only)."""
    return tuple(
        sorted(
            name
            for name in left.keys() | right.keys()
            if name not in left
            or name not in right
            or digest({"v": left[name]}) != digest({"v": right[name]})
        )
    )


def digests(items: Iterable[Mapping[str, Any]], key_names: list[str]) -> dict[str, str]:
    return {key_of(item, key_names): digest(item) for item in items}


def compare_items(
    expected: Iterable[Mapping[str, Any]], actual: Iterable[Mapping[str, Any]], key_names: list[str]
) -> list[dict[str, Any]]:
    """Every difference between two lists of items (what the rehearsal checks), as dictionaries."""
    expected_by_key = {key_of(i, key_names): i for i in expected}
    actual_by_key = {key_of(i, key_names): i for i in actual}
    result = []
    for difference in compare(
        {k: digest(v) for k, v in expected_by_key.items()}, {k: digest(v) for k, v in actual_by_key.items()}
    ):
        attributes = ()
        if difference.kind == DIFFERENT:
            attributes = differing_attributes(expected_by_key[difference.key], actual_by_key[difference.key])
        result.append(Difference(difference.key, difference.kind, attributes).as_dict())
    return result


def summary(differences: Iterable[Difference], compared: int) -> dict[str, int]:
    counts = {MISSING: 0, EXTRA: 0, DIFFERENT: 0}
    for difference in differences:
        counts[difference.kind] += 1
    counts["equal"] = max(compared - counts[MISSING] - counts[DIFFERENT], 0)
    return counts


def sampled_segments(total_segments: int, fraction: float) -> list[int]:
    """``fraction`` of ``range(total_segments)``, spread evenly (at least one segment)."""
    count = max(1, min(total_segments, math.ceil(total_segments * fraction)))
    step = total_segments / count
    return sorted({int(i * step) for i in range(count)})


################################################################################
# Reading, paced
################################################################################


class ReadPacer:
    """A token bucket in read capacity units per second, shared by every scanning thread.

    A scan page's cost is known only after it is read (``ConsumedCapacity``), so a thread pays
    after the fact and sleeps off the debt: over any stretch the rate stays at ``units_per_second``.
    """

    def __init__(
        self,
        units_per_second: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = units_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = clock()
        self.consumed = 0.0

    def pay(self, units: float) -> None:
        with self._lock:
            self.consumed += units
            if not self.rate:
                return
            now = self._clock()
            self._next_free = max(self._next_free, now) + units / self.rate
            wait = self._next_free - now - 1.0  # one second of burst is allowed
        if wait > 0:
            self._sleep(wait)


@dataclass
class Tally:
    """Items read so far on each side (for the progress display)."""

    source: int = 0
    target: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, side: str, count: int) -> None:
        with self.lock:
            setattr(self, side, getattr(self, side) + count)


def scan_segment(
    dynamodb: Any,
    table: str,
    segment: int,
    total_segments: int,
    *,
    pacer: ReadPacer,
    page_size: int,
    consistent: bool,
    on_page: Callable[[list[dict[str, Any]]], None],
) -> None:
    request: dict[str, Any] = {
        "TableName": table,
        "Segment": segment,
        "TotalSegments": total_segments,
        "Limit": page_size,
        "ReturnConsumedCapacity": "TOTAL",
        "ConsistentRead": consistent,
    }
    while True:
        page = dynamodb.scan(**request)
        pacer.pay(float((page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)))
        on_page(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


UNPROCESSED_ATTEMPTS = 10


def batch_get(
    dynamodb: Any,
    table: str,
    keys: list[dict[str, Any]],
    pacer: ReadPacer,
    *,
    consistent: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Every item of ``keys`` that exists.

    botocore retries throttled calls; ``UnprocessedKeys`` is an answer, not an error, so it is asked
    again here, the only loop on that path, with exponential backoff as the API reference advises
    ("we strongly recommend that you use an exponential backoff algorithm").
    """
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request = {table: {"Keys": keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": consistent}}
        for attempt in range(UNPROCESSED_ATTEMPTS):
            answer = dynamodb.batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
            pacer.pay(sum(c.get("CapacityUnits", 0.0) for c in answer.get("ConsumedCapacity", [])))
            found.extend(answer.get("Responses", {}).get(table, []))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            sleep(min(0.05 * 2**attempt, 5.0))
        else:
            raise PitrctlError(
                f"DynamoDB left keys of {table} unprocessed {UNPROCESSED_ATTEMPTS} times in a row",
                hint="the table is throttled: lower --read-rate or try again later",
            )
    return found


################################################################################
# The comparison of two live tables
################################################################################


def key_names(description: Mapping[str, Any]) -> list[str]:
    return [k["AttributeName"] for k in description["KeySchema"]]


def _ticker(ui: Ui | None, tally: Tally, total: int | None, phase: str) -> Callable[[], None]:
    started = time.monotonic()
    last = [0.0]

    def tick(force: bool = False) -> None:
        now = time.monotonic()
        if ui is None or (not force and now - last[0] < 0.25):
            return
        last[0] = now
        elapsed = now - started
        rate = tally.source / elapsed if elapsed > 0 else None
        ui.update(
            Progress(
                phase=phase,
                elapsed_seconds=elapsed,
                done=tally.source,
                total=total,
                replay_rate_per_s=rate,
                eta_seconds=eta_seconds(max(total - tally.source, 0) if total else None, rate),
                detail=f"{tally.source} source items, {tally.target} restored items read",
            )
        )

    return tick


def compare_tables(
    dynamodb: Any,
    source: str,
    target: str,
    *,
    options: Comparison | None = None,
    ui: Ui | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Compare two tables; the report ``pitrctl verify`` prints (``passed`` when they are equal)."""
    options = options or Comparison()
    started = time.monotonic()
    source_description = dynamodb.describe_table(TableName=source)["Table"]
    target_description = dynamodb.describe_table(TableName=target)["Table"]
    names = key_names(source_description)
    if key_names(target_description) != names:
        raise PitrctlError(
            f"{target} has the key {key_names(target_description)}, {source} has {names}",
            hint="--target must name the restored copy of the source table",
        )
    pacer = ReadPacer(options.read_rate, sleep=sleep)
    tally = Tally()
    source_digests: dict[str, str] = {}
    target_digests: dict[str, str] = {}
    source_items_by_key: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    total = int(source_description.get("ItemCount") or 0) or None
    sampling = options.sample is not None and options.sample < 1
    segments = (
        sampled_segments(options.segments, options.sample) if sampling else list(range(options.segments))
    )
    if sampling and total:
        total = math.ceil(total * len(segments) / options.segments)
    tick = _ticker(ui, tally, total, "verify: sampling" if sampling else "verify: scanning")

    def collect(side: str, into: dict[str, str]) -> Callable[[list[dict[str, Any]]], None]:
        def on_page(items: list[dict[str, Any]]) -> None:
            pairs = [(key_of(i, names), digest(i)) for i in items]
            with lock:
                into.update(pairs)
                if sampling and side == "source":
                    source_items_by_key.update((key_of(i, names), {n: i[n] for n in names}) for i in items)
            tally.add(side, len(items))
            tick()

        return on_page

    jobs: list[tuple[str, int]] = [(source, s) for s in segments]
    if not sampling:
        jobs += [(target, s) for s in range(options.segments)]
    with ThreadPoolExecutor(max_workers=min(len(jobs), 2 * options.segments)) as pool:
        futures = [
            pool.submit(
                scan_segment,
                dynamodb,
                table,
                segment,
                options.segments,
                pacer=pacer,
                page_size=options.page_size,
                consistent=options.consistent,
                on_page=collect(
                    "source" if table == source else "target",
                    source_digests if table == source else target_digests,
                ),
            )
            for table, segment in jobs
        ]
        for future in futures:
            future.result()
    if sampling:
        keys = list(source_items_by_key.values())
        found = batch_get(dynamodb, target, keys, pacer, consistent=options.consistent, sleep=sleep)
        target_digests.update(digests(found, names))
        tally.add("target", len(found))
    tick(force=True)
    differences = compare(source_digests, target_digests, extras=not sampling)
    differences = _settle(
        dynamodb,
        source,
        target,
        names=names,
        differences=differences,
        options=options,
        pacer=pacer,
        sleep=sleep,
    )
    if ui is not None:
        ui.end_progress()
    counts = summary(differences, len(source_digests))
    return {
        "source_table": source,
        "target_table": target,
        "key": names,
        "mode": "sample" if sampling else "full",
        "sample": options.sample if sampling else None,
        "segments": {"total": options.segments, "scanned": len(segments)},
        "items_read": {"source": tally.source, "target": tally.target},
        "summary": counts,
        "extras_checked": not sampling,
        "differences": [d.as_dict() for d in differences[: options.shown]],
        "differences_shown": min(len(differences), options.shown),
        "read_capacity_units": round(pacer.consumed, 1),
        "read_rate_limit": options.read_rate,
        "elapsed_seconds": round(time.monotonic() - started, 1),
        "passed": not differences,
    }


def _settle(
    dynamodb: Any,
    source: str,
    target: str,
    *,
    names: list[str],
    differences: list[Difference],
    options: Comparison,
    pacer: ReadPacer,
    sleep: Callable[[float], None],
) -> list[Difference]:
    """Read the differing keys again (strongly consistent) after ``settle_seconds``: a change still
    in flight through the buffer then shows equal. What still differs is reported, with the names of
    the differing attributes."""
    if not differences:
        return differences
    if options.settle_seconds > 0:
        sleep(options.settle_seconds)
    keys = [request_key(d.key) for d in differences]
    left = {key_of(i, names): i for i in batch_get(dynamodb, source, keys, pacer, sleep=sleep)}
    right = {key_of(i, names): i for i in batch_get(dynamodb, target, keys, pacer, sleep=sleep)}
    settled = []
    for difference in differences:
        a, b = left.get(difference.key), right.get(difference.key)
        if a is None and b is None:
            continue  # deleted on both sides meanwhile
        if a is not None and b is not None:
            if digest(a) == digest(b):
                continue
            settled.append(Difference(difference.key, DIFFERENT, differing_attributes(a, b)))
        else:
            settled.append(Difference(difference.key, MISSING if b is None else EXTRA))
    return settled


################################################################################
# The command
################################################################################


RESTORE_REQUEST_NOTE = (
    "this deployment replays from the restore request: items nobody changed since the request keep "
    "their restore point values in the restored table, so they differ from the source by design; "
    "only differences in items changed since the request point to a problem"
)


def _target(options: VerifyOptions, aws: Any, found: deployment.Deployment) -> str:
    if options.target:
        return options.target
    record = restore_record.load(aws("ssm"), found.restore_record_parameter)
    if record is None:
        raise PitrctlError(
            f"no restore of {found.source_table} is in flight, so there is no restored table to compare",
            hint="name the table with --target",
            exit_code=2,
        )
    return record.target_table


def show(report: Mapping[str, Any], ui: Ui) -> None:
    counts = report["summary"]
    ui.table(
        f"{report['source_table']} vs {report['target_table']} ({report['mode']})",
        ("equal", "missing", "extra", "different", "items read", "RCU", "seconds"),
        [
            (
                counts["equal"],
                counts[MISSING],
                counts[EXTRA] if report["extras_checked"] else "not checked",
                counts[DIFFERENT],
                f"{report['items_read']['source']} + {report['items_read']['target']}",
                report["read_capacity_units"],
                report["elapsed_seconds"],
            )
        ],
    )
    if report["differences"]:
        ui.table(
            "Differences"
            + (" (first shown)" if report["differences_shown"] < sum(counts[k] for k in PROBLEMS) else ""),
            ("key", "problem", "attributes"),
            [(d["key"], d["problem"], ", ".join(d["attributes"])) for d in report["differences"]],
        )
    if report["passed"]:
        ui.say(f"[bold green]the tables are equal[/] ({counts['equal']} items compared)")
    else:
        ui.say(
            f"[bold red]the tables differ[/]: {counts[MISSING]} missing, {counts[EXTRA]} extra, "
            f"{counts[DIFFERENT]} different in {escape(report['target_table'])}"
        )


def command(options: VerifyOptions, aws: Any, ui: Ui) -> dict[str, Any]:
    """``pitrctl verify``: compare, show, return the report (exit status 1 when they differ)."""
    found = deployment.load(aws("ssm"), options.table, options.ssm_prefix)
    target = _target(options, aws, found)
    report = compare_tables(aws("dynamodb"), found.source_table, target, options=options.comparison, ui=ui)
    if found.replay_from == "restore_request":
        report["note"] = RESTORE_REQUEST_NOTE
    show(report, ui)
    if report.get("note"):
        ui.text(f"note: {report['note']}", style="yellow")
    return report


def before_cutover(
    options: CutoverOptions, aws: Any, ui: Ui, found: deployment.Deployment, target: str
) -> dict[str, Any] | None:
    """``pitrctl cutover --verify ask|yes|no``: compare first; on differences, cut over only when told to.

    ``ask`` asks on a terminal and skips otherwise (a script says ``--verify yes`` to get it).
    """
    mode = options.verify
    interactive = not ui.json_mode and ui.console.is_terminal
    if mode == "no" or (mode == "ask" and not interactive):
        return None
    if found.replay_from == "restore_request":
        ui.text(f"not comparing before the cut-over: {RESTORE_REQUEST_NOTE}", style="yellow")
        return None
    if mode == "ask":
        answer = ui.console.input("Compare the restored table with the source first (pitrctl verify)? [Y/n] ")
        if answer.strip().lower() not in ("", "y", "yes"):
            return None
    report = compare_tables(aws("dynamodb"), found.source_table, target, options=options.comparison, ui=ui)
    show(report, ui)
    if report["passed"]:
        return report
    if interactive:
        answer = ui.console.input("The tables differ. Cut over anyway? Type 'yes' to go on: ")
        if answer.strip().lower() == "yes":
            return report
    raise PitrctlError(
        f"not cutting over: {target} differs from {found.source_table} "
        f"({report['summary'][MISSING]} missing, {report['summary'][EXTRA]} extra, "
        f"{report['summary'][DIFFERENT]} different)",
        hint="look at the differing keys (pitrctl verify --json), fix or re-apply them, then cut over again",
    )
