"""Errors pitrctl shows as messages (never tracebacks): what went wrong and what to do.

``explain`` turns any exception a command can end in into a ``PitrctlError`` with a hint, so the
entry point prints a message for every failure, including the ones nobody foresaw.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from pitr.restore_record import RecordError

DEBUG_VARIABLE = "PITRCTL_DEBUG"


class PitrctlError(Exception):
    """A failure the operator can act on. ``hint`` says what to do next."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def as_dict(self) -> dict[str, str]:
        return {"error": self.message, "hint": self.hint}


CREDENTIALS_HINT = (
    "give pitrctl credentials the way the AWS SDK reads them: --profile NAME (or AWS_PROFILE), "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or `aws sso login --profile NAME`"
)

# Error codes AWS answers with, grouped by what the operator does about them.
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_UNRECOGNISED = {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
}
_NOT_FOUND = {
    "ResourceNotFoundException",
    "ParameterNotFound",
    "ExecutionDoesNotExist",
    "TableNotFoundException",
}


def _client_error(exc: ClientError) -> PitrctlError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    text = str(error.get("Message", "")) or code
    operation = exc.operation_name
    message = f"AWS refused {operation}: {code}: {text}"
    if code in _EXPIRED:
        return PitrctlError(message, "your session expired: log in again (e.g. `aws sso login`) and rerun")
    if code in _UNRECOGNISED:
        return PitrctlError(
            message, "the credentials are not valid in this partition/account: " + CREDENTIALS_HINT
        )
    if code in _DENIED:
        return PitrctlError(
            message,
            f"your role may not call {operation}: use a role that may, or ask an administrator to grant it "
            "(and check --profile: another profile may hold the operator role)",
        )
    if code in _THROTTLED:
        return PitrctlError(
            message, "AWS is throttling this account right now: wait a minute and run the command again"
        )
    if code in _NOT_FOUND:
        return PitrctlError(
            message, "check --table, --region and --profile: the resource lives in another region or account"
        )
    return PitrctlError(message, "fix what AWS names above and run the command again")


DISTRIBUTION = "terraform-aws-dynamodb-pitr-restore"
# What the ``rehearse`` extra brings (moto and the packages moto's extras import).
REHEARSE_MODULES = {
    "moto",
    "responses",
    "werkzeug",
    "xmltodict",
    "jsonpath_ng",
    "py_partiql_parser",
    "docker",
}


def _missing_module(exc: ModuleNotFoundError) -> PitrctlError:
    top = (exc.name or "").split(".")[0]
    if top in REHEARSE_MODULES:
        return PitrctlError(
            f"pitrctl rehearse needs the 'rehearse' extra ({top} is not installed)",
            f"pip install '{DISTRIBUTION}[rehearse]' (the other commands work without it)",
            exit_code=2,
        )
    return PitrctlError(
        f"a Python package pitrctl needs is missing: {exc.name}",
        f"reinstall pitrctl with its dependencies: pip install '{DISTRIBUTION}'",
    )


def _explainers() -> list[tuple[type[BaseException] | tuple[type[BaseException], ...], Any]]:
    """(exception types, message factory), most specific first."""
    return [
        (
            NoRegionError,
            lambda exc: PitrctlError(
                "no AWS region: the AWS SDK (boto3) found none",
                "pass --region, or set AWS_DEFAULT_REGION, or a region in your profile "
                "(boto3 does not read AWS_REGION)",
                exit_code=2,
            ),
        ),
        (
            ProfileNotFound,
            lambda exc: PitrctlError(
                f"no AWS profile {exc.kwargs.get('profile')!r} in your AWS config",
                "list the profiles with `aws configure list-profiles`; pass one with --profile",
                exit_code=2,
            ),
        ),
        (
            (NoCredentialsError, PartialCredentialsError),
            lambda exc: PitrctlError(f"no usable AWS credentials ({exc})", CREDENTIALS_HINT),
        ),
        (
            TokenRetrievalError,
            lambda exc: PitrctlError(f"your SSO session cannot be refreshed ({exc})", "run `aws sso login`"),
        ),
        (
            EndpointConnectionError,
            lambda exc: PitrctlError(
                f"cannot reach AWS ({exc})",
                "check the network (proxy, VPN) and that --region names a real region",
            ),
        ),
        (
            ParamValidationError,
            lambda exc: PitrctlError(f"pitrctl built a request AWS does not accept ({exc})", _BUG_HINT),
        ),
        (ClientError, _client_error),
        (
            BotoCoreError,
            lambda exc: PitrctlError(
                f"the AWS SDK failed: {exc}", "check credentials, region and network, then rerun"
            ),
        ),
        (
            RecordError,
            lambda exc: PitrctlError(
                f"the restore record is unreadable: {exc}",
                "the workflow owns it (the manifest's restore_record_parameter in SSM): see the execution "
                "in the Step Functions console; if no restore is running, delete the parameter",
            ),
        ),
        (ModuleNotFoundError, _missing_module),
    ]


def explain(exc: BaseException) -> PitrctlError:
    """The message and hint for any exception a command ends in."""
    if isinstance(exc, PitrctlError):
        return exc
    for types, factory in _explainers():
        if isinstance(exc, types):
            return factory(exc)
    return PitrctlError(f"unexpected error: {type(exc).__name__}: {exc}", _BUG_HINT)


_BUG_HINT = (
    f"this is a pitrctl bug: rerun with {DEBUG_VARIABLE}=1 for the details and report them; "
    "a restore in flight goes on in AWS (`pitrctl status` shows it)"
)


def debugging(environ: Any = os.environ) -> bool:
    """``PITRCTL_DEBUG=1`` re-raises unexpected errors so their traceback can be reported."""
    return str(environ.get(DEBUG_VARIABLE, "")).lower() in ("1", "true", "yes")
