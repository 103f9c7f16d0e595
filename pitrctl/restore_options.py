"""What ``pitrctl restore`` asks RestoreTableToPointInTime to change, and what the table will lack.

The API (RestoreTableToPointInTime, request parameters): ``GlobalSecondaryIndexOverride`` /
``LocalSecondaryIndexOverride``: "List of global [local] secondary indexes for the restored table.
The indexes provided should match existing secondary indexes. You can choose to exclude some or all
of the indexes at the time of restore." Beside them ``BillingModeOverride``,
``ProvisionedThroughputOverride``, ``OnDemandThroughputOverride`` and ``SSESpecificationOverride``.
Without an override, "Global secondary indexes (GSIs), Local secondary indexes (LSIs), Provisioned
read and write capacity, Encryption settings" come "from the current settings of the source table at
the time of restore". Seed 2's advice: indexes nobody needs make a restore slower.

Pure functions over the source's DescribeTable answer; nothing here calls AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pitrctl.errors import PitrctlError

PROVISIONED = "PROVISIONED"
ON_DEMAND = "PAY_PER_REQUEST"


@dataclass(frozen=True)
class Choices:
    """The operator's overrides (``pitrctl restore`` options); None leaves the source's value."""

    billing_mode: str | None = None
    without_indexes: tuple[str, ...] = ()
    read_capacity: int | None = None
    write_capacity: int | None = None
    max_read_units: int | None = None
    max_write_units: int | None = None
    kms_key: str | None = None


@dataclass(frozen=True)
class Overrides:
    """The override parameters for the request, and what the plan shows."""

    request: dict[str, Any] = field(default_factory=dict)
    billing_mode: str = ON_DEMAND
    left_out: dict[str, list[str]] = field(default_factory=dict)
    lacks: list[str] = field(default_factory=list)


def billing_mode(description: dict[str, Any]) -> str:
    """The source's billing mode (a table created before on-demand existed has no summary)."""
    return (description.get("BillingModeSummary") or {}).get("BillingMode", PROVISIONED)


def _throughput(described: dict[str, Any] | None) -> dict[str, int] | None:
    """RCU/WCU of a described table or index; None when it has none (on-demand shows zeros)."""
    throughput = described or {}
    read, write = throughput.get("ReadCapacityUnits", 0), throughput.get("WriteCapacityUnits", 0)
    if not read or not write:
        return None
    return {"ReadCapacityUnits": int(read), "WriteCapacityUnits": int(write)}


def _on_demand(described: dict[str, Any] | None) -> dict[str, int] | None:
    limits = {
        k: int(v)
        for k, v in (described or {}).items()
        if k in ("MaxReadRequestUnits", "MaxWriteRequestUnits")
    }
    return {k: v for k, v in limits.items() if v and v > 0} or None


def _check_names(description: dict[str, Any], without: tuple[str, ...]) -> tuple[list[str], list[str]]:
    globals_ = [g["IndexName"] for g in description.get("GlobalSecondaryIndexes", [])]
    locals_ = [i["IndexName"] for i in description.get("LocalSecondaryIndexes", [])]
    unknown = sorted(set(without) - set(globals_) - set(locals_))
    if unknown:
        known = ", ".join(sorted(globals_ + locals_)) or "none"
        raise PitrctlError(
            f"the source table has no index {', '.join(unknown)}",
            hint=f"its indexes: {known}; --without-index takes one of them",
            exit_code=2,
        )
    return [n for n in globals_ if n in without], [n for n in locals_ if n in without]


def _provisioned(choices: Choices, description: dict[str, Any], mode: str) -> dict[str, int] | None:
    source = _throughput(description.get("ProvisionedThroughput"))
    given = choices.read_capacity is not None or choices.write_capacity is not None
    if mode != PROVISIONED:
        if given:
            raise PitrctlError(
                "--read-capacity/--write-capacity need a PROVISIONED restored table",
                hint="add --billing-mode PROVISIONED, or use --max-read-units/--max-write-units on-demand",
                exit_code=2,
            )
        return None
    read = (
        choices.read_capacity
        if choices.read_capacity is not None
        else (source or {}).get("ReadCapacityUnits")
    )
    write = (
        choices.write_capacity
        if choices.write_capacity is not None
        else (source or {}).get("WriteCapacityUnits")
    )
    if read is None or write is None or read < 1 or write < 1:
        raise PitrctlError(
            "a PROVISIONED restored table needs its read and write capacity",
            hint="pass --read-capacity and --write-capacity (e.g. 100 each): the source is on-demand",
            exit_code=2,
        )
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def _max_units(choices: Choices, mode: str) -> dict[str, int] | None:
    given = {
        key: value
        for key, value in (
            ("MaxReadRequestUnits", choices.max_read_units),
            ("MaxWriteRequestUnits", choices.max_write_units),
        )
        if value is not None
    }
    if given and mode != ON_DEMAND:
        raise PitrctlError(
            "--max-read-units/--max-write-units need an on-demand (PAY_PER_REQUEST) restored table",
            hint="add --billing-mode PAY_PER_REQUEST, or use --read-capacity/--write-capacity",
            exit_code=2,
        )
    return given or None


