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


# The data path (cdc_subscriber, replay_writer) retries in its own loops, with backoff bounded by the
# invocation's deadline: their clients make ONE attempt per call ("total_max_attempts": 1, botocore's
# retry count including the first attempt), each bounded by these timeouts, so a call never outlives
# the deadline the loop checked before starting it (BOUNDED_CALL_SECONDS).
_BOUNDED_CONFIG: dict[str, Any] = {
    "retries": {"total_max_attempts": 1, "mode": "standard"},
    "connect_timeout": 2,
    "read_timeout": 8,
}
BOUNDED_CALL_SECONDS = 10.0


def _config(base: dict[str, Any] = _BASE_CONFIG) -> Config:
    try:
        return Config(**base, account_id_endpoint_mode="disabled")
    except TypeError:
        # botocore older than account-id endpoints (the Lambda runtime may bundle one): the
        # option does not exist there, and neither does the routing it turns off.
        return Config(**base)


_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The container-wide client for ``service``."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=_config())
    return _clients[service]


def bounded(service: str) -> Any:
    """The container-wide single-attempt client for ``service`` (the caller's loop retries)."""
    name = f"{service}:bounded"
    if name not in _clients:
        _clients[name] = boto3.client(service, config=_config(_BOUNDED_CONFIG))
    return _clients[name]


def override(service: str, value: Any) -> None:
    """Use ``value`` as the client for ``service``, bounded or not (tests)."""
    _clients[service] = value
    _clients[f"{service}:bounded"] = value


def reset() -> None:
    """Forget every client (tests: after switching moto on or off)."""
    _clients.clear()
