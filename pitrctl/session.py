"""Which AWS account and region a command works in, and the clients for them.

boto3's configuration guide lists the variables it reads: ``AWS_PROFILE`` ("The default profile to
use, if any") and ``AWS_DEFAULT_REGION`` ("The default AWS Region to use, for example, us-west-1 or
us-west-2"), then the profile's ``region`` in ``~/.aws/config``. botocore's own table
(``configprovider``: ``'region': ('region', 'AWS_DEFAULT_REGION', None, None)``) has no
``AWS_REGION``: the variable the AWS CLI v2 and the other SDKs read is ignored by boto3. So an
operator with only ``AWS_REGION`` set gets no region, and one with ``AWS_REGION`` and a profile for
another region silently works in the profile's. pitrctl resolves the region itself, says where it
came from, and refuses when ``AWS_REGION`` disagrees with what boto3 would use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from pitrctl.errors import PitrctlError

REGION_HELP = (
    "AWS region; default: what boto3 reads, AWS_DEFAULT_REGION, else the profile's region "
    "(boto3 ignores AWS_REGION; pitrctl uses it only when nothing else names a region)"
)
PROFILE_HELP = "AWS profile in ~/.aws/config; default: AWS_PROFILE, else the default profile"


@dataclass(frozen=True)
class Where:
    """The region a command works in, where that came from, and the profile."""

    region: str
    region_from: str
    profile: str | None


def resolve_region(
    region_arg: str | None, profile_region: str | None, profile: str | None, environ: Mapping[str, str]
) -> Where:
    """``--region``, else AWS_DEFAULT_REGION, else the profile's region, else AWS_REGION.

    ``profile_region`` is the profile's ``region`` setting (what boto3 falls back to). A region
    named by AWS_REGION that differs from the one boto3 would use is refused: one of them is a
    mistake, and guessing which reads the wrong deployment.
    """
    if region_arg:
        return Where(region_arg, "--region", profile)
    default_region = environ.get("AWS_DEFAULT_REGION") or None
    aws_region = environ.get("AWS_REGION") or None
    if default_region:
        chosen, source = default_region, "AWS_DEFAULT_REGION"
    elif profile_region:
        chosen, source = profile_region, f"profile {profile or 'default'}"
    elif aws_region:
        return Where(aws_region, "AWS_REGION", profile)
    else:
        raise PitrctlError(
            "no AWS region: neither --region, AWS_DEFAULT_REGION nor the profile names one",
            hint="pass --region (e.g. --region eu-west-1) or export AWS_DEFAULT_REGION",
            exit_code=2,
        )
    if aws_region and aws_region != chosen:
        raise PitrctlError(
            f"AWS_REGION says {aws_region} but boto3 would use {chosen} (from {source})",
            hint=f"pass --region {aws_region} or --region {chosen} to say which one you mean",
            exit_code=2,
        )
    return Where(chosen, source, profile)


class Clients:
    """``aws(service)``: one client per service, all in one session (the resolved profile and region)."""

    def __init__(self, session: Any, where: Where) -> None:
        self._session = session
        self.where = where
        self._made: dict[str, Any] = {}
        self.context: dict[str, Any] | None = None  # account and region, read once (session.context)

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = self._session.client(service, region_name=self.where.region)
        return self._made[service]


def clients(
    region_arg: str | None,
    profile_arg: str | None,
    environ: Mapping[str, str] = os.environ,
    session_factory: Callable[..., Any] = boto3.Session,
) -> Clients:
    profile = profile_arg or environ.get("AWS_PROFILE") or None
    session = session_factory(profile_name=profile)  # ProfileNotFound is explained by errors.explain
    where = resolve_region(region_arg, profile_region(session), profile, environ)
    return Clients(session, where)


def profile_region(session: Any) -> str | None:
    """The ``region`` setting of the session's profile (not the environment's)."""
    return session._session.get_scoped_config().get("region")  # botocore's only accessor for it


def context(aws: Callable[[str], Any]) -> dict[str, Any]:
    """Account and region of ``aws``'s clients (STS GetCallerIdentity): what every header shows."""
    cached = getattr(aws, "context", None)
    if isinstance(cached, dict):
        return cached
    sts = aws("sts")
    identity = sts.get_caller_identity()
    where = getattr(aws, "where", None)
    found = {
        "account": identity.get("Account"),
        "identity": identity.get("Arn"),
        "region": sts.meta.region_name,
        "region_from": where.region_from if where else None,
        "profile": where.profile if where else None,
    }
    if isinstance(aws, Clients):
        aws.context = found
    return found


def header(command: str, where: Mapping[str, Any]) -> str:
    """One line naming the account, region (and its source) and profile."""
    text = f"pitrctl {command} · account {where['account']} · region {where['region']}"
    if where.get("region_from"):
        text += f" (from {where['region_from']})"
    if where.get("profile"):
        text += f" · profile {where['profile']}"
    return text
