"""What a reader of Gitea's rendered page sees of a Markdown text, for the inbound secret check.

A token split by something the page does not show (`ghp_A1b2<!-- x -->C3d4…`, a zero-width space,
an empty `<b></b>` or `[](https://x)`, a `\\_` escape, `&#95;`, emphasis markers) reaches the reader
whole, while the raw text holds no token. The inbound check scans this rendered view as well as the raw
text.

The view is computed the way Gitea computes the page, not guessed with patterns: a CommonMark parser
(markdown-it-py; Gitea uses goldmark, CommonMark + GFM) renders HTML, then the HTML's text content is
taken (one linear pass) as Gitea's sanitiser leaves it: tags and attributes show nothing, the text inside a dropped tag
still shows, and the content of the elements the sanitiser skips (script, style, title ...) does not.

Cost: markdown-it-py is pure Python, linear but 2-17 microseconds per character (17 on a body of
`![` pairs). Only the first PARSED_LIMIT characters are parsed, which covers every issue, pull request
and comment body (their schema limit is 65535); a longer text (a file's content) gets the cheaper
pattern view of the rest (comments, tags, escapes, entities, emphasis markers).
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

from app.safety.secrets import default_scanner
from app.safety.text import drop_hidden_markdown, strip_invisible

# CommonMark with raw HTML, plus the GFM extensions that change what shows (tables, strike-through).
# Linkify is off: it only turns visible text into links, the text still shows.
_MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
PARSED_LIMIT = 65536
# The elements whose content Gitea's sanitiser (bluemonday's default skip list) leaves out of the page.
_SKIPPED_CONTENT = frozenset(
    {"frame", "frameset", "iframe", "noembed", "noframes", "noscript", "nostyle", "object", "script", "style", "title"}
)
# Emphasis, strike-through and code-span markers: the parser turns those it recognises into styling; the
# rest are removed too, so a parser that reads a delimiter run differently from goldmark cannot hide a join.
_MARKERS = str.maketrans("", "", "*~`")
_RENDERED_SYNTAX = ("<", "&", "\\", "[", "*", "~", "`")

# The pattern view, for the part of a long text past PARSED_LIMIT: an HTML tag, a backslash escape.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,31}+(?:[ \t\n/][^<>]{0,1024}+)?>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def rendered(text: str) -> str:
    """The text as the rendered page shows it: its HTML's text content, invisible characters gone.

    A text with none of the syntax that can hide characters is returned as it is."""
    if text.isascii() and not any(mark in text for mark in _RENDERED_SYNTAX):
        return strip_invisible(text)
    head, tail = _split(text)
    shown = _page_text(_MARKDOWN.render(head))
    if tail:
        shown += _pattern_view(tail)
    return strip_invisible(shown.translate(_MARKERS))


def revealed(text: str) -> str:
    """`text`, or its rendered view when that carries a secret: what a log may keep once masked.

    Masking the text as sent would leave both halves of a token split by a comment readable."""
    shown = rendered(text)
    return shown if shown != text and default_scanner().find(shown) else text


def _split(text: str) -> tuple[str, str]:
    """The part to parse (at most PARSED_LIMIT characters, ending at a blank line when one is near) and the rest."""
    if len(text) <= PARSED_LIMIT:
        return text, ""
    cut = text.rfind("\n\n", PARSED_LIMIT // 2, PARSED_LIMIT)
    cut = PARSED_LIMIT if cut < 0 else cut + 2
    return text[:cut], text[cut:]


# A tag, processing instruction, declaration or CDATA section of the rendered HTML (the renderer escapes
# every `<` of text, so each `<` here is markup). Quoted attribute values may hold `>`. Possessive: linear.
_MARKUP = re.compile(
    r"""<(?:(?P<close>/)?+(?P<name>[A-Za-z][A-Za-z0-9-]*+)(?:[^<>"']++|"[^"]*+"|'[^']*+')*+|[?!][^>]*+)>"""
)


def _page_text(markup: str) -> str:
    """What the page shows of rendered HTML: tags and attributes gone, the content of skipped elements
    gone, character references decoded, no block separators at either end.

    One pass with patterns rather than html.parser: before Python 3.11.13 html.parser is quadratic on
    unclosed tags and comments (200 KB of `<div>` then `<a ` took 37 s)."""
    markup = _without_comments(markup)
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
    return html.unescape("".join(parts)).strip("\n")


def _without_comments(markup: str) -> str:
    """HTML comments removed as a browser reads them (`<!-->` and `<!--->` are empty comments, an unclosed
    one runs to the end), in one pass."""
    if "<!--" not in markup:
        return markup
    parts, position = [], 0
    while (start := markup.find("<!--", position)) >= 0:
        parts.append(markup[position:start])
        if markup.startswith(">", start + 4) or markup.startswith("->", start + 4):
            position = markup.find(">", start + 4) + 1
        else:
            end = markup.find("-->", start + 4)
            position = len(markup) if end < 0 else end + 3
    parts.append(markup[position:])
    return "".join(parts)


def _pattern_view(text: str) -> str:
    """A cheap approximation for text past the parsed part: comments, unused definitions, tags, escapes
    and entities removed."""
    shown = _TAG.sub("", drop_hidden_markdown(strip_invisible(text)))
    return html.unescape(_ESCAPE.sub(r"\1", shown)) if ("\\" in shown or "&" in shown) else shown
