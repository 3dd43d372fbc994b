"""Find, mask or withhold credentials in text before it leaves the service."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from ahocorasick_rs import AhoCorasick

from app.safety.anchors import StartFinder, matches_at
from app.safety.patterns import (
    PRIVATE_KEY_ANCHOR,
    PRIVATE_KEY_BODY,
    PRIVATE_KEY_BODY_AHEAD,
    PRIVATE_KEY_FOOTER,
    PRIVATE_KEY_HEADER,
    PRIVATE_KEY_LEAD,
    PRIVATE_KEY_MAX_BYTES,
    build_detectors,
)

Shape = TypeVar("Shape")  # a tool result keeps its shape: dicts, lists, tuples, scalars


class SecretMode(enum.StrEnum):
    """`SECRET_DETECTION_MODE`: what happens to a value that carries a secret."""

    MASK = "mask"  # replace each secret with [REDACTED:<kind>]
    BLOCK = "block"  # withhold the whole value, naming the kinds found
    OFF = "off"  # pass everything through (not recommended)


@dataclass(frozen=True)
class SecretFinding:
    """One secret in a text: its kind and where its value sits (never the value)."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class SanitizedText:
    """A text after the secret policy ran over it."""

    text: str
    findings: list[SecretFinding] = field(default_factory=list)
    blocked: bool = False

    @property
    def kinds(self) -> list[str]:
        """The distinct kinds found, sorted (safe to log or show)."""
        return sorted({f.kind for f in self.findings})


# Keys whose string value is a credential whatever it looks like (structured output, logs).
SENSITIVE_KEYS = frozenset(
    {
        "password", "passwd", "secret", "token", "api_key", "apikey", "access_token",
        "refresh_token", "id_token", "client_secret", "private_key", "secret_key",
        "authorization", "cookie", "set_cookie", "session_token", "webhook_secret",
    }
)  # fmt: skip


def withheld_note(kinds: list[str]) -> str:
    """The text that replaces a blocked value: names the kinds, never the values."""
    return f"[WITHHELD: this value contained secrets ({', '.join(kinds)}) and was not returned]"


def redaction(kind: str) -> str:
    """The marker that replaces one masked secret."""
    return f"[REDACTED:{kind}]"


# A detector whose anchors occur more often than once in this many characters runs its pattern over the whole
# text: a literal search at C speed (~0.7 ns a character) then costs less than a match call at each (~0.4 us).
DENSE_ANCHORS = 512
# Past one occurrence in this many characters (hostile input: `ghp_ghp_…`), no detector is pinpointed.
SATURATED_ANCHORS = 64
# Up to this size the detectors with an anchor in the text search all of it, found in one Aho-Corasick pass: on a
# short text pinpointing saves little and costs a Python step per anchor. Most strings of a tool result are short.
SMALL_TEXT = 4096
# The detectors to run (0: private keys) by rank, each with the sorted positions to try its pattern at, or None.
Plan = list[tuple[int, list[int] | None]]


