"""Prompt-injection hardening for repository text handed to an AI client.

Repository content is untrusted data. What a human reviewer cannot see on the Gitea
page must not reach the model either: invisible and bidi-control characters, Unicode
tag characters (an ASCII copy that renders as nothing), and in markdown HTML comments and
link reference definitions no link uses (the `[//]: # (...)` comment idiom). No text may
carry a tag that reads as our `<untrusted>` fence. Every text field is bounded, and
structured output says whose words it carries.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

# Invisible characters: C0/C1 controls except tab, line feed and carriage return; the
# format (Cf) characters that render as nothing (soft hyphen, zero-width space/joiners,
# LRM/RLM, bidi embeddings, overrides and isolates U+202A-202E / U+2066-2069, word
# joiner and invisible operators, BOM, interlinear annotations, Unicode tags
# U+E0000-E007F); the combining grapheme joiner, Hangul fillers and variation selectors
# (both ranges carry hidden bytes in "emoji smuggling"). Visible Cf characters
# (Arabic number signs, U+0600-0605, U+06DD, U+08E2) are kept.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]+"
)
# ASCII text can hold only the C0 controls and DEL: deleted bytewise, ten times faster than a regex.
_ASCII_INVISIBLE = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])

_COMMENT_OPEN = "<!--"
_COMMENT_CLOSE = "-->"
_DEFINITION_MARK = "]:"  # every link reference definition has it: `[label]:`
# What can hide or protect a comment: an opening, a fenced code block, an inline code span, the start of a
# link reference definition (after any indentation, block-quote markers and list-item markers).
_MARKDOWN_TOKEN = re.compile(
    r"<!--|^[ ]{0,3}+(?P<fence>`{3,}+|~{3,}+)|(?P<ticks>`++)"
    r"|(?P<definition>^[ \t>]*+(?:(?:[-+*]|[0-9]{1,9}[.)])[ \t]++[ \t>]*+)*+\[)",
    re.MULTILINE,
)
_TICK_RUN = re.compile(r"`++")
_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")  # a code span cannot cross one: it ends the paragraph
# A CommonMark link reference definition, from its `[`
# (https://spec.commonmark.org/0.31.2/#link-reference-definitions): a label, `:`, a destination, an
# optional title ("", '' or (); it may span lines but not a blank one), then nothing else on the line.
# Destinations are not checked for balanced parentheses: a near-definition is dropped rather than a real
# one kept. Definitions that continue a paragraph (which CommonMark shows as text) are dropped too.
_NOT_BLANK = r"\n(?![ \t]*+(?:\n|$))"  # a line ending that does not start a blank line
_TITLE = "|".join(rf"{o}(?:[^{c}\\\n]|\\[\s\S]|{_NOT_BLANK})*+{c}" for o, c in (('"', '"'), ("'", "'"), (r"\(", r"\)")))
_LINK_DEFINITION = re.compile(
    rf"\[(?P<label>(?:[^\\\[\]\n]|\\[^\n]|{_NOT_BLANK})*+)\]:"  # label
    r"[ \t]*+(?:\n[ \t>]*+)?(?:<(?:[^<>\n\\]|\\.)*+>|[^\s<]\S*+)"  # destination
    rf"(?:(?:[ \t]++|[ \t]*+\n[ \t>]*+)(?:{_TITLE}))?[ \t]*+(?:\n|\Z)"  # title, end of line
)
_LINK_LABEL = re.compile(r"\[((?:[^\\\[\]]|\\.)*+)\]")  # any bracketed text: where a link may use a label

# Our fence tag, `<untrusted` or `</untrusted`, and what a model may read as one: spaces, slashes or
# backslashes after the `<`, any case, and compatibility forms (NFKC: fullwidth and small-form brackets,
# mathematical letters) or common look-alikes of its characters.
_ASCII_FENCE_TAG = re.compile(r"<(?=[\s/\\]*+untrusted)", re.IGNORECASE)
_OPENER_LIKE = "<\ufe64\uff1c\u2039\u02c2\u1438\u2329\u3008\u27e8\u276c\u276e"
_FOLDED_FENCE_TAG = re.compile(r"<(?=[\s/\\\u2800]*+untrusted)")  # in folded text, where look-alikes are gone
_LETTER_LIKE = {
    "\u0443": "u", "\u03c5": "u", "\u057d": "u", "\u1d1c": "u", "\u0578": "n", "\u043f": "n", "\u0442": "t",
    "\u0433": "r", "\u0455": "s", "\u0435": "e", "\u0450": "e", "\u0451": "e", "\u0501": "d",
}  # fmt: skip
_LETTER_LIKE_CHARACTER = re.compile(f"[{''.join(_LETTER_LIKE)}]")
_LOOK_ALIKES = str.maketrans({
    **dict.fromkeys(_OPENER_LIKE, "<"), **_LETTER_LIKE,
    "\u2215": "/", "\u2044": "/", "\u29f8": "/", "\u2571": "/", "\u29f9": "\\",
})  # fmt: skip

DEFAULT_TRUNCATION_HINT = "ask for a smaller part (a line range, a path or the next page) to read the rest"


def strip_invisible(text: str) -> str:
    """Remove characters that render as nothing but still reach the model."""
    if text.isascii():
        return text.encode("ascii").translate(None, _ASCII_INVISIBLE).decode("ascii")
    return _INVISIBLE.sub("", text)


def escape_fence_tags(text: str) -> str:
    """Turn the `<` of anything that reads as an `<untrusted` or `</untrusted` tag into `&lt;`, so no
    text can close (or open) the fence the tool core puts around repository text."""
    if text.isascii():
        return text if "<" not in text else _ASCII_FENCE_TAG.sub("&lt;", text)
    if not any(opener in text for opener in _OPENER_LIKE) or not _names_the_fence(text):  # `in`: 3x a regex
        return text
    # Fold character by character, remembering where each folded character came from.
    folded, origin = [], []
    for index, character in enumerate(text):
        form = _folded_character(character)
        folded.append(form)
        origin += [index] * len(form)
    starts = {origin[tag.start()] for tag in _FOLDED_FENCE_TAG.finditer("".join(folded))}
    return "".join("&lt;" if index in starts else character for index, character in enumerate(text))


def _names_the_fence(text: str) -> bool:
    """Whether "untrusted" occurs in any spelling (the look-alike table is slow: used only when needed)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if "untrusted" in folded:
        return True
    return _LETTER_LIKE_CHARACTER.search(folded) is not None and "untrusted" in folded.translate(_LOOK_ALIKES)


