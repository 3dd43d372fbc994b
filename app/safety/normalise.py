"""What a reader of Gitea's rendered page sees of a Markdown text, for the inbound secret check.

A token split by something the page does not show (`ghp_A1b2<!-- x -->C3d4…`, a zero-width space,
an empty `<b></b>` or `[](https://x)`, a `<?x?>`, a `\\_` escape, `&#95;`, emphasis markers) reaches the
reader whole, while the raw text holds no token. The inbound check scans this view as well as the raw
text.

The view is built with linear passes of patterns, over-removing rather than under: every comment (also
`<!-->` and an unclosed one), every tag (quoted attribute values may hold `>`), processing instruction,
declaration and CDATA section, the content of the elements Gitea's sanitiser skips (script, style,
title, ...), link and image syntax (their text stays), backslash escapes, character references and
emphasis markers. A CommonMark parser (markdown-it-py) was tried: it read these the way goldmark does,
but at 2-17 microseconds a character a 64 KB body cost up to a second of CPU per write, and the only
question asked here is whether hidden syntax joins a secret, which removing more answers safely.
"""

from __future__ import annotations

import html
import re

from app.safety.secrets import default_scanner
from app.safety.text import drop_hidden_markdown, strip_invisible

# The elements whose content Gitea's sanitiser (bluemonday's default skip list) leaves out of the page.
_SKIPPED_CONTENT = frozenset(
    {"frame", "frameset", "iframe", "noembed", "noframes", "noscript", "nostyle", "object", "script", "style", "title"}
)
# Emphasis, strike-through and code-span markers show as styling, not as characters.
_MARKERS = str.maketrans("", "", "*~`")
_RENDERED_SYNTAX = ("<", "&", "\\", "[", "*", "~", "`")

# `<!-->` and `<!--->` are whole (empty) comments to CommonMark 0.31 and browsers; other comments outside
# code are dropped by drop_hidden_markdown, and an unclosed one hides what follows rather than joining it.
_EMPTY_COMMENT = re.compile(r"<!---?>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Link and image syntax: `[text](destination)`, `[text][label]`, `[text]`, `![alt](src)` show their text.
_LINK = re.compile(r"!?+\[([^\[\]\n]{0,1000}+)\](?:\([^()\n]{0,2000}+\)|\[[^\[\]\n]{0,1000}+\])?+")


def rendered(text: str) -> str:
    """The text as the rendered page shows it (or less): hidden syntax gone, invisible characters gone.

    A text with none of the syntax that can hide characters is returned as it is."""
    if text.isascii() and not any(mark in text for mark in _RENDERED_SYNTAX):
        return strip_invisible(text)
    shown = drop_hidden_markdown(_EMPTY_COMMENT.sub("", strip_invisible(text)))
    shown = _page_text(_LINK.sub(r"\1", shown))
    shown = _ESCAPE.sub(r"\1", shown) if "\\" in shown else shown
    return strip_invisible(shown.translate(_MARKERS))


def revealed(text: str) -> str:
    """`text`, or its rendered view when that carries a secret: what a log may keep once masked.

    Masking the text as sent would leave both halves of a token split by a comment readable."""
    shown = rendered(text)
    return shown if shown != text and default_scanner().find(shown) else text


# A tag, processing instruction, declaration or CDATA section (a `<` that starts none of these is text).
# Quoted attribute values may hold `>`. Possessive: linear.
_MARKUP = re.compile(
    r"""<(?:(?P<close>/)?+(?P<name>[A-Za-z][A-Za-z0-9-]*+)(?:[^<>"']++|"[^"]*+"|'[^']*+')*+|[?!][^>]*+)>"""
)


def _page_text(markup: str) -> str:
    """What the page shows of HTML in the text: tags and attributes gone, the content of skipped elements
    gone, character references decoded.

    One pass with patterns rather than html.parser: before Python 3.11.13 html.parser is quadratic on
    unclosed tags and comments (200 KB of `<div>` then `<a ` took 37 s)."""
    parts, position, skipping = [], 0, ""
    for tag in _MARKUP.finditer(markup):
        if not skipping:
            parts.append(markup[position : tag.start()])
        position = tag.end()
        name = (tag["name"] or "").lower()
        if not skipping and name in _SKIPPED_CONTENT and not tag["close"] and not tag.group().endswith("/>"):
            skipping = name
        elif skipping and name == skipping and tag["close"]:
            skipping = ""
    if not skipping:
        parts.append(markup[position:])
    joined = "".join(parts)
    return html.unescape(joined) if "&" in joined else joined
