"""Where a scanner's anchor literals occur in a text: one Aho-Corasick pass, overlapping occurrences included."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ahocorasick_rs import MATCHKIND_LEFTMOST_LONGEST, BytesAhoCorasick

# Stretch of text searched in one call (a call costs ~12 us of setup).
CHUNK = 64 * 1024
# Occurrences a short text may hold whatever its size before it counts as saturated.
_FEW = 16
# (literal number, its offset in the reported literal, the literal itself if it runs past the reported one's end)
Partner = tuple[int, int, str | None]


class AnchorLocator:
    """Finds every occurrence of some lower-case ASCII literals in a lower-cased text.

    One pass of ahocorasick-rs (a binding of the Rust aho-corasick crate) over the text's bytes, in
    leftmost-longest mode: the mode in which it runs its SIMD prefilter (~5x faster than reporting
    overlapping occurrences). That mode skips the occurrences that start inside a reported one; a table
    built once adds them back: a literal lying wholly inside the reported one (`sk-` in `sk-ant-`) is there
    by construction, one running past its end (`xox` at 2 in `xoxox`) is checked in the text.
    """

    def __init__(self, literals: Sequence[str]) -> None:
        if any(not literal.isascii() or literal != literal.lower() for literal in literals):
            raise ValueError("anchor literals must be lower-case ASCII")
        self.literals = tuple(literals)
        encoded = [literal.encode("ascii") for literal in self.literals]
        self._automaton = BytesAhoCorasick(encoded, matchkind=MATCHKIND_LEFTMOST_LONGEST)
        self._partners = [_partners(literal, self.literals) for literal in self.literals]
        self._longest = max(map(len, self.literals))

    def occurrences(self, lowered: str, density: int) -> list[tuple[int, int]] | None:
        """(literal number, start) of every occurrence, by start; None if some stretch of the text holds more than
        one in `density` characters (hostile input such as `ghp_ghp_…`: there every pattern searches the whole text).

        Non-ASCII characters become one `?` byte each, so byte offsets are character offsets. The text is read in
        CHUNK-sized stretches, so that a saturated one is noticed before its occurrences are all listed."""
        encoded = memoryview(lowered.encode("ascii", "replace"))
        found: list[tuple[int, int]] = []
        for offset in range(0, len(encoded), CHUNK):
            stretch = encoded[offset : offset + CHUNK + self._longest - 1]  # a literal may cross the chunk's end
            reported = self._automaton.find_matches_as_indexes(stretch)
            if len(reported) > min(len(stretch), CHUNK) // density + _FEW:
                return None
            self._add(found, lowered, reported, offset)
        return found

    def _add(self, found: list[tuple[int, int]], lowered: str, reported: list[tuple[int, int, int]],
             offset: int) -> None:  # fmt: skip
        """Append the occurrences reported in the chunk at `offset` (those starting in it) and their partners."""
        for number, relative, _end in reported:
            if relative >= CHUNK:
                return  # in the next chunk's overlap: reported there
            start = offset + relative
            found.append((number, start))
            for other, shift, runs_past in self._partners[number]:
                if runs_past is None or lowered.startswith(runs_past, start + shift):
                    found.append((other, start + shift))


def _partners(literal: str, literals: Sequence[str]) -> list[Partner]:
    """The literals that can start inside `literal` (after its start, or at it if shorter), by offset."""
    partners: list[Partner] = []
    for offset in range(len(literal)):
        for number, other in enumerate(literals):
            inside = offset + len(other) <= len(literal)
            if (offset, other) == (0, literal) or (offset == 0 and not inside):
                continue  # itself; a longer literal at the same start would have been reported instead
            if inside and literal.startswith(other, offset):
                partners.append((number, offset, None))
            elif not inside and other.startswith(literal[offset:]):
                partners.append((number, offset, other))
    return partners


def matches_at(pattern: re.Pattern[str], subject: str, starts: Sequence[int] | None) -> Iterator[re.Match[str]]:
    """What `pattern.finditer(subject)` gives, trying only at `starts` (sorted; all of them if None).

    Exact when every match starts at one of `starts`: each is tried where finditer would try it (lookbehinds
    still see the text before it), except inside an earlier match, which finditer skips too. (No pattern
    here matches the empty string.)"""
    if starts is None:
        yield from pattern.finditer(subject)
        return
    match_at, end = pattern.match, 0
    for start in starts:
        if start >= end and (match := match_at(subject, start)) is not None:
            end = match.end()
            yield match