def _global_index(
    index: dict[str, Any], mode: str, table_throughput: dict[str, int] | None
) -> dict[str, Any]:
    kept: dict[str, Any] = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": index["Projection"],
    }
    if mode == PROVISIONED:
        kept["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput")) or table_throughput
    elif (limits := _on_demand(index.get("OnDemandThroughput"))) is not None:
        kept["OnDemandThroughput"] = limits
    return kept


def build(description: dict[str, Any], choices: Choices) -> Overrides:
    """The overrides for the source's DescribeTable ``Table`` and the operator's ``choices``.

    An index override lists the indexes to KEEP (the API has no "drop" list), so it is sent only
    when an index is left out, or when the billing mode changes to PROVISIONED and each kept global
    index needs its capacity.
    """
    source_mode = billing_mode(description)
    mode = choices.billing_mode or source_mode
    without_global, without_local = _check_names(description, choices.without_indexes)
    request: dict[str, Any] = {}
    if choices.billing_mode and choices.billing_mode != source_mode:
        request["BillingModeOverride"] = choices.billing_mode
    provisioned = _provisioned(choices, description, mode)
    if provisioned is not None and (
        provisioned != _throughput(description.get("ProvisionedThroughput"))
        or "BillingModeOverride" in request
    ):
        request["ProvisionedThroughputOverride"] = provisioned
    if (limits := _max_units(choices, mode)) is not None:
        request["OnDemandThroughputOverride"] = limits
    globals_ = description.get("GlobalSecondaryIndexes", [])
    if without_global or (globals_ and mode == PROVISIONED and "BillingModeOverride" in request):
        request["GlobalSecondaryIndexOverride"] = [
            _global_index(index, mode, provisioned)
            for index in globals_
            if index["IndexName"] not in without_global
        ]
    if without_local:
        request["LocalSecondaryIndexOverride"] = [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in description.get("LocalSecondaryIndexes", [])
            if i["IndexName"] not in without_local
        ]
    if choices.kms_key:
        request["SSESpecificationOverride"] = {
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": choices.kms_key,
        }
    lacks = [
        f"global secondary index {name}: its queries fail on the restored table; its auto scaling, "
        "contributor insights and alarms are skipped, not copied"
        for name in without_global
    ] + [f"local secondary index {name}: its queries fail on the restored table" for name in without_local]
    if mode != source_mode and mode == ON_DEMAND:
        lacks.append("provisioned capacity and its auto scaling: the restored table is on-demand")
    elif mode != source_mode and provisioned is not None:
        lacks.append(
            f"on-demand capacity: the restored table has {provisioned['ReadCapacityUnits']} read and "
            f"{provisioned['WriteCapacityUnits']} write units until you change them"
        )
    return Overrides(
        request=request,
        billing_mode=mode,
        left_out={"global": without_global, "local": without_local},
        lacks=lacks,
    )


def restored_shape(description: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """What AWS creates for a restore ``request`` of the table ``description`` describes: the key,
    the indexes (the overrides' lists when given, else the source's), billing mode and capacity.
    A simulated restore builds its table from this; the plan's expectations are checked against it.
    """
    mode = request.get("BillingModeOverride") or billing_mode(description)
    shape: dict[str, Any] = {
        "KeySchema": description["KeySchema"],
        "AttributeDefinitions": description["AttributeDefinitions"],
        "BillingMode": mode,
    }
    if mode == PROVISIONED:
        shape["ProvisionedThroughput"] = request.get("ProvisionedThroughputOverride") or _throughput(
            description.get("ProvisionedThroughput")
        )
    elif (limits := request.get("OnDemandThroughputOverride")) is not None:
        shape["OnDemandThroughput"] = limits
    globals_ = request.get(
        "GlobalSecondaryIndexOverride",
        [
            _global_index(g, mode, shape.get("ProvisionedThroughput"))
            for g in description.get("GlobalSecondaryIndexes", [])
        ],
    )
    locals_ = request.get(
        "LocalSecondaryIndexOverride",
        [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in description.get("LocalSecondaryIndexes", [])
        ],
    )
    if globals_:
        shape["GlobalSecondaryIndexes"] = globals_
    if locals_:
        shape["LocalSecondaryIndexes"] = locals_
    # CreateTable refuses attribute definitions no key uses: a left-out index's keys go with it.
    used = {k["AttributeName"] for k in description["KeySchema"]} | {
        k["AttributeName"] for index in [*globals_, *locals_] for k in index["KeySchema"]
    }
    shape["AttributeDefinitions"] = [
        d for d in description["AttributeDefinitions"] if d["AttributeName"] in used
    ]
    return shape