class SecretScanner:
    """Every detector compiled once; safe to share between threads.

    Each detector names literals (anchors) one of which every match of it starts with. In a long text one
    Aho-Corasick pass over the lower-cased text (StartFinder) finds where the rare anchors occur (provider
    prefixes, `bearer`, `begin`...) and each of their detectors tries its pattern only there, as finditer
    would, instead of searching the whole text: on credential-dense text most of the time went into those
    ~20 searches, each ~1 ms per 2 MB although it found next to nothing. Common anchors (credential names)
    are on nearly every line of config and docs: their detectors search the whole text with their own
    literal prefix, if the anchor occurs at all.
    """

    def __init__(self) -> None:
        self._detectors = build_detectors()
        slots = [(0, (PRIVATE_KEY_ANCHOR,), 0)] + [
            (rank, d.anchors, d.anchor_offset) for rank, d in enumerate(self._detectors, 1)
        ]
        common = {rank for rank, d in enumerate(self._detectors, 1) if d.common}
        self._rare_start = StartFinder([slot for slot in slots if slot[0] not in common])
        self._common = [(rank, anchors) for rank, anchors, _ in slots if rank in common]
        anchors = sorted({anchor for _, slot_anchors, _ in slots for anchor in slot_anchors})
        number = {anchor: index for index, anchor in enumerate(anchors)}
        self._presence = AhoCorasick(anchors)
        self._slot_anchors = [(rank, frozenset(number[a] for a in slot_anchors)) for rank, slot_anchors, _ in slots]

    def find(self, text: str) -> list[SecretFinding]:
        """Return the secrets in `text`, ordered by position and never overlapping."""
        if not text:
            return []
        lowered = _lower_keeping_offsets(text)
        if not (plan := self._plan(lowered)):
            return []
        spans: list[tuple[int, int, int, str]] = []
        for rank, starts in plan:
            if rank == 0:
                spans += _private_key_spans(text, lowered, starts)
                continue
            found = self._detectors[rank - 1].spans(text, lowered, starts)
            spans += ((start, -end, rank, kind) for kind, start, end in found)
        return _without_overlaps(spans)

    def _plan(self, lowered: str) -> Plan:
        """The detectors to run (0: private keys) by rank, each with the sorted positions to try its pattern at,
        or None to search the whole text."""
        if len(lowered) <= SMALL_TEXT:
            return self._present(lowered)
        common: Plan = [(rank, None) for rank, anchors in self._common if any(anchor in lowered for anchor in anchors)]
        return self._rare_start.starts(lowered, SATURATED_ANCHORS, DENSE_ANCHORS) + common

    def _present(self, lowered: str) -> Plan:
        """The detectors with an anchor in a short text, each to search all of it."""
        # Overlapping: every anchor that occurs is reported, even inside a longer one (`key` in `key=`).
        present = frozenset(index for index, _, _ in self._presence.find_matches_as_indexes(lowered, overlapping=True))
        if not present:
            return []
        return [(rank, None) for rank, anchors in self._slot_anchors if not anchors.isdisjoint(present)]

    def mask(self, text: str) -> tuple[str, list[SecretFinding]]:
        """Replace each secret with `[REDACTED:<kind>]`; the rest of the text stays."""
        findings = self.find(text)
        if not findings:
            return text, findings
        parts, cursor = [], 0
        for finding in findings:
            parts += [text[cursor : finding.start], redaction(finding.kind)]
            cursor = finding.end
        parts.append(text[cursor:])
        return "".join(parts), findings

    def apply(self, text: str, mode: SecretMode | str) -> SanitizedText:
        """Run the `SECRET_DETECTION_MODE` policy over one text value."""
        mode = mode if type(mode) is SecretMode else SecretMode(mode)  # tool output calls this per string
        if mode is SecretMode.OFF:
            return SanitizedText(text)
        if mode is SecretMode.MASK:
            masked, findings = self.mask(text)
            return SanitizedText(masked, findings)
        findings = self.find(text)
        if not findings:
            return SanitizedText(text)
        kinds = sorted({f.kind for f in findings})
        return SanitizedText(withheld_note(kinds), findings, blocked=True)

    def sanitize_value(
        self, value: Shape, mode: SecretMode | str, prepare: Callable[[str], str] | None = None
    ) -> tuple[Shape, list[SecretFinding]]:
        """Sanitise every string in a nested tool result; return a copy and all findings.

        `prepare` runs on each string first, in the same walk (the tool core strips invisible characters,
        which could otherwise hide a token from the scanner)."""
        findings: list[SecretFinding] = []
        if SecretMode(mode) is SecretMode.OFF and prepare is None:
            return value, findings
        return cast(Shape, self._walk(value, SecretMode(mode), findings, prepare)), findings

    def _walk(self, value: object, mode: SecretMode, findings: list[SecretFinding],
              prepare: Callable[[str], str] | None) -> object:  # fmt: skip
        """Rebuild `value` with every string sanitised (dict keys are kept as they are)."""
        if isinstance(value, str):
            result = self.apply(prepare(value) if prepare is not None else value, mode)
            findings.extend(result.findings)
            return result.text
        if value is None or isinstance(value, bool | int | float):
            return value  # most leaves of a Gitea payload; cheaper than the Mapping ABC check below
        if isinstance(value, dict | Mapping):
            return {k: self._walk_entry(k, v, mode, findings, prepare) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._walk(item, mode, findings, prepare) for item in value)
        return value

    def _walk_entry(self, key: object, value: object, mode: SecretMode, findings: list[SecretFinding],
                    prepare: Callable[[str], str] | None) -> object:  # fmt: skip
        """A string under a credential-named key is a secret whatever its shape."""
        if mode is not SecretMode.OFF and isinstance(value, str) and value and is_sensitive_key(key):
            findings.append(SecretFinding("sensitive_field", 0, len(value)))
            kind = "sensitive_field"
            return redaction(kind) if mode is SecretMode.MASK else withheld_note([kind])
        return self._walk(value, mode, findings, prepare)


