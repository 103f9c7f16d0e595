# The fake methods take the API's own parameter names (TableName, StreamArn...), as boto3 passes them.
# ruff: noqa: N803
"""A stateful fake for the DynamoDB calls moto 5.2 does not implement, installed on a boto3 client.

- Kinesis streaming destinations: ``enable/disable/update/describe_kinesis_streaming_destination``.
- Contributor Insights: ``update/describe/list_contributor_insights``.
- Resource policies on stream ARNs (moto only knows table ARNs): ``get/put/delete_resource_policy``
  on ``.../stream/...`` ARNs; table ARNs still go to moto.

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


class DynamoDBExtrasFake:
    """State of the calls moto lacks; ``install`` patches them onto a boto3 DynamoDB client."""

    def __init__(self, kinesis: Any | None = None, page_size: int = 2) -> None:
        self.kinesis = kinesis  # when given, destination streams must exist in it (moto Kinesis)
        self.page_size = page_size  # small, so callers must paginate list_contributor_insights
        self.destinations: dict[str, dict[str, _Destination]] = {}
        self.insights: dict[tuple[str, str | None], _Insights] = {}
        self.stream_policies: dict[str, tuple[str, str]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._client: Any = None
        self._original: dict[str, Callable[..., Any]] = {}

    # ---- wiring -------------------------------------------------------------------------------
    def install(self, client: Any) -> DynamoDBExtrasFake:
        self._client = client
        for op in ("describe_table", *_POLICY_OPS):
            self._original[op] = getattr(client, op)
        for op in (*_KINESIS_OPS, *_INSIGHTS_OPS, *_POLICY_OPS):
            setattr(client, op, self._wrap(op, getattr(self, f"_{op}")))
        return self

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

    def _disable_kinesis_streaming_destination(
        self, TableName: str, StreamArn: str, EnableKinesisStreamingConfiguration: dict | None = None
    ) -> dict[str, Any]:
        op = "disable_kinesis_streaming_destination"
        self._active_table(TableName, op)
        current = self.destinations.get(TableName, {}).get(StreamArn)
        if current is None or current.status != "ACTIVE":
            raise self._error("ValidationException", f"{StreamArn} is not an active destination", op)
        current.status = "DISABLING"
        return {"TableName": TableName, "StreamArn": StreamArn, "DestinationStatus": "DISABLING"}

    def _update_kinesis_streaming_destination(
        self, TableName: str, StreamArn: str, UpdateKinesisStreamingConfiguration: dict | None = None
    ) -> dict[str, Any]:
        op = "update_kinesis_streaming_destination"
        self._active_table(TableName, op)
        current = self.destinations.get(TableName, {}).get(StreamArn)
        if current is None or current.status != "ACTIVE":
            raise self._error("ValidationException", f"{StreamArn} is not an active destination", op)
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