def _folded(text: str) -> str:
    """Look-alikes, compatibility forms (NFKC) and case folded to what a reader takes them for."""
    return unicodedata.normalize("NFKC", text.translate(_LOOK_ALIKES)).casefold()


_folded_character = functools.lru_cache(maxsize=4096)(_folded)  # texts repeat few distinct characters


def model_text(text: str) -> str:
    """A text as the model may read it: invisible characters out, then fence tags escaped.

    Runs on every string of every tool result, so the common case (ASCII) is inlined."""
    if text.isascii():
        text = text.encode("ascii").translate(None, _ASCII_INVISIBLE).decode("ascii")
        return text if "<" not in text else _ASCII_FENCE_TAG.sub("&lt;", text)
    return escape_fence_tags(_INVISIBLE.sub("", text))


def drop_html_comments(markdown: str) -> str:
    """Remove `<!-- ... -->` (hidden on the rendered page), keeping those shown as code."""
    if _COMMENT_OPEN not in markdown:
        return markdown
    return _HiddenMarkdown(markdown, definitions=False).without()


def drop_hidden_markdown(markdown: str) -> str:
    """Remove what Gitea renders as nothing: HTML comments, and link reference definitions that no link
    uses (`[//]: # (note)`, `[comment]: <> (note)`: the markdown "comment" idioms). Code keeps both."""
    if _COMMENT_OPEN not in markdown and _DEFINITION_MARK not in markdown:
        return markdown
    return _HiddenMarkdown(markdown, definitions=True).without()


