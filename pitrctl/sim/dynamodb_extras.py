# The fake methods take the API's own parameter names (TableName, StreamArn...), as boto3 passes them.
# ruff: noqa: N803
"""A stateful fake for the DynamoDB calls moto 5.2 does not implement, installed on a boto3 client.

- Kinesis streaming destinations: ``enable/disable/update/describe_kinesis_streaming_destination``.
- Contributor Insights: ``update/describe/list_contributor_insights``.
- Resource policies on stream ARNs (moto only knows table ARNs): ``get/put/delete_resource_policy``
  on ``.../stream/...`` ARNs; table ARNs still go to moto.
- Warm throughput as AWS documents it: "Updating your warm throughput value is an asynchronous
  task. The Status will change from UPDATING to ACTIVE when the update is complete", and "Once
  increased, warm throughput values can't be decreased" (moto applies it at once and lowers it).
  ``update_table``'s ``WarmThroughput`` (table and ``GlobalSecondaryIndexUpdates`` ``Update``) is
  kept here and shown by ``describe_table``; the table itself stays ACTIVE.
- Global table replicas (version 2019.11.21, which moto lacks): ``update_table``'s
  ``ReplicaUpdates`` ``Create``/``Delete``, shown in ``describe_table``'s ``Replicas``; the table is
  UPDATING and the replica CREATING until the next describe, and another ``UpdateTable`` meanwhile
  answers ``ResourceInUseException``. ``set_replicas`` gives a table replicas directly.

Tables, indexes and streams are looked up through the client's real ``describe_table`` (moto), so
a missing table fails as on AWS. Status changes are asynchronous as on AWS: ``ENABLING`` becomes
``ACTIVE`` (``ENABLED`` for Contributor Insights) after the next describe. Parameters are checked
against the client's service model, so an unknown or missing parameter fails as it would in boto3.

Usage::

    ddb = boto3.client("dynamodb")          # under moto
    fake = DynamoDBExtrasFake(kinesis=boto3.client("kinesis")).install(ddb)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from pitrctl.sim import lambda_layer

_KINESIS_OPS = (
    "enable_kinesis_streaming_destination",
    "disable_kinesis_streaming_destination",
    "update_kinesis_streaming_destination",
    "describe_kinesis_streaming_destination",
)
_INSIGHTS_OPS = ("update_contributor_insights", "describe_contributor_insights", "list_contributor_insights")
_POLICY_OPS = ("get_resource_policy", "put_resource_policy", "delete_resource_policy")

# Transient status -> the status it settles in at the next describe.
_SETTLES = {
    "ENABLING": "ACTIVE",
    "UPDATING": "ACTIVE",
    "DISABLING": "DISABLED",
}
_INSIGHTS_SETTLES = {"ENABLING": "ENABLED", "DISABLING": "DISABLED"}


@dataclass
class _Destination:
    stream_arn: str
    status: str
    precision: str = "MILLISECOND"


@dataclass
class _Insights:
    status: str
    mode: str = "ACCESSED_AND_THROTTLED_KEYS"
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


class _ClientFake:
    """What both fakes share: calls checked against the client's own model and recorded, and AWS
    errors raised as the client's modelled exceptions."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._client: Any = None
        self._original: dict[str, Callable[..., Any]] = {}

    def _wrap(self, op: str, impl: Callable[..., Any]) -> Callable[..., Any]:
        operation = self._client.meta.service_model.operation_model(_camel(op))

        def call(**kwargs: Any) -> Any:
            validate_parameters(kwargs, operation.input_shape)
            self.calls.append((op, kwargs))
            return impl(**kwargs)

        return call

    def _error(self, code: str, message: str, op: str) -> ClientError:
        cls = self._client.exceptions.from_code(code)
        return cls({"Error": {"Code": code, "Message": message}}, _camel(op))


