"""Prompt-injection hardening for repository text handed to an AI client.

Repository content is untrusted data. What a human reviewer cannot see on the Gitea
page must not reach the model either: invisible and bidi-control characters, Unicode
tag characters (an ASCII copy that renders as nothing), and HTML comments in markdown.
Every text field is bounded, and structured output says whose words it carries.
"""

from __future__ import annotations

import bisect
import re

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
# What can hide or protect a comment: an opening, a fenced code block, an inline code span.
_MARKDOWN_TOKEN = re.compile(r"<!--|^[ ]{0,3}+(?P<fence>`{3,}+|~{3,}+)|(?P<ticks>`++)", re.MULTILINE)
_TICK_RUN = re.compile(r"`++")

DEFAULT_TRUNCATION_HINT = "ask for a smaller part (a line range, a path or the next page) to read the rest"


def strip_invisible(text: str) -> str:
    """Remove characters that render as nothing but still reach the model."""
    if text.isascii():
        return text.encode("ascii").translate(None, _ASCII_INVISIBLE).decode("ascii")
    return _INVISIBLE.sub("", text)


def drop_html_comments(markdown: str) -> str:
    """Remove `<!-- ... -->` (hidden on the rendered page), keeping those shown as code."""
    if _COMMENT_OPEN not in markdown:
        return markdown
    return _CommentStripper(markdown).run()


class _CommentStripper:
    """One left-to-right pass over markdown; each stretch of text is searched once."""

    def __init__(self, markdown: str) -> None:
        self.text = markdown
        self.parts: list[str] = []
        self.kept_from = 0  # start of the text not yet copied to parts
        self._tick_runs: dict[int, list[int]] | None = None  # run length -> start offsets

    def run(self) -> str:
        """Copy the text, leaving out every comment outside code."""
        position = 0
        while (token := _MARKDOWN_TOKEN.search(self.text, position)) is not None:
            position = self._skip(token)
        self.parts.append(self.text[self.kept_from :])
        return "".join(self.parts)

    def _skip(self, token: re.Match[str]) -> int:
        """Handle one token; return where scanning resumes."""
        if token.group("fence"):
            return self._fence_end(token)
        if token.group("ticks"):
            return self._code_span_end(token)
        end = self.text.find(_COMMENT_CLOSE, token.end())
        # An unclosed comment hides the rest of the document when rendered.
        end = len(self.text) if end < 0 else end + len(_COMMENT_CLOSE)
        self.parts.append(self.text[self.kept_from : token.start()])
        self.kept_from = end
        return end

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
        """An inline code span closes at the next backtick run of the same length."""
        starts = self._runs_of(len(token.group("ticks")))
        # Binary search over runs found once: a hostile mix of run lengths stays fast.
        index = bisect.bisect_right(starts, token.start())
        if index == len(starts):
            return token.end()  # no closer: the backticks are literal text
        return starts[index] + len(token.group("ticks"))

    def _runs_of(self, width: int) -> list[int]:
        """Start offsets of every backtick run of exactly `width` characters."""
        if self._tick_runs is None:
            self._tick_runs = {}
            for run in _TICK_RUN.finditer(self.text):
                self._tick_runs.setdefault(len(run.group()), []).append(run.start())
        return self._tick_runs.get(width, [])


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