class _HiddenMarkdown:
    """One left-to-right pass over markdown finding what renders as nothing; each stretch is searched once."""

    def __init__(self, markdown: str, *, definitions: bool) -> None:
        self.text = markdown
        self.definitions = definitions
        self.comments: list[tuple[int, int]] = []  # spans of the text to leave out
        self.labelled: list[tuple[int, int, str]] = []  # link reference definitions: span and label
        self._tick_runs: dict[int, list[int]] | None = None  # run length -> start offsets
        self._blank_lines: list[int] | None = None

    def without(self) -> str:
        """The text without every comment, and every definition no link uses, outside code."""
        position = 0
        while (token := _MARKDOWN_TOKEN.search(self.text, position)) is not None:
            position = self._skip(token)
        return _cut(self.text, sorted(self.comments + self._unused_definitions()))

    def _unused_definitions(self) -> list[tuple[int, int]]:
        """A definition renders nothing; it only gives a link its target. Kept when some link may use it."""
        if not self.labelled:
            return []
        rest = _cut(self.text, sorted(self.comments + [(start, end) for start, end, _ in self.labelled]))
        used = {_label_key(label) for label in _LINK_LABEL.findall(rest)}
        return [(start, end) for start, end, label in self.labelled if _label_key(label) not in used]

    def _skip(self, token: re.Match[str]) -> int:
        """Handle one token; return where scanning resumes."""
        if token.group("fence"):
            return self._fence_end(token)
        if token.group("ticks"):
            return self._code_span_end(token)
        if token.group("definition") is not None:
            return self._definition_end(token)
        end = self.text.find(_COMMENT_CLOSE, token.end())
        # An unclosed comment hides the rest of the document when rendered.
        end = len(self.text) if end < 0 else end + len(_COMMENT_CLOSE)
        self.comments.append((token.start(), end))
        return end

    def _definition_end(self, token: re.Match[str]) -> int:
        """A link reference definition is noted with its label (the whole line, container markers too)."""
        found = _LINK_DEFINITION.match(self.text, token.end() - 1) if self.definitions else None
        if found is None or not found["label"].strip():
            return token.end()
        self.labelled.append((token.start(), found.end(), found["label"]))
        return found.end()

    def _fence_end(self, token: re.Match[str]) -> int:
        """A fenced code block runs to a closing fence of the same kind, or the end."""
        fence = token.group("fence")
        closing = re.compile(rf"^[ ]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        line_end = self.text.find("\n", token.end())
        if line_end < 0:
            return len(self.text)
        found = closing.search(self.text, line_end + 1)
        return found.end() if found else len(self.text)

    def _code_span_end(self, token: re.Match[str]) -> int:
        """An inline code span closes at the next backtick run of the same length in its paragraph."""
        starts = self._runs_of(len(token.group("ticks")))
        # Binary search over runs found once: a hostile mix of run lengths stays fast.
        index = bisect.bisect_right(starts, token.start())
        if index == len(starts) or self._blank_line_between(token.start(), starts[index]):
            return token.end()  # no closer: the backticks are literal text
        return starts[index] + len(token.group("ticks"))

    def _blank_line_between(self, start: int, end: int) -> bool:
        if self._blank_lines is None:
            self._blank_lines = [line.start() for line in _BLANK_LINE.finditer(self.text)]
        index = bisect.bisect_right(self._blank_lines, start)
        return index < len(self._blank_lines) and self._blank_lines[index] < end

    def _runs_of(self, width: int) -> list[int]:
        """Start offsets of every backtick run of exactly `width` characters."""
        if self._tick_runs is None:
            self._tick_runs = {}
            for run in _TICK_RUN.finditer(self.text):
                self._tick_runs.setdefault(len(run.group()), []).append(run.start())
        return self._tick_runs.get(width, [])


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """The text without the given spans (sorted, not overlapping)."""
    parts, kept_from = [], 0
    for start, end in spans:
        parts.append(text[kept_from:start])
        kept_from = end
    parts.append(text[kept_from:])
    return "".join(parts)


def _label_key(label: str) -> str:
    """CommonMark matches labels case-folded, with runs of whitespace as one space."""
    return " ".join(label.split()).casefold()


def bound_text(text: str, max_chars: int, hint: str = DEFAULT_TRUNCATION_HINT) -> tuple[str, bool]:
    """Cut `text` to at most `max_chars` characters, saying how much was cut and why."""
    if len(text) <= max_chars:
        return text, False
    if len(truncation_marker(len(text), len(text), hint)) > max_chars // 2:
        hint = "ask for less to read the rest"  # a tiny budget: keep text, not advice
    kept = max_chars
    for _ in range(3):  # the marker's length depends on the count it reports
        kept = max(0, max_chars - len(truncation_marker(len(text) - kept, len(text), hint)))
    return text[:kept] + truncation_marker(len(text) - kept, len(text), hint), True


def truncation_marker(cut: int, total: int, hint: str = DEFAULT_TRUNCATION_HINT) -> str:
    """The note that ends a cut text."""
    return f"\n[truncated: {cut} of {total} characters not shown; {hint}]"