class DynamoDBExtrasFake(_ClientFake):
    """State of the calls moto lacks; ``install`` patches them onto a boto3 DynamoDB client."""

    def __init__(self, kinesis: Any | None = None, page_size: int = 2) -> None:
        super().__init__()
        self.kinesis = kinesis  # when given, destination streams must exist in it (moto Kinesis)
        self.page_size = page_size  # small, so callers must paginate list_contributor_insights
        self.destinations: dict[str, dict[str, _Destination]] = {}
        self.insights: dict[tuple[str, str | None], _Insights] = {}
        self.stream_policies: dict[str, tuple[str, str]] = {}
        # (table, index or None) -> warm throughput, and table -> {region: replica status}
        self.warm: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.replicas: dict[str, dict[str, str]] = {}

    # ---- wiring -------------------------------------------------------------------------------
    def install(self, client: Any) -> DynamoDBExtrasFake:
        self._client = client
        for op in ("describe_table", "update_table", *_POLICY_OPS):
            self._original[op] = getattr(client, op)
        for op in (*_KINESIS_OPS, *_INSIGHTS_OPS, *_POLICY_OPS, "update_table", "describe_table"):
            setattr(client, op, self._wrap(op, getattr(self, f"_{op}")))
        return self

    def _table(self, name: str) -> dict[str, Any]:
        return self._original["describe_table"](TableName=name)["Table"]

    def _active_table(self, name: str, op: str) -> dict[str, Any]:
        table = self._table(name)
        if table["TableStatus"] != "ACTIVE":
            raise self._error("ResourceInUseException", f"Table {name} is {table['TableStatus']}", op)
        return table

    # ---- Kinesis streaming destinations ---------------------------------------------------------
    def _check_stream(self, arn: str, op: str) -> None:
        if self.kinesis is None:
            return
        try:
            self.kinesis.describe_stream_summary(StreamARN=arn)
        except ClientError as exc:
            raise self._error("ResourceNotFoundException", f"Kinesis stream {arn} not found", op) from exc

    def _enable_kinesis_streaming_destination(
        self, TableName: str, StreamArn: str, EnableKinesisStreamingConfiguration: dict | None = None
    ) -> dict[str, Any]:
        op = "enable_kinesis_streaming_destination"
        self._active_table(TableName, op)
        self._check_stream(StreamArn, op)
        table = self.destinations.setdefault(TableName, {})
        current = table.get(StreamArn)
        if current is not None and current.status in ("ACTIVE", "ENABLING", "UPDATING"):
            raise self._error(
                "ResourceInUseException", f"Table {TableName} already streams to {StreamArn}", op
            )
        precision = (EnableKinesisStreamingConfiguration or {}).get(
            "ApproximateCreationDateTimePrecision", "MILLISECOND"
        )
        table[StreamArn] = _Destination(StreamArn, "ENABLING", precision)
        return {
            "TableName": TableName,
            "StreamArn": StreamArn,
            "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision},
        }

    def _active_destination(self, table: str, stream_arn: str, op: str) -> _Destination:
        """The ACTIVE destination ``stream_arn`` of ``table``, which only then may change."""
        self._active_table(table, op)
        current = self.destinations.get(table, {}).get(stream_arn)
        if current is None or current.status != "ACTIVE":
            raise self._error("ValidationException", f"{stream_arn} is not an active destination", op)
        return current

    def _disable_kinesis_streaming_destination(
        self, TableName: str, StreamArn: str, EnableKinesisStreamingConfiguration: dict | None = None
    ) -> dict[str, Any]:
        current = self._active_destination(TableName, StreamArn, "disable_kinesis_streaming_destination")
        current.status = "DISABLING"
        return {"TableName": TableName, "StreamArn": StreamArn, "DestinationStatus": "DISABLING"}

    def _update_kinesis_streaming_destination(
        self, TableName: str, StreamArn: str, UpdateKinesisStreamingConfiguration: dict | None = None
    ) -> dict[str, Any]:
        current = self._active_destination(TableName, StreamArn, "update_kinesis_streaming_destination")
        config = UpdateKinesisStreamingConfiguration or {}
        current.precision = config.get("ApproximateCreationDateTimePrecision", current.precision)
        current.status = "UPDATING"
        return {
            "TableName": TableName,
            "StreamArn": StreamArn,
            "DestinationStatus": "UPDATING",
            "UpdateKinesisStreamingConfiguration": {
                "ApproximateCreationDateTimePrecision": current.precision
            },
        }

    def _describe_kinesis_streaming_destination(self, TableName: str) -> dict[str, Any]:
        self._table(TableName)
        listed = []
        for d in self.destinations.get(TableName, {}).values():
            listed.append(
                {
                    "StreamArn": d.stream_arn,
                    "DestinationStatus": d.status,
                    "ApproximateCreationDateTimePrecision": d.precision,
                }
            )
            d.status = _SETTLES.get(d.status, d.status)
        return {"TableName": TableName, "KinesisDataStreamDestinations": listed}

    # ---- Contributor Insights -------------------------------------------------------------------
    def _check_index(self, table: dict[str, Any], index: str | None, op: str) -> None:
        names = {g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])}
        if index is not None and index not in names:
            raise self._error(
                "ResourceNotFoundException", f"Index {index} not found on {table['TableName']}", op
            )

    def _update_contributor_insights(
        self,
        TableName: str,
        ContributorInsightsAction: str,
        IndexName: str | None = None,
        ContributorInsightsMode: str | None = None,
    ) -> dict[str, Any]:
        op = "update_contributor_insights"
        table = self._active_table(TableName, op)
        self._check_index(table, IndexName, op)
        key = (TableName, IndexName)
        current = self.insights.get(key)
        if ContributorInsightsAction == "ENABLE":
            mode = ContributorInsightsMode or (current.mode if current else "ACCESSED_AND_THROTTLED_KEYS")
            self.insights[key] = _Insights("ENABLING", mode)
        else:
            if current is None or current.status not in ("ENABLED", "ENABLING"):
                raise self._error("ValidationException", "Contributor Insights is not enabled", op)
            current.status = "DISABLING"
            current.updated = datetime.now(UTC)
        response = {"TableName": TableName, "ContributorInsightsStatus": self.insights[key].status}
        if IndexName:
            response["IndexName"] = IndexName
        return response

    def _summary(self, table: str, index: str | None, settle: bool) -> dict[str, Any]:
        state = self.insights.get((table, index))
        summary: dict[str, Any] = {"TableName": table, "ContributorInsightsStatus": "DISABLED"}
        if index:
            summary["IndexName"] = index
        if state is not None:
            summary["ContributorInsightsStatus"] = state.status
            summary["ContributorInsightsMode"] = state.mode
            if settle:
                state.status = _INSIGHTS_SETTLES.get(state.status, state.status)
        return summary

    def _describe_contributor_insights(self, TableName: str, IndexName: str | None = None) -> dict[str, Any]:
        op = "describe_contributor_insights"
        self._check_index(self._table(TableName), IndexName, op)
        summary = self._summary(TableName, IndexName, settle=True)
        if summary["ContributorInsightsStatus"] != "DISABLED":
            suffix = f"{TableName}-{IndexName}" if IndexName else TableName
            summary["ContributorInsightsRuleList"] = [
                f"DynamoDBContributorInsights-PKC-{suffix}",
                f"DynamoDBContributorInsights-PKT-{suffix}",
            ]
            summary["LastUpdateDateTime"] = self.insights[(TableName, IndexName)].updated
        return summary

    def _list_contributor_insights(
        self, TableName: str | None = None, NextToken: str | None = None, MaxResults: int | None = None
    ) -> dict[str, Any]:
        if TableName is not None:
            table = self._table(TableName)
            keys = [(TableName, None)] + [
                (TableName, g["IndexName"]) for g in table.get("GlobalSecondaryIndexes", [])
            ]
        else:
            keys = sorted(self.insights, key=lambda k: (k[0], k[1] or ""))
        start = int(NextToken or 0)
        size = min(MaxResults or self.page_size, self.page_size)
        page = [self._summary(t, i, settle=False) for t, i in keys[start : start + size]]
        response: dict[str, Any] = {"ContributorInsightsSummaries": page}
        if start + size < len(keys):
            response["NextToken"] = str(start + size)
        return response

    # ---- resource policies on streams -----------------------------------------------------------
    def _stream_table(self, arn: str, op: str) -> None:
        table_name = arn.split(":table/", 1)[-1].split("/stream/", 1)[0]
        try:
            table = self._table(table_name)
        except ClientError as exc:
            raise self._error(
                "ResourceNotFoundException", f"Requested resource not found: {arn}", op
            ) from exc
        if table.get("LatestStreamArn") != arn:
            raise self._error("ResourceNotFoundException", f"Requested resource not found: {arn}", op)

    def _get_resource_policy(self, ResourceArn: str) -> dict[str, Any]:
        if "/stream/" not in ResourceArn:
            return self._original["get_resource_policy"](ResourceArn=ResourceArn)
        self._stream_table(ResourceArn, "get_resource_policy")
        if ResourceArn not in self.stream_policies:
            raise self._error(
                "PolicyNotFoundException",
                f"Resource-based policy not found for {ResourceArn}",
                "get_resource_policy",
            )
        policy, revision = self.stream_policies[ResourceArn]
        return {"Policy": policy, "RevisionId": revision}

    def _put_resource_policy(
        self,
        ResourceArn: str,
        Policy: str,
        ExpectedRevisionId: str | None = None,
        ConfirmRemoveSelfResourceAccess: bool | None = None,
    ) -> dict[str, Any]:
        if "/stream/" not in ResourceArn:
            kwargs: dict[str, Any] = {"ResourceArn": ResourceArn, "Policy": Policy}
            if ExpectedRevisionId is not None:
                kwargs["ExpectedRevisionId"] = ExpectedRevisionId
            return self._original["put_resource_policy"](**kwargs)
        op = "put_resource_policy"
        self._stream_table(ResourceArn, op)
        json.loads(Policy)
        current = self.stream_policies.get(ResourceArn)
        if ExpectedRevisionId is not None and (current is None or current[1] != ExpectedRevisionId):
            raise self._error("PolicyNotFoundException", "revision does not match", op)
        revision = str(time.time_ns())
        self.stream_policies[ResourceArn] = (Policy, revision)
        return {"RevisionId": revision}

    def _delete_resource_policy(
        self, ResourceArn: str, ExpectedRevisionId: str | None = None
    ) -> dict[str, Any]:
        if "/stream/" not in ResourceArn:
            return self._original["delete_resource_policy"](ResourceArn=ResourceArn)
        self._stream_table(ResourceArn, "delete_resource_policy")
        if self.stream_policies.pop(ResourceArn, None) is None:
            raise self._error("PolicyNotFoundException", "no policy", "delete_resource_policy")
        return {}

    # ---- warm throughput and replicas (UpdateTable / DescribeTable) ---------------------------------
    def set_replicas(self, table: str, regions: list[str]) -> None:
        self.replicas[table] = dict.fromkeys(regions, "ACTIVE")

    def _warm_of(self, table: dict[str, Any], index: str | None) -> dict[str, Any]:
        key = (table["TableName"], index)
        if key not in self.warm:
            if index is None:
                shown = table.get("WarmThroughput") or {}
            else:
                shown = next(
                    (
                        g.get("WarmThroughput") or {}
                        for g in table.get("GlobalSecondaryIndexes", [])
                        if g["IndexName"] == index
                    ),
                    {},
                )
            self.warm[key] = {
                "ReadUnitsPerSecond": shown.get("ReadUnitsPerSecond", 1),
                "WriteUnitsPerSecond": shown.get("WriteUnitsPerSecond", 1),
                "Status": "ACTIVE",
            }
        return self.warm[key]

    def _raise_warm(self, table: dict[str, Any], index: str | None, wanted: dict[str, Any]) -> None:
        current = self._warm_of(table, index)
        for unit in ("ReadUnitsPerSecond", "WriteUnitsPerSecond"):
            if unit in wanted and wanted[unit] < current[unit]:
                where = f"index {index}" if index else "table"
                raise self._error(
                    "ValidationException",
                    f"One or more parameter values were invalid: Requested {unit} for WarmThroughput for "
                    f"{where} is lower than the current value {current[unit]}",
                    "update_table",
                )
        current.update({k: wanted[k] for k in ("ReadUnitsPerSecond", "WriteUnitsPerSecond") if k in wanted})
        current["Status"] = "UPDATING"

    def _update_table(self, **kwargs: Any) -> dict[str, Any]:
        name = kwargs["TableName"]
        table = self._table(name)
        forwarded = dict(kwargs)
        warm = forwarded.pop("WarmThroughput", None)
        index_updates = []
        for update in forwarded.pop("GlobalSecondaryIndexUpdates", None) or []:
            inner = update.get("Update") or {}
            if set(inner) == {"IndexName", "WarmThroughput"}:
                self._check_index(table, inner["IndexName"], "update_table")
                self._raise_warm(table, inner["IndexName"], inner["WarmThroughput"])
            else:
                index_updates.append(update)
        if index_updates:
            forwarded["GlobalSecondaryIndexUpdates"] = index_updates
        if warm:
            self._raise_warm(table, None, warm)
        replica_updates = forwarded.pop("ReplicaUpdates", None) or []
        if replica_updates:
            if table["TableStatus"] != "ACTIVE" or any(
                s != "ACTIVE" for s in self.replicas.get(name, {}).values()
            ):
                raise self._error("ResourceInUseException", f"Table {name} is being updated", "update_table")
            spec = table.get("StreamSpecification") or {}
            if not spec.get("StreamEnabled") or spec.get("StreamViewType") != "NEW_AND_OLD_IMAGES":
                raise self._error(
                    "ValidationException",
                    "Table must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES",
                    "update_table",
                )
            for update in replica_updates:
                if "Create" in update:
                    self.replicas.setdefault(name, {})[update["Create"]["RegionName"]] = "CREATING"
                elif "Delete" in update:
                    self.replicas.setdefault(name, {}).pop(update["Delete"]["RegionName"], None)
        if set(forwarded) - {"TableName"}:
            self._original["update_table"](**forwarded)
        return {"TableDescription": self._shown(name)["Table"]}

    def _describe_table(self, TableName: str) -> dict[str, Any]:
        response = self._shown(TableName)
        name = response["Table"]["TableName"]
        # Asynchronous changes settle after they have been seen once.
        for key, warm in self.warm.items():
            if key[0] == name and warm["Status"] == "UPDATING":
                warm["Status"] = "ACTIVE"
        replicas = self.replicas.get(name) or {}
        for region, status in replicas.items():
            if status == "CREATING":
                replicas[region] = "ACTIVE"
        return response

    def _shown(self, table_name: str) -> dict[str, Any]:
        response = self._original["describe_table"](TableName=table_name)
        table = response["Table"]
        name = table["TableName"]
        if (name, None) in self.warm:
            table["WarmThroughput"] = dict(self._warm_of(table, None))
        for index in table.get("GlobalSecondaryIndexes", []):
            if (name, index["IndexName"]) in self.warm:
                index["WarmThroughput"] = dict(self._warm_of(table, index["IndexName"]))
        replicas = self.replicas.get(name)
        if replicas:
            table["Replicas"] = [{"RegionName": r, "ReplicaStatus": s} for r, s in sorted(replicas.items())]
            if any(s != "ACTIVE" for s in replicas.values()):
                table["TableStatus"] = "UPDATING"
        return response


