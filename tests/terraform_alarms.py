"""The CloudWatch alarms the module creates, read from its Terraform files (python-hcl2).

The docs tests use it: every alarm needs a runbook entry, and the README's fixed cost counts them.
It reads every ``aws_cloudwatch_metric_alarm`` in the root module and ``modules/``, expands a
``for_each`` over a local map, and evaluates the few name expressions the module uses; a name it
cannot evaluate fails loudly instead of being skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parent.parent
_PREFIX = re.compile(r"\$\{(?:var|local)\.name_prefix\}")
_KEY = re.compile(r'\$\{(?:each\.key|replace\(each\.key,\s*"_",\s*"-"\))\}')


@dataclass(frozen=True)
class Alarm:
    name: str  # "<prefix>-..."
    metrics: int  # alarm metrics CloudWatch bills: 1, or each metric of a metric math alarm
    where: str


def _module_files() -> list[Path]:
    files = sorted(REPO.glob("*.tf"))
    files += sorted(p for p in (REPO / "modules").rglob("*.tf") if ".terraform" not in p.parts)
    return files


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of a string (a template may hold quoted arguments inside)."""
    if isinstance(value, str) and len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _locals(parsed: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in parsed.get("locals", []):
        merged.update(block)
    return merged


def _name(template: str, key: str | None, where: str) -> str:
    name = _PREFIX.sub("<prefix>", template)
    if key is not None:
        name = _KEY.sub(lambda m: key.replace("_", "-") if "replace" in m.group(0) else key, name)
    if "${" in name:
        raise AssertionError(
            f"{where}: cannot evaluate alarm name {template!r}; teach tests/terraform_alarms.py"
        )
    return name


def alarms() -> list[Alarm]:
    parsed = {path: hcl2.load(path.open()) for path in _module_files()}
    every_local: dict[str, Any] = {}
    for tree in parsed.values():
        every_local.update(_locals(tree))
    found: list[Alarm] = []
    for path, tree in parsed.items():
        own_locals = {**every_local, **_locals(tree)}
        for block in tree.get("resource", []):
            for kind, resources in block.items():
                if _unquote(kind) != "aws_cloudwatch_metric_alarm":
                    continue
                for label, body in resources.items():
                    where = f"{path.relative_to(REPO)}: aws_cloudwatch_metric_alarm.{_unquote(label)}"
                    template = _unquote(body["alarm_name"])
                    queries = body.get("metric_query", [])
                    metrics = sum(1 for q in queries if "metric" in q) if queries else 1
                    for_each = body.get("for_each")
                    if for_each is None:
                        found.append(Alarm(_name(template, None, where), metrics, where))
                        continue
                    match = re.fullmatch(r"\$\{local\.(\w+)\}", str(for_each))
                    if match is None or not isinstance(own_locals.get(match.group(1)), dict):
                        raise AssertionError(f"{where}: for_each {for_each!r} is not a local map")
                    for key in own_locals[match.group(1)]:
                        found.append(Alarm(_name(template, _unquote(key), where), metrics, where))
    return found
