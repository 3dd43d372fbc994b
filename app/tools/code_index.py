"""search_code's index: a repository's text files at one commit, read from one archive, cached by sha."""

from __future__ import annotations

import io
import re
import tarfile
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_FILES = 10000
MAX_FILE_BYTES = 1024 * 1024
MAX_MATCHES = 1000
MAX_LINE_CHARS = 400
SEARCH_SECONDS = 5.0
CACHE_BYTES = 96 * 1024 * 1024


@dataclass(frozen=True)
class CodeIndex:
    """Text files of one commit; `incomplete` when a bound (archive size, file count) cut it short."""

    commit: str
    files: tuple[tuple[str, str], ...]
    skipped: int
    incomplete: bool
    folded: tuple[str, ...] = ()  # lower-cased texts: a plain substring test is far faster than re.IGNORECASE

    @property
    def size(self) -> int:
        return 2 * sum(len(text) for _, text in self.files)

    def search(self, query: str, case_sensitive: bool) -> tuple[list[dict[str, Any]], bool]:
        """Literal matches as (path, line, context); second value False when a bound stopped the search."""
        pattern = re.compile(re.escape(query), 0 if case_sensitive else re.IGNORECASE)
        needle = query if case_sensitive else query.lower()
        haystacks = (text for _, text in self.files) if case_sensitive else iter(self.folded)
        deadline = time.monotonic() + SEARCH_SECONDS
        matches: list[dict[str, Any]] = []
        for (path, text), haystack in zip(self.files, haystacks, strict=True):
            if needle not in haystack:
                continue
            matches += file_matches(path, text, pattern, MAX_MATCHES - len(matches))
            if len(matches) >= MAX_MATCHES or time.monotonic() > deadline:
                return matches, False
        return matches, True


def file_matches(path: str, text: str, pattern: re.Pattern[str], room: int) -> list[dict[str, Any]]:
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        if pattern.search(line):
            found.append(match_entry(path, lines, number))
            if len(found) >= room:
                break
    return found


def match_entry(path: str, lines: list[str], number: int) -> dict[str, Any]:
    return {
        "path": path,
        "line_number": number,
        "line": lines[number - 1][:MAX_LINE_CHARS],
        "context_before": [line[:MAX_LINE_CHARS] for line in lines[max(number - 2, 0) : number - 1]],
        "context_after": [line[:MAX_LINE_CHARS] for line in lines[number : number + 1]],
    }


def index_from_archive(commit: str, archive: bytes, cut_at_cap: bool) -> CodeIndex:
    """Read text files from a (possibly cut) tar.gz; binaries and files over MAX_FILE_BYTES are skipped."""
    files: list[tuple[str, str]] = []
    skipped, incomplete = 0, cut_at_cap
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar:
                if len(files) >= MAX_FILES:
                    incomplete = True
                    break
                text = member_text(tar, member)
                if text is None:
                    skipped += member.isfile()
                    continue
                files.append((strip_prefix(member.name), text))
    except (tarfile.TarError, EOFError, zlib.error, OSError):
        incomplete = True  # a cut archive ends mid-member: keep what was read
    return CodeIndex(commit, tuple(files), skipped, incomplete, tuple(text.lower() for _, text in files))


def member_text(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str | None:
    if not member.isfile() or member.size > MAX_FILE_BYTES:
        return None
    handle = tar.extractfile(member)
    data = handle.read() if handle is not None else b""
    if b"\x00" in data[:8000]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def strip_prefix(name: str) -> str:
    """Archives put every path under '<repo>/'."""
    return name.split("/", 1)[1] if "/" in name else name


class CodeIndexCache:
    """Indexes by 'owner/repo@sha', least recently used dropped past CACHE_BYTES.

    Shared by all callers: each call first resolves the ref with the caller's own credentials, so
    only someone Gitea lets read the repository ever reaches a cached index.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CodeIndex] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CodeIndex | None:
        with self._lock:
            index = self._entries.get(key)
            if index is not None:
                self._entries.move_to_end(key)
            return index

    def put(self, key: str, index: CodeIndex) -> None:
        with self._lock:
            self._entries[key] = index
            while sum(entry.size for entry in self._entries.values()) > self.max_bytes and len(self._entries) > 1:
                self._entries.popitem(last=False)


class ResolvedRefs:
    """Ref -> commit per credential for a short time; bounded, expired entries dropped on insert."""

    def __init__(self, seconds: float = 30.0, max_entries: int = 10000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._entries.get(key)
        return found[0] if found is not None and found[1] > time.monotonic() else None

    def put(self, key: str, commit: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (commit, now + self.seconds)