def _camel(op: str) -> str:
    return "".join(part.capitalize() for part in op.split("_"))


def paginate(
    client: Any,
    op: str,
    key: str,
    page_size: int,
    *,
    token_in: str = "NextToken",
    token_out: str = "NextToken",
) -> None:
    """Make ``client.<op>`` hand out ``key`` in pages of ``page_size`` with a token, as AWS does.

    moto returns every alarm from ``describe_alarms`` whatever ``MaxRecords`` says; this slices the
    full answer so callers that stop after the first page are caught. The first page's call takes
    a snapshot that later pages read from (moto serializes the whole list on every call).
    """
    original = getattr(client, op)
    snapshots: dict[str, list[Any]] = {}

    def call(**kwargs: Any) -> Any:
        token = kwargs.pop(token_in, None)
        if token:
            snapshot, start_text = token.rsplit(":", 1)
            items, start = snapshots[snapshot], int(start_text)
            response: dict[str, Any] = {}
        else:
            response = dict(original(**kwargs))
            snapshot, start = str(len(snapshots)), 0
            items = snapshots[snapshot] = response.get(key, [])
        response[key] = items[start : start + page_size]
        response.pop(token_out, None)
        if start + page_size < len(items):
            response[token_out] = f"{snapshot}:{start + page_size}"
        return response

    setattr(client, op, call)


