"""Region and account: what boto3 reads, what pitrctl refuses, what every header and plan shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitrctl import session
from pitrctl.cli import build_parser, main
from pitrctl.errors import PitrctlError


def test_region_argument_wins() -> None:
    where = session.resolve_region("us-east-2", "eu-west-1", "prod", {"AWS_DEFAULT_REGION": "eu-central-1"})
    assert (where.region, where.region_from, where.profile) == ("us-east-2", "--region", "prod")


def test_default_region_then_profile_like_boto3() -> None:
    env = {"AWS_DEFAULT_REGION": "eu-central-1"}
    assert session.resolve_region(None, "eu-west-1", None, env).region_from == "AWS_DEFAULT_REGION"
    where = session.resolve_region(None, "eu-west-1", "prod", {})
    assert (where.region, where.region_from) == ("eu-west-1", "profile prod")


def test_only_aws_region_is_used_and_said() -> None:
    where = session.resolve_region(None, None, None, {"AWS_REGION": "ap-south-1"})
    assert (where.region, where.region_from) == ("ap-south-1", "AWS_REGION")


def test_aws_region_disagreeing_with_the_profile_is_refused() -> None:
    with pytest.raises(PitrctlError, match="AWS_REGION says us-east-1 but boto3 would use eu-west-1") as info:
        session.resolve_region(None, "eu-west-1", "prod", {"AWS_REGION": "us-east-1"})
    assert "--region" in info.value.hint


def test_no_region_anywhere_is_refused_with_the_fix() -> None:
    with pytest.raises(PitrctlError, match="no AWS region") as info:
        session.resolve_region(None, None, None, {})
    assert "AWS_DEFAULT_REGION" in info.value.hint


def test_profile_region_is_read_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile prod]\nregion = sa-east-1\n[default]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    aws = session.clients(None, "prod", environ={})
    assert (aws.where.region, aws.where.region_from, aws.where.profile) == (
        "sa-east-1",
        "profile prod",
        "prod",
    )
    assert aws("ssm").meta.region_name == "sa-east-1"
    # AWS_REGION naming another region than the profile's: refused, not silently the profile's.
    with pytest.raises(PitrctlError, match="AWS_REGION says us-east-1"):
        session.clients(None, "prod", environ={"AWS_REGION": "us-east-1"})


def test_every_aws_command_takes_region_and_profile_and_help_names_what_boto3_reads() -> None:
    parser = build_parser()
    for command in ("restore", "status", "verify", "cutover", "abort"):
        args = parser.parse_args([command, "--table", "orders", "--region", "eu-north-1", "--profile", "p"])
        assert (args.region, args.profile) == ("eu-north-1", "p")
    assert "AWS_DEFAULT_REGION" in session.REGION_HELP
    assert "AWS_PROFILE" in session.PROFILE_HELP


def test_header_names_account_and_region(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["status", "--table", "nope", "--region", "eu-west-1"])
    out = capsys.readouterr().out
    assert "account 123456789012 · region eu-west-1 (from --region)" in out
