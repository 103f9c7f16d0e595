"""AWS errors the restore workflow retries, under one Step Functions error name.

A Lambda function's error reaches Step Functions as the exception's class name. botocore names a
modeled error's class after its code (``TooManyUpdates``) and every other one ``ClientError``, so
the workflow's ``Retry`` could not match a throttle or a server error by name. The two workflow
functions raise ``AwsTransientError`` instead, once the SDK's own retries (``pitr.clients``, standard
mode) are spent: the workflow then re-runs the whole step, which every step allows (idempotent).

Codes: botocore's standard retry mode's throttling and transient codes, plus the services' own:
SSM PutParameter "TooManyUpdates" ("There are concurrent updates for a resource that supports one
update at a time."), SQS "RequestThrottled", SNS "Throttled", KMS throttling; and any HTTP 5xx.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError

from pitr import logs
from pitr.runtime import Runtime

TRANSIENT_CODES = frozenset(
    {
        # botocore standard retry mode (throttling, transient)
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalServerError",
        "InternalServerErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        # the services this workflow calls
        "TooManyUpdates",
        "Throttled",
        "KMSThrottlingException",
        "KmsThrottlingException",
        "ResourceInUseException",
    }
)


class AwsTransientError(Exception):
    """An AWS call was throttled or failed on the service's side after the SDK's retries."""


def is_transient(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error.get("Code") in TRANSIENT_CODES or status >= 500


def transient(exc: ClientError) -> AwsTransientError:
    error = exc.response.get("Error", {})
    operation = getattr(exc, "operation_name", "?")
    return AwsTransientError(f"{operation}: {error.get('Code')}: {error.get('Message')}")


class _Config(Protocol):
    @property
    def source_table_name(self) -> str: ...


C = TypeVar("C", bound=_Config)
Action = Callable[[dict[str, Any], C, Runtime], dict[str, Any]]


def actions(*functions: Action[C], **named: Action[C]) -> dict[str, Action[C]]:
    """A function's actions by name: each of ``functions`` under its own name, ``named`` as given."""
    return {**{function.__name__: function for function in functions}, **named}


def run_action(
    function: str, actions: Mapping[str, Action[C]], event: dict[str, Any], cfg: C, rt: Runtime
) -> dict[str, Any]:
    """Run the event's ``action`` of a restore workflow function (the waiter's or the steps'):
    an unknown action is a ValueError, a transient AWS error is raised as ``AwsTransientError`` for
    the workflow's Retry, and the result is logged."""
    action = event.get("action")
    if action not in actions:
        raise ValueError(f"unknown {function} action {action!r}; expected one of {sorted(actions)}")
    try:
        result = actions[action](event, cfg, rt)
    except ClientError as exc:
        if is_transient(exc):
            raise transient(exc) from exc
        raise
    logs.info(function, action=action, source_table=cfg.source_table_name, result=result)
    return result


def dispatcher(
    function: str, actions: Mapping[str, Action[C]], config_from_env: Callable[[], C]
) -> Callable[..., dict[str, Any]]:
    """``handle(event, cfg=None, rt=None)`` of a restore workflow function: ``run_action`` with the
    configuration read from the environment (before any AWS call) unless a test passes one."""

    def handle(event: dict[str, Any], cfg: C | None = None, rt: Runtime | None = None) -> dict[str, Any]:
        return run_action(function, actions, event, cfg or config_from_env(), rt or Runtime())

    return handle