# ---- Lambda event source mappings as AWS documents them -------------------------------------------

_ESM_OPS = (
    "create_event_source_mapping",
    "get_event_source_mapping",
    "list_event_source_mappings",
    "update_event_source_mapping",
    "list_tags",
    "tag_resource",
    "untag_resource",
)


def _esm_removed(mapping: dict[str, Any]) -> dict[str, Any]:
    """A mapping as AWS shows it after an update that removed settings (moto keeps the empty values)."""
    out = {k: v for k, v in mapping.items() if k != "Tags"}  # tags are not part of a mapping's answer
    if not (out.get("FilterCriteria") or {}).get("Filters"):
        out.pop("FilterCriteria", None)
    destination = out.get("DestinationConfig") or {}
    if not (destination.get("OnFailure") or {}).get("Destination"):
        out.pop("DestinationConfig", None)
    if not out.get("KMSKeyArn"):
        out.pop("KMSKeyArn", None)
    if not (out.get("MetricsConfig") or {}).get("Metrics"):
        out.pop("MetricsConfig", None)
    return out


class LambdaMappingsFake(_ClientFake):
    """Lambda's event source mapping semantics that moto 5.2 does not have, on a boto3 Lambda client.

    - One mapping per function and event source, and encrypted filters null in
      ``ListEventSourceMappings``: ``lambda_layer``'s rules, which ``install`` attaches. Keys in
      ``undecryptable_keys`` stand for keys the caller may not decrypt with: ``GetEventSourceMapping``
      then answers ``FilterCriteriaError`` and no filter ("You can view this field in plaintext in
      the response of GetEventSourceMapping and DeleteEventSourceMapping calls if you have
      kms:Decrypt permissions for the correct KMS key").
    - Removing a setting with ``UpdateEventSourceMapping`` (an empty ``FilterCriteria``, an
      ``OnFailure`` without destination, an empty ``KMSKeyArn``, no ``Metrics``) leaves it absent from
      the answers, as AWS shows an unset setting; moto echoes the empty values back.
    - Tags of a mapping are read with ``ListTags`` on its ``EventSourceMappingArn`` (they are not part
      of ``GetEventSourceMapping``'s answer); ``CreateEventSourceMapping``'s ``Tags`` set them.
    """

    def __init__(self, undecryptable_keys: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.undecryptable_keys = set(undecryptable_keys)
        self.tags: dict[str, dict[str, str]] = {}

    def install(self, client: Any) -> LambdaMappingsFake:
        self._client = client
        lambda_layer.attach(client)
        for op in _ESM_OPS:
            self._original[op] = getattr(client, op)
        for op in _ESM_OPS:
            setattr(client, op, self._wrap(op, getattr(self, f"_{op}")))
        return self

    def _is_mapping(self, arn: str) -> bool:
        return ":event-source-mapping:" in arn

    def _create_event_source_mapping(self, **kwargs: Any) -> dict[str, Any]:
        tags = kwargs.pop("Tags", None) or {}
        created = self._original["create_event_source_mapping"](**kwargs)
        self.tags[created["EventSourceMappingArn"]] = dict(tags)
        return self._get(created["UUID"])

    def _get(self, uuid: str) -> dict[str, Any]:
        mapping = _esm_removed(self._original["get_event_source_mapping"](UUID=uuid))
        key = mapping.get("KMSKeyArn")
        if key in self.undecryptable_keys and mapping.get("FilterCriteria"):
            del mapping["FilterCriteria"]
            mapping["FilterCriteriaError"] = {
                "ErrorCode": "KMSAccessDeniedException",
                "Message": f"The caller is not authorized to perform kms:Decrypt on {key}",
            }
        return mapping

    def _get_event_source_mapping(self, UUID: str) -> dict[str, Any]:
        return self._get(UUID)

    def _list_event_source_mappings(self, **kwargs: Any) -> dict[str, Any]:
        response = dict(self._original["list_event_source_mappings"](**kwargs))
        response["EventSourceMappings"] = [_esm_removed(m) for m in response.get("EventSourceMappings", [])]
        return response

    def _update_event_source_mapping(self, **kwargs: Any) -> dict[str, Any]:
        self._original["update_event_source_mapping"](**kwargs)
        return self._get(kwargs["UUID"])

    def _list_tags(self, Resource: str) -> dict[str, Any]:
        if self._is_mapping(Resource):
            return {"Tags": dict(self.tags.get(Resource, {}))}
        return self._original["list_tags"](Resource=Resource)

    def _tag_resource(self, Resource: str, Tags: dict[str, str]) -> dict[str, Any]:
        if self._is_mapping(Resource):
            self.tags.setdefault(Resource, {}).update(Tags)
            return {}
        return self._original["tag_resource"](Resource=Resource, Tags=Tags)

    def _untag_resource(self, Resource: str, TagKeys: list[str]) -> dict[str, Any]:
        if self._is_mapping(Resource):
            for key in TagKeys:
                self.tags.get(Resource, {}).pop(key, None)
            return {}
        return self._original["untag_resource"](Resource=Resource, TagKeys=TagKeys)
