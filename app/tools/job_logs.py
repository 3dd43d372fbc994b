"""Reading a Gitea Actions job log as it streams: the lines a question needs, placed in their steps.

Gitea serves the stored log file: one `<timestamp> <content>` row per line (modules/actions/log.go), with no
step markers. The job's steps (from the API) carry start times, so each line is placed in the last step that
had started by its timestamp (to the second, the API's precision). Every reader keeps only what it will show
and says when it has enough, so a 50 MB log costs the lines kept, and grep or a line window stop reading early.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Gitea's row: 2006-01-02T15:04:05.0000000Z then one space. A fixed-width pattern: linear, anchored.
ROW_STAMP = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) ")
# Terminal colour and cursor codes (ANSI CSI sequences) that CI tools print: noise for a model, and tokens.
ANSI_CODES = re.compile(r"\x1b\[[0-9;?]{0,32}[A-Za-z]")
LINE_CHARS = 2000  # one log line shown at most this long (Gitea allows 64 KiB per line)
ROW_BYTES = 64 * 1024 + 64  # Gitea's longest line and its timestamp: a longer row is cut here while read
SET_UP, COMPLETE = "Set up job", "Complete job"  # what Gitea's UI calls the lines outside every step
ZERO_TIME = "1970-01-01T00:00:00"  # Go's zero time.Time as Gitea marshals a step that never ran
# Literal markers of a failure, searched as plain substrings (no pattern from a model or a log is compiled).
ERROR_MARKERS = ("::error", "##[error]", "Error:", "ERROR", "FAILED", "FAIL:", "Traceback (most recent call last)",
                 "error:", "panic:", "fatal:", "exit code", "AssertionError")
Mask = Callable[[str], str]  # a row's text with its secrets masked


@dataclass(frozen=True)
class LogLine:
    number: int
    stamp: str  # "YYYY-MM-DDTHH:MM:SS" of the row, "" when the row has none
    text: str


def parse_row(number: int, raw: bytes, mask: Mask = str) -> LogLine:
    """One stored row: its timestamp taken off, secrets masked in the whole row, then cut to LINE_CHARS
    (masking first: a secret straddling the cut would otherwise leave its unmasked start)."""
    stamp = ROW_STAMP.match(raw)
    content = raw[stamp.end():] if stamp else raw
    text = mask(ANSI_CODES.sub("", content.rstrip(b"\r").decode("utf-8", errors="replace")))
    if len(text) > LINE_CHARS:
        text = text[:LINE_CHARS] + f" [... line cut at {LINE_CHARS} characters]"
    return LogLine(number, stamp.group(1).decode() if stamp else "", text)


class RowSplitter:
    """Rows out of streamed chunks in linear time: each byte is scanned once, and a row longer than ROW_BYTES
    is given out cut there while the rest of it is skipped up to its newline (a log without newlines
    cannot grow the buffer, nor make each chunk re-scan it)."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.skipping = False  # inside a row already given out cut

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            if not self.skipping:
                self.pending += chunk[start:end]
                yield bytes(self.pending[:ROW_BYTES])
            self.pending.clear()
            self.skipping, start = False, end + 1
        yield from self.hold(chunk[start:])

    def hold(self, tail: bytes) -> Iterator[bytes]:
        """Keep a row's start until its newline comes; give it out cut once it passes ROW_BYTES."""
        if self.skipping:
            return
        self.pending += tail
        if len(self.pending) > ROW_BYTES:
            yield bytes(self.pending[:ROW_BYTES])
            self.pending.clear()
            self.skipping = True

    def rest(self) -> bytes:
        return bytes(self.pending)


def log_lines(chunks: Iterable[bytes], mask: Mask = str) -> Iterator[LogLine]:
    """Rows of a streamed log, numbered from 1, as soon as each is complete; `mask` hides secrets in each."""
    rows, number = RowSplitter(), 0
    for chunk in chunks:
        for raw in rows.feed(chunk):
            number += 1
            yield parse_row(number, raw, mask)
    if rest := rows.rest():
        yield parse_row(number + 1, rest, mask)


class StepClock:
    """Which step a line belongs to, from the steps' start and end times."""

    def __init__(self, steps: Iterable[Mapping[str, Any]]) -> None:
        ran = [s for s in steps if stamp_of(s.get("started_at")) > ZERO_TIME]
        self.starts = sorted((stamp_of(s.get("started_at")), str(s.get("name") or "")) for s in ran)
        ends = [stamp_of(s.get("completed_at")) for s in ran]
        self.last_end = max(ends, default="")

    def step_of(self, line: LogLine) -> str | None:
        if not self.starts or not line.stamp:
            return None
        if line.stamp < self.starts[0][0]:
            return SET_UP
        if self.last_end > ZERO_TIME and line.stamp > self.last_end:
            return COMPLETE
        return next(name for start, name in reversed(self.starts) if start <= line.stamp)


def stamp_of(value: Any) -> str:
    return value[:19] if isinstance(value, str) else ""


