"""Shared pytest setup: hypothesis profiles, offline AWS credentials, moto, helpers to find tools."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent

# CI: a fixed, meaningful number of examples and no per-example deadline (moto calls vary in speed
# on a loaded 2-core machine). dev: fewer examples for a quick local loop.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Never let a test reach a real AWS account, whatever the developer's shell holds.
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    # moto.md: DynamoDB Streams calls break with account-id endpoints on botocore >= 1.44.4.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(_name, None)
os.environ.update(_AWS_ENV)


def terraform_bin() -> str | None:
    """The terraform CLI on PATH, or None."""
    return shutil.which("terraform")


def require_terraform() -> str:
    """The terraform CLI; skip (or fail under REQUIRE_TERRAFORM=1) when it is missing."""
    found = terraform_bin()
    if found:
        return found
    message = (
        "terraform is not on PATH. Run the suite with `make test` (it puts the offline Terraform "
        "from ../shared/tools/terraform-offline on PATH), or "
        'eval "$(../shared/tools/terraform-offline/setup)" first.'
    )
    if os.environ.get("REQUIRE_TERRAFORM") == "1":
        pytest.fail(message + " REQUIRE_TERRAFORM=1 is set, so this is a failure.")
    pytest.skip(message)


@pytest.fixture
def aws() -> Iterator[None]:
    """An in-process moto for one test, with the package's cached clients reset around it."""
    from moto import mock_aws

    from pitr import clients

    with mock_aws():
        clients.reset()
        yield
    clients.reset()
