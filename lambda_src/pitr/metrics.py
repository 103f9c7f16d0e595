"""CloudWatch metrics as Embedded Metric Format (EMF) log lines: no API calls from the data path.

CloudWatch Logs turns each line into metrics in namespace ``DynamoDBPitrRestore`` with the
dimension ``SourceTable``. Metrics (who emits them):

* replay writer, per invocation: ``ReplayLagSeconds`` (max over applied changes of now minus the
  change's stream ``ApproximateCreationDateTime``; only when at least one change was applied),
  ``ReplayedChanges``, ``SkippedChanges`` (older than the replay start), ``CoalescedChanges``
  (superseded by a newer change of the same item in the batch), ``DuplicateChanges`` (same
  ``eventID`` twice in one batch), ``FailedChanges`` (reported back to the queue).
* subscriber, per invocation: ``BufferedChanges`` (messages sent), ``SpilledChanges`` (bodies stored
  in S3), ``CoalescedChanges``, ``FailedSends``.

moto does not turn log lines into metrics: tests parse lines with :func:`parse` and put the result
into moto's CloudWatch with :func:`to_metric_data` + ``put_metric_data``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "DynamoDBPitrRestore"
DIMENSION = "SourceTable"
# The replay writer emits it; the waiter reads it back (GetMetricData) to tell when replay caught up.
REPLAY_LAG = "ReplayLagSeconds"

SECONDS = "Seconds"
COUNT = "Count"


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


_sink: Callable[[str], None] = _stdout


def set_sink(sink: Callable[[str], None] | None) -> None:
    """Send EMF lines to ``sink`` instead of stdout (tests, harnesses); None restores stdout."""
    global _sink  # noqa: PLW0603 - one process-wide sink, like the log handler
    _sink = sink or _stdout


def emf_line(
    source_table: str,
    values: Mapping[str, tuple[float, str]],
    properties: Mapping[str, Any] | None = None,
    timestamp_ms: int | None = None,
) -> str:
    """One EMF JSON line; ``values`` maps metric name to (value, unit)."""
    payload: dict[str, Any] = dict(properties or {})
    payload.update(
        {
            "_aws": {
                "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
                    }
                ],
            },
            DIMENSION: source_table,
        }
    )
    payload.update({name: value for name, (value, _) in values.items()})
    return json.dumps(payload, separators=(",", ":"), default=str)


def emit(
    source_table: str,
    values: Mapping[str, tuple[float, str]],
    properties: Mapping[str, Any] | None = None,
) -> str:
    """Write one EMF line to the sink (stdout in Lambda) and return it."""
    line = emf_line(source_table, values, properties)
    _sink(line)
    return line


@dataclass(frozen=True)
class Datum:
    """One metric value read back from an EMF line."""

    namespace: str
    name: str
    value: float
    unit: str
    dimensions: dict[str, str] = field(default_factory=dict)
    timestamp_ms: int | None = None


def parse(line: str) -> list[Datum]:
    """Every metric value in an EMF line; [] for lines that are not EMF (plain logs)."""
    try:
        payload = json.loads(line)
    except json.JSONDecodeError:
        return []
    if not isinstance(payload, dict) or not isinstance(payload.get("_aws"), dict):
        return []
    meta = payload["_aws"]
    data: list[Datum] = []
    for directive in meta.get("CloudWatchMetrics", []):
        for dimension_set in directive.get("Dimensions", [[]]):
            dimensions = {name: str(payload[name]) for name in dimension_set}
            for metric in directive.get("Metrics", []):
                raw = payload.get(metric["Name"])
                for value in raw if isinstance(raw, list) else [raw]:
                    if isinstance(value, int | float):
                        data.append(
                            Datum(
                                namespace=directive["Namespace"],
                                name=metric["Name"],
                                value=float(value),
                                unit=metric.get("Unit", "None"),
                                dimensions=dimensions,
                                timestamp_ms=meta.get("Timestamp"),
                            )
                        )
    return data


def to_metric_data(data: Iterable[Datum]) -> dict[str, list[dict[str, Any]]]:
    """``put_metric_data`` arguments per namespace for parsed data (tests feed moto's CloudWatch)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for datum in data:
        entry: dict[str, Any] = {
            "MetricName": datum.name,
            "Value": datum.value,
            "Unit": datum.unit,
            "Dimensions": [{"Name": k, "Value": v} for k, v in datum.dimensions.items()],
        }
        if datum.timestamp_ms is not None:
            entry["Timestamp"] = datum.timestamp_ms / 1000.0
        out.setdefault(datum.namespace, []).append(entry)
    return out


def publish(cloudwatch: Any, lines: Iterable[str]) -> int:
    """Put the metrics of EMF ``lines`` with ``put_metric_data`` (test harnesses); returns the count."""
    count = 0
    for namespace, entries in to_metric_data(d for line in lines for d in parse(line)).items():
        for start in range(0, len(entries), 500):  # put_metric_data takes up to 1000 values per call
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=entries[start : start + 500])
        count += len(entries)
    return count
