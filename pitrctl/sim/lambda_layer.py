"""Lambda's event source mapping rules over moto's Lambda (``faults.MappingConflict``,
``faults.EncryptedFilterCriteria``): moto allows two mappings of one function on one event source
and shows every mapping's ``FilterCriteria`` in ``ListEventSourceMappings``.

Usage::

    mappings = attach(lambda_client, encrypt_filters=lambda: faults.hit(faults.encrypted_filter))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pitrctl.sim import botocore_layer


def _function_name(name_or_arn: str) -> str:
    """``f``, ``arn:...:function:f`` and ``arn:...:function:f:alias`` name one function ``f``."""
    if ":function:" in name_or_arn:
        return name_or_arn.split(":function:", 1)[1].split(":", 1)[0]
    return name_or_arn.split(":", 1)[0]


class MappingRules:
    """The layer's state: which mappings hold an encrypted filter.

    AWS shows a filter as null in ``ListEventSourceMappings`` when it is encrypted: always with a
    customer managed key (``KMSKeyArn``), and, with AWS's own key, as often as ``encrypt_filters``
    says (``faults.EncryptedFilterCriteria``)."""

    def __init__(self, client: Any, encrypt_filters: Callable[[], bool]) -> None:
        self.client = client
        self.encrypt_filters = encrypt_filters
        self.encrypted: set[str] = set()

    def before_create(self, context: dict[str, Any], **_: Any) -> Any:
        params = context["pitr_params"]
        source, function = params.get("EventSourceArn"), _function_name(params["FunctionName"])
        if not source:
            return None
        # Straight to the service, past any fake or pager patched onto the client's methods.
        listed = self.client._make_api_call("ListEventSourceMappings", {"EventSourceArn": source})
        for mapping in listed["EventSourceMappings"]:
            if _function_name(mapping["FunctionArn"]) == function:
                return botocore_layer.error(
                    "ResourceConflictException",
                    f'The event source arn (" {source} ") and function (" {function} ") provided mapping '
                    f"already exists. Please update or delete the existing mapping with UUID "
                    f"{mapping['UUID']}",
                    409,
                )
        return None

    def after_create(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("pitr_params") or {}
        if (
            "UUID" in parsed
            and params.get("FilterCriteria")
            and (params.get("KMSKeyArn") or self.encrypt_filters())
        ):
            self.encrypted.add(parsed["UUID"])

    def after_list(self, parsed: dict[str, Any], **_: Any) -> None:
        for mapping in parsed.get("EventSourceMappings", []):
            if mapping.get("UUID") in self.encrypted or mapping.get("KMSKeyArn"):
                mapping.pop("FilterCriteria", None)  # JSON null: absent in boto3's answer


def attach(client: Any, encrypt_filters: Callable[[], bool] | None = None) -> MappingRules:
    """Keep AWS's mapping rules on ``client`` (a boto3 Lambda client); once per client: a second
    call returns the same rules (with ``encrypt_filters`` replaced when given)."""
    rules: MappingRules | None = getattr(client, "_pitr_mapping_rules", None)
    if rules is not None:
        if encrypt_filters is not None:
            rules.encrypt_filters = encrypt_filters
        return rules
    rules = MappingRules(client, encrypt_filters or (lambda: False))
    botocore_layer.keep_params(client, "CreateEventSourceMapping")
    botocore_layer.on(client, "before-call", "CreateEventSourceMapping", rules.before_create)
    botocore_layer.on(client, "after-call", "CreateEventSourceMapping", rules.after_create)
    botocore_layer.on(client, "after-call", "ListEventSourceMappings", rules.after_list)
    client._pitr_mapping_rules = rules
    return rules
