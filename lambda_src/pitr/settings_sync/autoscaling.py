"""Auto scaling: scalable targets and target-tracking policies of the table and of every GSI.

Application Auto Scaling filters ``ResourceId`` loosely in some implementations (moto: a substring,
so ``table/orders`` also matches ``table/orders-restored-1``), so every listing is filtered exactly
here. Targets are registered without ``RoleARN``: DynamoDB then uses its service-linked role, which
needs no ``iam:PassRole``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import SyncContext
from .report import APPLIED, SKIPPED, UNCHANGED, Result

NAME = "autoscaling"
PHASE = "restore"
NAMESPACE = "dynamodb"

_POLICY_FIELDS = (
    "TargetValue",
    "PredefinedMetricSpecification",
    "CustomizedMetricSpecification",
    "ScaleOutCooldown",
    "ScaleInCooldown",
    "DisableScaleIn",
)


def resource_ids(table: str, indexes: list[str]) -> dict[str, str]:
    """Resource id of the table and of each index, keyed by a label (``table``, ``index/<name>``)."""
    ids = {"table": f"table/{table}"}
    ids.update({f"index/{name}": f"table/{table}/index/{name}" for name in indexes})
    return ids


def _targets(ctx: SyncContext, ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    aas = ctx.client("application-autoscaling")
    wanted = set(ids)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(ids), 50):  # ResourceIds takes at most 50 ids
        for target in ctx.pages(
            aas.describe_scalable_targets,
            "ScalableTargets",
            ServiceNamespace=NAMESPACE,
            ResourceIds=ids[start : start + 50],
        ):
            if target["ResourceId"] in wanted:
                found[(target["ResourceId"], target["ScalableDimension"])] = target
    return found


def _policies(ctx: SyncContext, resource_id: str, dimension: str) -> dict[str, dict[str, Any]]:
    aas = ctx.client("application-autoscaling")
    return {
        p["PolicyName"]: p
        for p in ctx.pages(
            aas.describe_scaling_policies,
            "ScalingPolicies",
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
            ScalableDimension=dimension,
        )
        if p["ResourceId"] == resource_id and p["ScalableDimension"] == dimension
    }


def _rewrite_dimensions(value: Any, source: str, target: str) -> Any:
    """Customized metrics name the table in a ``TableName`` dimension: point it at the target."""
    if isinstance(value, dict):
        if value.get("Name") == "TableName" and value.get("Value") == source:
            return {**value, "Value": target}
        return {k: _rewrite_dimensions(v, source, target) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_dimensions(v, source, target) for v in value]
    return value


def policy_config(
    policy: dict[str, Any], source: str | None = None, target: str | None = None
) -> dict[str, Any]:
    """The comparable, re-puttable part of a target-tracking configuration."""
    config = policy.get("TargetTrackingScalingPolicyConfiguration", {})
    kept = {k: config[k] for k in _POLICY_FIELDS if config.get(k) is not None}
    if "TargetValue" in kept:
        kept["TargetValue"] = float(kept["TargetValue"])
    return _rewrite_dimensions(kept, source, target) if source and target else kept


def _target_settings(target: dict[str, Any]) -> dict[str, Any]:
    settings = {"MinCapacity": target["MinCapacity"], "MaxCapacity": target["MaxCapacity"]}
    suspended = target.get("SuspendedState")
    if suspended:
        settings["SuspendedState"] = {k: bool(suspended.get(k, False)) for k in sorted(suspended)}
    return settings


def sync(ctx: SyncContext) -> Iterator[Result]:
    source_ids = resource_ids(ctx.source_table, ctx.gsi_names(ctx.source()))
    target_indexes = set(ctx.gsi_names(ctx.target(refresh=True)))
    target_ids = resource_ids(ctx.target_table, sorted(target_indexes))
    source_targets = _targets(ctx, list(source_ids.values()))
    if not source_targets:
        yield Result(NAME, "table", SKIPPED, "auto scaling is off on the source (no scalable targets)")
        return
    present = _targets(ctx, list(target_ids.values()))
    label_of = {rid: label for label, rid in source_ids.items()}
    aas = ctx.client("application-autoscaling")
    for (resource_id, dimension), source_target in sorted(source_targets.items()):
        label = label_of[resource_id]
        item = f"{label} {dimension.rsplit(':', 1)[-1]}"
        if label.startswith("index/") and label.removeprefix("index/") not in target_indexes:
            yield Result(NAME, item, SKIPPED, "the index is not on the target (left out of the restore)")
            continue
        ctx.check_time()
        target_id = target_ids[label]
        wanted = _target_settings(source_target)
        existing = present.get((target_id, dimension))
        if existing is not None and _target_settings(existing) == wanted:
            yield Result(NAME, item, UNCHANGED, detail=wanted)
        else:
            ctx.call(
                aas.register_scalable_target,
                ServiceNamespace=NAMESPACE,
                ResourceId=target_id,
                ScalableDimension=dimension,
                **wanted,
            )
            yield Result(NAME, item, APPLIED, detail=wanted)
        yield from _sync_policies(ctx, resource_id, target_id, dimension, item)


def _sync_policies(
    ctx: SyncContext, source_id: str, target_id: str, dimension: str, item: str
) -> Iterator[Result]:
    aas = ctx.client("application-autoscaling")
    current = _policies(ctx, target_id, dimension)
    for name, policy in sorted(_policies(ctx, source_id, dimension).items()):
        policy_item = f"{item} policy {name}"
        if policy.get("PolicyType") != "TargetTrackingScaling":
            yield Result(
                NAME, policy_item, SKIPPED, f"{policy.get('PolicyType')} policies do not apply to DynamoDB"
            )
            continue
        ctx.check_time()
        wanted = policy_config(policy, ctx.source_table, ctx.target_table)
        existing = current.get(name)
        if existing is not None and policy_config(existing) == wanted:
            yield Result(NAME, policy_item, UNCHANGED)
            continue
        ctx.call(
            aas.put_scaling_policy,
            PolicyName=name,
            ServiceNamespace=NAMESPACE,
            ResourceId=target_id,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=wanted,
        )
        yield Result(NAME, policy_item, APPLIED)
