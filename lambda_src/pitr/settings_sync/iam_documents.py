"""IAM policy documents as the settings read them (trigger roles, policies naming the source)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote


def as_list(value: Any) -> list[Any]:
    """An IAM field that may be one string or a list of them, as a list."""
    return [value] if isinstance(value, (str, dict)) else list(value or [])


def document(raw: Any) -> dict[str, Any]:
    """A policy document: IAM returns documents URL-encoded on the wire; boto3 usually decodes them."""
    return raw if isinstance(raw, dict) else json.loads(unquote(raw))


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy.get("Statement"))
