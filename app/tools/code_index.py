"""search_code's index: a repository's text files at one commit, read from one archive, cached by sha."""

from __future__ import annotations

import gzip
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
# Decompressed bytes read from one archive, headers and skipped files included: a small gzip can
# expand a thousandfold, so the compressed cap alone does not bound memory or time.
MAX_DECODED_BYTES = 64 * 1024 * 1024
MAX_MATCHES = 1000
MAX_LINE_CHARS = 400
SEARCH_SECONDS = 5.0
CACHE_BYTES = 96 * 1024 * 1024


class DecodedCapReached(Exception):
    """The archive expanded past MAX_DECODED_BYTES."""


class BoundedStream(io.RawIOBase):
    """A decompressed stream that refuses to read or seek past `cap` bytes (seeking forward decompresses too)."""

    def __init__(self, inner: gzip.GzipFile, cap: int) -> None:
        super().__init__()
        self.inner, self.cap, self.position = inner, cap, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        room = self.cap - self.position
        data = self.inner.read(room + 1 if size is None or size < 0 else min(size, room + 1))
        self.position += len(data)
        if self.position > self.cap:
            raise DecodedCapReached()
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence not in (io.SEEK_SET, io.SEEK_CUR):
            raise io.UnsupportedOperation("only forward seeks are bounded")
        target = offset if whence == io.SEEK_SET else self.position + offset
        if target > self.cap:
            raise DecodedCapReached()
        if target != self.position:  # tarfile seeks to where it already is before most reads
            self.position = self.inner.seek(target)
        return self.position

    def tell(self) -> int:
        return self.position


@dataclass(frozen=True)
class CodeIndex:
    """Text files of one commit; `incomplete` when a bound cut it short, `bound` says which."""

    commit: str
    files: tuple[tuple[str, str], ...]
    skipped: int
    incomplete: bool
    folded: tuple[str, ...] = ()  # lower-cased texts: a plain substring test is far faster than re.IGNORECASE
    bound: str | None = None

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
    # Numbered by "\n" as git and get_file_contents number them (splitlines also breaks at \f, \u2028...).
    lines = [line.removesuffix("\r") for line in text.split("\n")]
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


ARCHIVE_CUT = f"the archive is larger than {MAX_ARCHIVE_BYTES // 2**20} MiB; only its beginning was read"
TOO_MANY_FILES = f"only the first {MAX_FILES} files were read"
ARCHIVE_DAMAGED = "the archive ended early or is damaged; files after that point were not read"


def index_from_archive(commit: str, archive: bytes, cut_at_cap: bool) -> CodeIndex:
    """Read text files from a (possibly cut) tar.gz, decompressing at most MAX_DECODED_BYTES;
    binaries and files over MAX_FILE_BYTES are skipped."""
    files: list[tuple[str, str]] = []
    skipped, bound = 0, ARCHIVE_CUT if cut_at_cap else None
    stream = BoundedStream(gzip.GzipFile(fileobj=io.BytesIO(archive)), MAX_DECODED_BYTES)
    try:
        # tarfile skips a file by seeking, which decompresses it too: the bound sees reads and seeks.
        with tarfile.open(fileobj=stream, mode="r:") as tar:
            for member in tar:
                if len(files) >= MAX_FILES:
                    bound = TOO_MANY_FILES
                    break
                text = member_text(tar, member)
                if text is None:
                    skipped += member.isfile()
                    continue
                files.append((strip_prefix(member.name), text))
    except DecodedCapReached:
        bound = f"the archive expands to more than {MAX_DECODED_BYTES / 2**20:g} MiB; only that much was read"
    except (tarfile.TarError, EOFError, zlib.error, OSError):
        bound = bound or ARCHIVE_DAMAGED  # a cut archive ends mid-member: keep what was read
    folded = tuple(text.lower() for _, text in files)
    return CodeIndex(commit, tuple(files), skipped, bound is not None, folded, bound)


def member_text(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str | None:
    if not member.isfile() or member.size > MAX_FILE_BYTES:
        return None
    handle = tar.extractfile(member)
    # Never trust the header's size: read at most one byte more than a file may have.
    data = handle.read(min(member.size, MAX_FILE_BYTES) + 1) if handle is not None else b""
    if len(data) > MAX_FILE_BYTES:
        return None
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