@dataclass
class Shown:
    """The lines an answer shows, their steps, and what stopped the reading."""

    lines: list[LogLine] = field(default_factory=list)
    complete: bool = False  # the log was read to its end
    total: int = 0  # lines read
    cut: str | None = None  # why fewer lines are shown than were asked for


def render_lines(lines: list[LogLine], clock: StepClock) -> tuple[str, list[dict[str, Any]]]:
    """The lines as `N: text`, a `--- step: name ---` header where the step changes, `--` at a gap."""
    out: list[str] = []
    sections: list[dict[str, Any]] = []
    previous: LogLine | None = None
    for line in lines:
        step = clock.step_of(line)
        if previous is not None and line.number != previous.number + 1:
            out.append("--")
        if step is not None and (not sections or sections[-1]["step"] != step or out[-1:] == ["--"]):
            out.append(f"--- step: {step} ---")
            sections.append({"step": step, "first_line": line.number, "last_line": line.number})
        elif sections and step is not None:
            sections[-1]["last_line"] = line.number
        out.append(f"{line.number}: {line.text}")
        previous = line
    return "\n".join(out), sections


def cost(line: LogLine) -> int:
    """Characters a line takes in the answer (number, colon, space, text, newline)."""
    return len(str(line.number)) + len(line.text) + 3


def read_tail(lines: Iterable[LogLine], count: int, chars: int) -> Shown:
    """The last `count` lines (fewer if they do not fit in `chars`); the whole log is read, only these kept."""
    kept: deque[LogLine] = deque(maxlen=count)
    shown = Shown()
    for line in lines:
        kept.append(line)
        shown.total = line.number
    shown.complete = True
    shown.lines = fitting_end(list(kept), chars)
    if len(shown.lines) < len(kept):
        shown.cut = f"only the last {len(shown.lines)} of the {count} asked lines fit in {chars} characters"
    return shown


def fitting_end(lines: list[LogLine], chars: int) -> list[LogLine]:
    """The longest end of `lines` within `chars`."""
    used, start = 0, len(lines)
    while start > 0 and used + cost(lines[start - 1]) <= chars:
        start -= 1
        used += cost(lines[start])
    return lines[start:]


def fitting_start(lines: list[LogLine], chars: int) -> list[LogLine]:
    """The longest start of `lines` within `chars`."""
    kept, used = [], 0
    for line in lines:
        used += cost(line)
        if used > chars:
            break
        kept.append(line)
    return kept


def read_window(lines: Iterable[LogLine], start: int, end: int | None, chars: int) -> Shown:
    """Lines start..end (end None: to the end), stopping at the end line or when `chars` are used."""
    shown, used = Shown(complete=True), 0
    for line in lines:
        shown.total = line.number
        if line.number < start:
            continue
        if end is not None and line.number > end:
            shown.complete = False
            break
        if used + cost(line) > chars:
            shown.complete, shown.cut = False, f"cut at {chars} characters"
            break
        used += cost(line)
        shown.lines.append(line)
    return shown


def read_grep(lines: Iterable[LogLine], needle: str, context: int, chars: int) -> tuple[Shown, int]:
    """Lines holding `needle` (a literal, case-insensitive: linear time whatever it is) with `context` lines
    around each; stops reading once the shown lines fill `chars`. Second: matches found in what was read."""
    wanted = needle.casefold()
    before: deque[LogLine] = deque(maxlen=context)
    shown, used, matches, after = Shown(complete=True), 0, 0, 0
    for line in lines:
        shown.total = line.number
        hit = wanted in line.text.casefold()
        if not hit and after == 0:
            before.append(line)
            continue
        matches += hit
        picked = [*before, line]
        before.clear()
        after = context if hit else after - 1
        if used + sum(cost(item) for item in picked) > chars:
            shown.complete, shown.cut = False, f"cut at {chars} characters after line {shown.lines[-1].number}" \
                if shown.lines else f"cut at {chars} characters"
            matches -= hit
            break
        used += sum(cost(item) for item in picked)
        shown.lines += picked
    return shown, matches


def is_error(line: LogLine) -> bool:
    return any(marker in line.text for marker in ERROR_MARKERS)


def read_first_error(lines: Iterable[LogLine], clock: StepClock, step: str | None, before: int,
                     after: int) -> tuple[Shown, int | None]:
    """Around the first error marker in `step` (any step when None): `before` lines ahead of it and `after`
    following; without a marker, the step's last lines. Reading stops when the answer is complete."""
    ahead: deque[LogLine] = deque(maxlen=before + after)
    shown, found = Shown(complete=True), None
    for line in lines:
        shown.total = line.number
        inside = step is None or clock.step_of(line) == step
        if found is None and inside and is_error(line):
            found = line.number
            ahead = deque(list(ahead)[-before:] if before else [], maxlen=before + after + 1)
        if found is None and not inside and ahead and step is not None:
            shown.complete = False
            break  # past the failed step without a marker: its last lines are in `ahead`
        if inside or found is not None:
            ahead.append(line)
        if found is not None and line.number >= found + after:
            shown.complete = False
            break
    shown.lines = list(ahead)
    return shown, found
