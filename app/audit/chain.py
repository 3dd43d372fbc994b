"""The hash-chained audit log writer, safe across gunicorn workers and threads.

Each append takes an exclusive ``flock`` on the log, reads the last entry hash from the
file tail (other processes append too), writes one line with O_APPEND and records the
new hash in ``<log>.state``. The state file is what links the first entry of a fresh file
after rotation (logrotate's rename rotation, which ships in ops/logrotate/, or copytruncate)
to the last entry of the rotated segment. The path is reopened on every append, so a renamed
file is never written to again.

A torn last line (a crash mid-write) is terminated with a newline and followed by a
``security_event`` ``audit_torn_line_recovered`` that links to the last whole entry and
carries the fragment's sha256; the verifier accepts exactly that pattern.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

from app.audit.hashing import GENESIS_HASH, HEX_HASH, TORN_LINE_RECOVERED, canonical_json, is_sealed, line_sha256, seal

TAIL_BLOCK = 4096


class AuditWriteError(Exception):
    """The audit entry could not be written; callers fail closed."""


def utc_timestamp() -> str:
    """Return an ISO-8601 UTC timestamp with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_tail(fd: int, size: int) -> tuple[bytes | None, bytes]:
    """Return (last whole line, bytes after the last newline) reading only the file tail."""
    start, block = size, TAIL_BLOCK
    while True:
        start = max(0, start - block)
        data = os.pread(fd, size - start, start)
        body, _, fragment = data.rpartition(b"\n")
        if start == 0 or b"\n" in body:
            break
        block *= 2
    if not data.count(b"\n"):
        return None, fragment
    return body.rpartition(b"\n")[2], fragment


class AuditChain:
    """Append-only, hash-chained JSON-lines audit log at ``path``."""

    def __init__(self, path: str, fsync: bool = False) -> None:
        self.path = path
        self.state_path = path + ".state"
        self.fsync = fsync
        self._thread_lock = threading.Lock()
        self._last_written: tuple[bytes, str] | None = None  # our last line and its hash (under the lock)

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        """Write one event and return the sealed entry; raise AuditWriteError on failure."""
        return self._locked(lambda fd: self._append_locked(fd, event))

    def recover(self) -> dict[str, Any] | None:
        """Repair a torn last line at start-up; return the recovery entry if one was written."""
        return self._locked(self._recover_locked)

    def _locked(self, action: Any) -> Any:
        """Run an action holding the thread lock and an exclusive flock on the log."""
        with self._thread_lock:
            fd = self._open_locked()
            try:
                return action(fd)
            except (OSError, ValueError, TypeError) as exc:
                raise AuditWriteError(f"cannot write audit log {self.path}: {exc}") from exc
            finally:
                os.close(fd)

    def _open_locked(self) -> int:
        """Open the path and flock it; if a rename rotation moved it meanwhile, lock the new file instead."""
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise AuditWriteError(f"cannot open audit log {self.path}: {exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    return fd
            except OSError:
                pass
            os.close(fd)
        raise AuditWriteError(f"audit log {self.path} kept moving while being locked")

    def _append_locked(self, fd: int, event: dict[str, Any]) -> dict[str, Any]:
        last_line, fragment = self._tail(fd)  # read once: the repair and the link both come from it
        prev_hash = self._repair(fd, last_line, fragment)[0] if fragment else self._link_to(last_line)
        entry = seal(event, prev_hash, utc_timestamp())
        line = canonical_json(entry).encode("utf-8")
        self._write(fd, line + b"\n", entry["entry_hash"])
        self._last_written = (line, entry["entry_hash"])
        return entry

    def _recover_locked(self, fd: int) -> dict[str, Any] | None:
        """Terminate a torn last line; return the recovery entry chained after it, if one was needed."""
        last_line, fragment = self._tail(fd)
        return self._repair(fd, last_line, fragment)[1] if fragment else None

    def _tail(self, fd: int) -> tuple[bytes | None, bytes]:
        """(last whole line or None, the unterminated fragment after it or b"")."""
        size = os.fstat(fd).st_size
        return read_tail(fd, size) if size else (None, b"")

    def _repair(self, fd: int, last_line: bytes | None, fragment: bytes) -> tuple[str, dict[str, Any] | None]:
        """Fix a torn tail; return the hash the next entry links to and the recovery entry, if written."""
        if self._is_whole_entry(fragment, last_line):  # only the newline was lost
            entry_hash: str = json.loads(fragment)["entry_hash"]
            self._write(fd, b"\n", entry_hash)
            return entry_hash, None
        entry = seal(_recovery_event(fragment), self._link_to(last_line), utc_timestamp())
        self._write(fd, b"\n" + (canonical_json(entry) + "\n").encode("utf-8"), entry["entry_hash"])
        return entry["entry_hash"], entry

    def _is_whole_entry(self, fragment: bytes, last_line: bytes | None) -> bool:
        """Tell whether the crash only lost the newline after a complete, linked entry."""
        try:
            entry = json.loads(fragment)
        except ValueError:
            return False
        return is_sealed(entry) and entry["prev_hash"] == self._link_to(last_line)

    def _link_to(self, last_line: bytes | None) -> str:
        """The hash the next entry links to: the last line's, or the state file's when the log is empty."""
        return self._hash_of(last_line) if last_line is not None else self._state_hash()

    def _hash_of(self, line: bytes) -> str:
        """Read entry_hash from the last whole line; a corrupt tail stops writing. The line this process wrote
        last (no other writer since) is not parsed again: the same bytes hold the same hash."""
        if self._last_written is not None and line == self._last_written[0]:
            return self._last_written[1]
        try:
            value = json.loads(line)["entry_hash"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditWriteError(f"audit log {self.path} ends with a corrupt entry: verify it") from exc
        if not isinstance(value, str) or not HEX_HASH.match(value):
            raise AuditWriteError(f"audit log {self.path} ends with an entry without a valid entry_hash")
        return value

    def _state_hash(self) -> str:
        """Return the last hash before a truncation, or the genesis hash."""
        try:
            with open(self.state_path, encoding="ascii") as handle:
                value = handle.read(64)
        except FileNotFoundError:
            return GENESIS_HASH
        if not HEX_HASH.match(value):
            raise AuditWriteError(f"audit state file {self.state_path} is corrupt")
        return value

    def _write(self, fd: int, data: bytes, entry_hash: str) -> None:
        """Append bytes in one write, then remember the hash for after a truncation."""
        written = os.write(fd, data)
        if written != len(data):
            raise AuditWriteError(f"short write to audit log {self.path}: {written} of {len(data)} bytes")
        if self.fsync:
            os.fsync(fd)
        state = os.open(self.state_path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.pwrite(state, (entry_hash + "\n").encode("ascii"), 0)
        finally:
            os.close(state)


def _recovery_event(fragment: bytes) -> dict[str, Any]:
    """Describe a torn fragment so the verifier can match it."""
    return {
        "event": "security_event",
        "kind": TORN_LINE_RECOVERED,
        "severity": "warning",
        "details": {"torn_line_sha256": line_sha256(fragment), "torn_line_bytes": len(fragment)},
    }
