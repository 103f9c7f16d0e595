"""Rules of AWS that moto does not keep, applied at botocore's level on a client.

A *layer* registers on one client's event system: ``before-call`` handlers may answer a call
themselves (an AWS error, or the answer AWS would give) instead of letting it reach moto;
``after-call`` handlers rewrite what moto answered. The code under test keeps calling boto3 as it
does against AWS. ``lambda_layer`` and ``sfn_layer`` are the layers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Http:
    status_code: int


def error(code: str, message: str, status: int = 400) -> tuple[_Http, dict[str, Any]]:
    """A ``before-call`` answer that makes botocore raise ``code`` as AWS would."""
    return _Http(status), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


def answer(parsed: dict[str, Any]) -> tuple[_Http, dict[str, Any]]:
    """A ``before-call`` answer that botocore returns as the call's result."""
    return _Http(200), {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200}}


def on(client: Any, when: str, operation: str, handler: Callable[..., Any]) -> None:
    """Register ``handler`` for ``when`` (``before-call``/``after-call``) of one operation."""
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"{when}.{service}.{operation}", handler)


def keep_params(client: Any, operation: str) -> None:
    """Keep the call's API parameters in its request context as ``pitr_params`` (``before-call``
    sees only the serialized request)."""

    def stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["pitr_params"] = dict(params)

    on(client, "before-parameter-build", operation, stash)
