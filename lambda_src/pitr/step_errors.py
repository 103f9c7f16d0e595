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

from botocore.exceptions import ClientError

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
