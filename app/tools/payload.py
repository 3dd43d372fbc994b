"""Null-safe reads of Gitea payloads: every field FACTS §5 says may be null (or missing) gets a default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def text(raw: Mapping[str, Any] | None, key: str) -> str:
    """A string field; null or missing gives ''."""
    value = (raw or {}).get(key)
    return value if isinstance(value, str) else ("" if value is None else str(value))


def maybe_text(raw: Mapping[str, Any] | None, key: str) -> str | None:
    """A string field that keeps null as None (timestamps, shas that may be absent)."""
    value = (raw or {}).get(key)
    return value if isinstance(value, str) and value else None


def number(raw: Mapping[str, Any] | None, key: str) -> int:
    """An integer field; null or missing gives 0."""
    value = (raw or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def maybe_number(raw: Mapping[str, Any] | None, key: str) -> int | None:
    value = (raw or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def flag(raw: Mapping[str, Any] | None, key: str) -> bool:
    """A boolean field; null or missing gives False."""
    return (raw or {}).get(key) is True


def mapping(raw: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    """A nested object; null or missing gives {}."""
    value = (raw or {}).get(key)
    return value if isinstance(value, Mapping) else {}


def maybe_mapping(raw: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    value = (raw or {}).get(key)
    return value if isinstance(value, Mapping) else None


def items(raw: Mapping[str, Any] | None, key: str) -> list[Any]:
    """A list field; null (Gitea's nil slice) or missing gives []."""
    value = (raw or {}).get(key)
    return value if isinstance(value, list) else []


def login(user: Mapping[str, Any] | None) -> str | None:
    """A Gitea user's login, or None when the user is null (unknown commit email, deleted user)."""
    return maybe_text(user, "login") if user else None


def logins(raw: Mapping[str, Any] | None, key: str) -> list[str]:
    """Logins of a user list that Gitea sends as null when empty (assignees, reviewers)."""
    return [name for user in items(raw, key) if isinstance(user, Mapping) and (name := login(user))]


def names(raw: Mapping[str, Any] | None, key: str) -> list[str]:
    """`name` of each object in a list (labels)."""
    return [text(entry, "name") for entry in items(raw, key) if isinstance(entry, Mapping)]


def first_line(value: str) -> str:
    return value.split("\n", 1)[0]