def is_sensitive_key(key: object) -> bool:
    """True for mapping keys such as `password`, `Client-Secret`, `api_key`."""
    return isinstance(key, str) and _is_sensitive_name(key)


@functools.lru_cache(maxsize=4096)
def _is_sensitive_name(key: str) -> bool:
    """Cached: tool results repeat the same few dozen key names on every call."""
    return key.lower().replace("-", "_") in SENSITIVE_KEYS


def _lower_keeping_offsets(text: str) -> str:
    """Lower-case for keyword matching; keep the original if offsets would move."""
    lowered = text.lower()
    # A few characters (e.g. U+0130) lower-case to two: then fall back to ASCII-only.
    return lowered if len(lowered) == len(text) else _ascii_lower(text)


_ASCII_UPPER = re.compile(r"[A-Z]+")


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only (keeps every offset)."""
    return _ASCII_UPPER.sub(lambda m: m.group().lower(), text)


def _private_key_spans(text: str, lowered: str, starts: list[int] | None = None) -> list[tuple[int, int, int, str]]:
    """Whole private-key blocks: header to footer, or header and its body if cut (headers tried at `starts`)."""
    headers = [(start, header) for header in matches_at(PRIVATE_KEY_HEADER, lowered, starts)
               if (start := _framed_header_start(text, lowered, header)) >= 0]
    if not headers:
        return []
    limits = [header.start() for _, header in headers[1:]] + [len(text)]
    footers = _FooterFinder(lowered)
    spans = []
    for (start, header), limit in zip(headers, limits, strict=True):
        end = _private_key_end(text, header.end(), footers.after(header.end()), limit)
        spans.append((start, -end, 0, "private_key"))
    return spans


def _framed_header_start(text: str, lowered: str, header: re.Match[str]) -> int:
    """Where a `BEGIN ... PRIVATE KEY` header starts with its leading dashes; -1 if it is not framed.

    Framed: dashes on both sides, or on one side with a key body right after it."""
    window = lowered[max(0, header.start() - 72) : header.start()][::-1]
    lead = PRIVATE_KEY_LEAD.match(window)
    tail = header.group("tail") is not None
    if (lead is not None and tail) or ((lead is not None or tail) and PRIVATE_KEY_BODY_AHEAD.match(text, header.end())):
        return header.start() - (lead.end() if lead is not None else 0)
    return -1


class _FooterFinder:
    """Finds the next footer after a position, searching each stretch of text once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._found: re.Match[str] | None = None
        self._searched_to = -1  # no footer between this and the end of text

    def after(self, position: int) -> re.Match[str] | None:
        """The first footer starting at or after `position`."""
        if self._found is not None and self._found.start() >= position:
            return self._found
        if self._found is None and 0 <= self._searched_to <= position:
            return None  # an earlier search already reached the end without a footer
        self._found = PRIVATE_KEY_FOOTER.search(self._text, position)
        self._searched_to = position
        return self._found


def _private_key_end(text: str, body_start: int, footer: re.Match[str] | None, limit: int) -> int:
    """Where the block ends: its footer if near, else the end of the key body."""
    if footer is not None and footer.start() - body_start <= PRIVATE_KEY_MAX_BYTES:
        return footer.end()
    # Stop at the next header so hostile runs of headers stay linear.
    body = PRIVATE_KEY_BODY.match(text, body_start, limit)
    return body.end() if body else body_start


def _without_overlaps(spans: list[tuple[int, int, int, str]]) -> list[SecretFinding]:
    """One finding per stretch of overlapping spans, named by the earliest, longest, most specific one.

    An overlapping span extends the finding instead of being dropped: a token that starts inside
    another match (`ghp_…sk-proj-…`) must not leave its rest readable."""
    findings: list[SecretFinding] = []
    for start, negative_end, _rank, kind in sorted(spans):
        if findings and start < findings[-1].end:
            last = findings[-1]
            if -negative_end > last.end:
                findings[-1] = SecretFinding(last.kind, last.start, -negative_end)
            continue
        findings.append(SecretFinding(kind, start, -negative_end))
    return findings


@functools.cache
def default_scanner() -> SecretScanner:
    """The process-wide scanner, compiled on first use (never at import)."""
    return SecretScanner()


def sanitize_value(
    value: Shape, mode: SecretMode | str, prepare: Callable[[str], str] | None = None
) -> tuple[Shape, list[SecretFinding]]:
    """Sanitise every string of a nested tool result with the default scanner."""
    return default_scanner().sanitize_value(value, mode, prepare)
