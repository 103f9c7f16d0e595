"""boto3 clients created once per Lambda container and replaceable in tests.

Handlers call ``client("sqs")``; tests call ``override("sqs", stub)`` or ``reset()`` (after moto
starts, so new clients talk to moto).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode with a few more attempts than the default; data-path code adds its own
# backoff on top for partial failures (UnprocessedItems, failed batch entries) that boto3 does
# not retry. account_id_endpoint_mode is off because the DynamoDB Streams client does not need it
# and some SDK versions route streams calls wrongly with it.
_BASE_CONFIG: dict[str, Any] = {
    "retries": {"max_attempts": 5, "mode": "standard"},
    "connect_timeout": 5,
    "read_timeout": 30,
}


def _config() -> Config:
    try:
        return Config(**_BASE_CONFIG, account_id_endpoint_mode="disabled")
    except TypeError:
        # botocore older than account-id endpoints (the Lambda runtime may bundle one): the
        # option does not exist there, and neither does the routing it turns off.
        return Config(**_BASE_CONFIG)


_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The container-wide client for ``service``."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=_config())
    return _clients[service]


def override(service: str, value: Any) -> None:
    """Use ``value`` as the client for ``service`` (tests)."""
    _clients[service] = value


def reset() -> None:
    """Forget every client (tests: after switching moto on or off)."""
    _clients.clear()
