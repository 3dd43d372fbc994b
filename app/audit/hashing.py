"""Canonical JSON and the entry hash that links each audit entry to the one before it."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

GENESIS_HASH = "0" * 64
HEX_HASH = re.compile(r"^[0-9a-f]{64}$")
TORN_LINE_RECOVERED = "audit_torn_line_recovered"


# json.dumps would build this encoder anew for each entry (twice per append); json.dumps returns its encode().
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(entry: dict[str, Any]) -> str:
    """Serialise one way only, so a hash can be recomputed from the stored line."""
    return CANONICAL.encode(entry)


def compute_entry_hash(entry: dict[str, Any]) -> str:
    """Return sha256(prev_hash + canonical JSON of the entry without entry_hash)."""
    body = {key: value for key, value in entry.items() if key != "entry_hash"}
    payload = str(entry.get("prev_hash", "")) + canonical_json(body)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def seal(event: dict[str, Any], prev_hash: str, timestamp: str) -> dict[str, Any]:
    """Return the event with ts, prev_hash and entry_hash added."""
    entry = {**event, "ts": timestamp, "prev_hash": prev_hash}
    entry.pop("entry_hash", None)
    entry["entry_hash"] = compute_entry_hash(entry)
    return entry


def is_sealed(entry: Any) -> bool:
    """Tell whether a parsed line is an entry whose hash matches its content."""
    if not isinstance(entry, dict):
        return False
    hashes = (entry.get("prev_hash"), entry.get("entry_hash"))
    if not all(isinstance(value, str) and HEX_HASH.match(value) for value in hashes):
        return False
    return compute_entry_hash(entry) == entry["entry_hash"]


def line_sha256(raw: bytes) -> str:
    """Fingerprint a torn fragment so the recovery entry binds it into the chain."""
    return hashlib.sha256(raw).hexdigest()
