"""Bounded, model-friendly output: list envelopes, item caps and clipped text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import Settings


@dataclass(frozen=True)
class ToolLimits:
    """The caps every result respects (MAX_TOOL_RESPONSE_ITEMS, _CHARS, MAX_FILE_SIZE_BYTES)."""

    items: int = 200
    chars: int = 20000
    file_bytes: int = 1048576

    @classmethod
    def from_settings(cls, settings: Settings) -> ToolLimits:
        return cls(settings.max_tool_response_items, settings.max_tool_response_chars, settings.max_file_size_bytes)


def clip(text: str | None, limit: int) -> tuple[str, bool]:
    """Text cut to `limit` characters, and whether it was cut."""
    text = text or ""
    return (text, False) if len(text) <= limit else (text[:limit], True)


def list_envelope(
    items: list[Any], *, page: int, limit: int, has_more: bool, total: int | None, limits: ToolLimits
) -> dict[str, Any]:
    """The one list shape: {items, page, limit, has_more, total}; never more than the item cap."""
    capped = items[: limits.items]
    envelope: dict[str, Any] = {
        "items": capped,
        "page": page,
        "limit": limit,
        "has_more": has_more or len(capped) < len(items),
        "total": total,
    }
    if len(capped) < len(items):
        envelope["truncated"] = True
    return envelope


def more_hint(envelope: dict[str, Any]) -> str:
    """The paging line a model needs: what page this is and how to get the next."""
    total = f" of {envelope['total']}" if envelope.get("total") is not None else ""
    head = f"Page {envelope['page']} ({len(envelope['items'])} items{total})."
    if envelope["has_more"]:
        return f"{head} More available: call again with page={envelope['page'] + 1}."
    return head
