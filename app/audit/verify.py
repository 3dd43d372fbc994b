"""Verify a hash-chained audit log, across rotated segments given oldest first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.audit.hashing import GENESIS_HASH, TORN_LINE_RECOVERED, canonical_json, is_sealed, line_sha256

BROKEN_LINK = "prev_hash does not link to the previous entry (deleted, reordered or inserted line)"
BROKEN_SEGMENT_LINK = (
    "first entry of this segment does not link to the end of the previous one "
    "(segments out of order or missing, or entries lost between logrotate's copy and truncate)"
)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a verification; on failure, where and why it first broke."""

    ok: bool
    entries: int
    first_bad_line: int | None = None
    reason: str = ""
    path: str | None = None
    anchor: str | None = None
    last_hash: str | None = None
    torn_lines: int = 0


class ChainBroken(Exception):
    """A line that breaks the chain, with its location."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def _lines(path: str) -> Iterator[tuple[int, bytes, bool]]:
    """Yield (line number, raw line, ends with newline) for one segment."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, raw.rstrip(b"\n"), raw.endswith(b"\n")


def parse_entry(raw: bytes) -> dict[str, Any]:
    """Parse a stored line and check its form and its own hash; raise ValueError why not."""
    try:
        entry = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not valid JSON") from exc
    if not isinstance(entry, dict):
        raise ValueError("not a JSON object")
    if not is_sealed(entry):
        raise ValueError("entry_hash does not match the entry (edited or missing hashes)")
    if canonical_json(entry) != raw.decode("utf-8"):
        raise ValueError("line is not in canonical form (edited)")
    return entry


def recovers(entry: dict[str, Any], torn: bytes) -> bool:
    """Tell whether an entry is the torn-line recovery event for exactly this fragment."""
    details = entry.get("details")
    return (
        entry.get("event") == "security_event"
        and entry.get("kind") == TORN_LINE_RECOVERED
        and isinstance(details, dict)
        and details.get("torn_line_sha256") == line_sha256(torn)
    )


class ChainWalk:
    """State carried from one line to the next while verifying."""

    def __init__(self, require_genesis: bool) -> None:
        self.require_genesis = require_genesis
        self.expected: str | None = None
        self.anchor: str | None = None
        self.entries = 0
        self.torn_lines = 0
        self.torn: tuple[int, bytes, str] | None = None
        self.segment_start = True

    def step(self, path: str, number: int, raw: bytes, complete: bool) -> None:
        """Check one line, holding back an unparsable line until its recovery entry is seen."""
        if not complete:
            raise ChainBroken(
                path, number, "torn last line (no trailing newline); run `flask audit recover` or restart the service"
            )
        try:
            entry = parse_entry(raw)
        except ValueError as exc:
            if self.torn is not None:
                raise ChainBroken(path, self.torn[0], self.torn[2]) from exc
            self.torn = (number, raw, str(exc))
            return
        self._link(path, number, entry)

    def _link(self, path: str, number: int, entry: dict[str, Any]) -> None:
        """Check that an entry links to the one before (or recovers the torn line before it)."""
        if self.torn is not None:
            torn_number, torn_raw, reason = self.torn
            if not recovers(entry, torn_raw):
                raise ChainBroken(path, torn_number, reason)
            self.torn, self.torn_lines = None, self.torn_lines + 1
        if self.expected is None:
            self._anchor(path, number, entry["prev_hash"])
        elif entry["prev_hash"] != self.expected:
            raise ChainBroken(path, number, BROKEN_SEGMENT_LINK if self.segment_start else BROKEN_LINK)
        self.expected = entry["entry_hash"]
        self.segment_start = False
        self.entries += 1

    def _anchor(self, path: str, number: int, prev_hash: str) -> None:
        if self.require_genesis and prev_hash != GENESIS_HASH:
            raise ChainBroken(path, number, "first entry does not start from the genesis hash")
        self.anchor = prev_hash

    def finish_segment(self, path: str) -> None:
        """A torn line must be recovered within its own segment."""
        if self.torn is not None:
            raise ChainBroken(path, self.torn[0], self.torn[2])
        self.segment_start = True


def verify_chain(paths: list[str], require_genesis: bool = False) -> VerifyResult:
    """Verify segments in order (oldest first); the first entry may anchor anywhere unless told."""
    walk = ChainWalk(require_genesis)
    try:
        for path in paths:
            for number, raw, complete in _lines(path):
                walk.step(path, number, raw, complete)
            walk.finish_segment(path)
    except ChainBroken as broken:
        return VerifyResult(False, walk.entries, broken.line, broken.reason, broken.path, walk.anchor)
    except OSError as exc:
        return VerifyResult(False, walk.entries, None, f"cannot read: {exc}", getattr(exc, "filename", None))
    return VerifyResult(True, walk.entries, anchor=walk.anchor, last_hash=walk.expected, torn_lines=walk.torn_lines)
