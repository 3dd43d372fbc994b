"""Where a scanner's anchor literals occur in a text: one Aho-Corasick pass, overlapping occurrences included."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ahocorasick_rs import MATCHKIND_LEFTMOST_LONGEST, BytesAhoCorasick

# Stretch of text searched in one call: long, since each call has a fixed cost; short enough that a saturated
# stretch is noticed early.
CHUNK = 64 * 1024
# Occurrences a short text may hold whatever its size before it counts as saturated.
_FEW = 16
# (literal number, its offset in the reported literal, the literal itself if it runs past the reported one's end)
Partner = tuple[int, int, str | None]


class AnchorLocator:
    """Finds every occurrence of some lower-case ASCII literals in a lower-cased text.

    One pass of ahocorasick-rs (a binding of the Rust aho-corasick crate) over the text's bytes, in
    leftmost-longest mode: the mode in which it runs its SIMD prefilter (2-5x faster than reporting
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

    def occurrences(self, lowered: str, density: int) -> dict[int, list[int]] | None:
        """Where the literals occur, by number (those that do); None if some stretch of the text holds more than one
        occurrence in `density` characters (hostile input such as `ghp_ghp_…`: every pattern then searches the
        whole text).

        Non-ASCII characters become one `?` byte each, so byte offsets are character offsets. A long text is read
        in CHUNK-sized stretches, so that a saturated one is noticed before its occurrences are all listed."""
        encoded = lowered.encode("ascii", "replace")
        if len(encoded) <= CHUNK:  # most texts: one call, nothing copied
            reported = self._automaton.find_matches_as_indexes(encoded)
            return self._add(defaultdict(list), lowered, reported, 0, len(encoded) // density) if reported else {}
        found: dict[int, list[int]] = defaultdict(list)
        view = memoryview(encoded)
        for offset in range(0, len(encoded), CHUNK):
            stretch = view[offset : offset + CHUNK + self._longest - 1]  # a literal may cross the chunk's end
            reported = self._automaton.find_matches_as_indexes(stretch)
            if self._add(found, lowered, reported, offset, CHUNK // density) is None:
                return None
        return found

    def _add(self, found: dict[int, list[int]], lowered: str, reported: list[tuple[int, int, int]], offset: int,
             most: int) -> dict[int, list[int]] | None:  # fmt: skip
        """Add the occurrences reported in the chunk at `offset` (those starting in it) and their partners; None if
        there are more than `most` (and a few)."""
        if len(reported) > most + _FEW:
            return None
        partners = self._partners
        for number, relative, _end in reported:
            if relative >= CHUNK:
                break  # in the next chunk's overlap: reported there
            start = offset + relative
            found[number].append(start)
            for other, shift, runs_past in partners[number]:
                if runs_past is None or lowered.startswith(runs_past, start + shift):
                    found[other].append(start + shift)
        return found


class StartFinder:
    """Where each of some patterns, by slot, may start: at the occurrences of its anchors (lower-case literals
    each of its matches starts with), shifted by its offset into them (-1: at the anchor's last character)."""

    def __init__(self, patterns: Sequence[tuple[int, tuple[str, ...], int]]) -> None:
        self._slots = [slot for slot, _, _ in patterns]
        self._locator = AnchorLocator(sorted({anchor for _, anchors, _ in patterns for anchor in anchors}))
        number = {anchor: index for index, anchor in enumerate(self._locator.literals)}
        # For each anchor, by its number: the slots it gives a start to, and the start's offset into the anchor.
        self._targets: list[list[tuple[int, int]]] = [[] for _ in number]
        for slot, anchors, offset in patterns:
            for anchor in anchors:
                self._targets[number[anchor]].append((slot, offset if offset >= 0 else len(anchor) + offset))

    def starts(self, lowered: str, saturated: int, dense: int) -> list[tuple[int, list[int] | None]]:
        """The slots with an anchor in the text, each with the sorted positions to try its pattern at, or None to
        search the whole text: its anchors occur more than once in `dense` characters, or some stretch of the
        text holds more than one anchor in `saturated` (then every slot searches)."""
        occurrences = self._locator.occurrences(lowered, saturated)
        if not occurrences:
            return [] if occurrences is not None else [(slot, None) for slot in self._slots]
        starts: dict[int, list[int]] = {}
        for number, positions in occurrences.items():
            for slot, offset in self._targets[number]:
                shifted = positions if offset == 0 else [position + offset for position in positions]
                starts.setdefault(slot, []).extend(shifted)
        return [(slot, _sorted_unless_dense(positions, len(lowered) // dense)) for slot, positions in starts.items()]


def _sorted_unless_dense(positions: list[int], most: int) -> list[int] | None:
    """The positions sorted (one sorted run per anchor), or None if there are more than `most`."""
    if len(positions) > most:
        return None
    positions.sort()
    return positions


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
