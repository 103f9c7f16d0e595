"""Find a deployment of the module through its manifest (docs/design.md#shared-records).

The manifest is the Terraform-managed SSM parameter ``/<ssm_prefix>/manifest`` (default prefix
``dynamodb-pitr/<source_table>``): the root's shared keys plus one object per part
(``cdc_buffer``, ``settings_sync``, ``restore_watcher``), see docs/interfaces.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pitrctl.errors import PitrctlError


def default_ssm_prefix(source_table: str) -> str:
    return f"dynamodb-pitr/{source_table}"


def manifest_parameter(source_table: str, ssm_prefix: str | None = None) -> str:
    prefix = (ssm_prefix or default_ssm_prefix(source_table)).strip("/")
    return f"/{prefix}/manifest"


# The manifest's shared keys every command needs, by the name of the field that holds each.
REQUIRED_KEYS = {
    "source_table": "source_table_name",
    "target_pattern": "target_table_name_pattern",
    "replay_from": "replay_from",
    "restore_record_parameter": "restore_record_parameter",
}


@dataclass(frozen=True)
class Deployment:
    """One module deployment: where its manifest is, the manifest, and its shared keys (``REQUIRED_KEYS``)."""

    parameter: str
    manifest: dict[str, Any]
    source_table: str
    target_pattern: str
    replay_from: str
    restore_record_parameter: str

    def part(self, name: str) -> dict[str, Any]:
        """The manifest entries of one part (``cdc_buffer``, ``settings_sync``, ``restore_watcher``)."""
        value = self.manifest.get(name)
        if not isinstance(value, dict) or not value:
            raise PitrctlError(
                f"the manifest {self.parameter} has no {name!r} entries",
                hint="the deployment predates this pitrctl, or an apply failed half way: "
                "run `terraform apply` for the module and try again",
            )
        return value

    def require(self, part: str, key: str) -> Any:
        entries = self.part(part)
        if key not in entries or entries[key] in (None, ""):
            raise PitrctlError(
                f"the manifest {self.parameter} lacks {part}.{key}",
                hint="upgrade the module (terraform apply) so the manifest carries it",
            )
        return entries[key]


def parse_manifest(parameter: str, text: str) -> Deployment:
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PitrctlError(
            f"the manifest {parameter} is not JSON ({exc})",
            hint="it is managed by Terraform: run `terraform apply` for the module to rewrite it",
        ) from exc
    if not isinstance(manifest, dict):
        raise PitrctlError(f"the manifest {parameter} is not a JSON object", hint="run `terraform apply`")
    missing = [key for key in REQUIRED_KEYS.values() if key not in manifest]
    if missing:
        raise PitrctlError(
            f"the manifest {parameter} lacks {', '.join(missing)}",
            hint="run `terraform apply` for the module to rewrite it",
        )
    shared = {name: str(manifest[key]) for name, key in REQUIRED_KEYS.items()}
    return Deployment(parameter=parameter, manifest=manifest, **shared)


def load(ssm: Any, source_table: str, ssm_prefix: str | None = None) -> Deployment:
    """Read and parse the manifest of the deployment protecting ``source_table``."""
    parameter = manifest_parameter(source_table, ssm_prefix)
    try:
        response = ssm.get_parameter(Name=parameter)
    except ssm.exceptions.ParameterNotFound:
        raise PitrctlError(
            f"no deployment of the module protects {source_table!r} here (no SSM parameter {parameter})",
            hint="check the table name, the AWS region/account (AWS_REGION, AWS_PROFILE), and --ssm-prefix "
            "if the module sets ssm_prefix; otherwise add a module block for the table and apply it",
        ) from None
    deployment = parse_manifest(parameter, response["Parameter"]["Value"])
    if deployment.source_table != source_table:
        raise PitrctlError(
            f"the manifest {parameter} belongs to {deployment.source_table!r}, not {source_table!r}",
            hint="two module blocks share an ssm_prefix: give each its own",
        )
    return deployment
