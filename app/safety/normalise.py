"""What a reader of Gitea's rendered page sees of a Markdown text, for the inbound secret check.

A token split by something the page does not show (`ghp_A1b2<!-- x -->C3d4…`, a zero-width space,
an empty `<b></b>`, a `\\_` escape, `&#95;`, emphasis markers) reaches the reader whole, while the raw
text holds no token. The inbound check scans this rendered view as well as the raw text.
"""

from __future__ import annotations

import html
import re

from app.safety.secrets import default_scanner
from app.safety.text import drop_hidden_markdown, strip_invisible

# An HTML tag as the renderer drops it from the visible text (the sanitiser keeps or removes it,
# neither shows its markup).
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,31}+(?:[ \t\n/][^<>]{0,1024}+)?>")
# A backslash escape shows only the punctuation it escapes.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Emphasis, strike-through and code-span markers show as styling, not as characters.
_MARKERS = str.maketrans("", "", "*~`")
_RENDERED_SYNTAX = ("<", "&", "\\", "[", "*", "~", "`")


def rendered(text: str) -> str:
    """The text as the rendered page shows it: hidden comments, tags, escapes and invisible characters gone.

    A text with none of the syntax above is returned as it is."""
    if text.isascii() and not any(mark in text for mark in _RENDERED_SYNTAX):
        return strip_invisible(text)
    shown = _TAG.sub("", drop_hidden_markdown(strip_invisible(text)))  # the same rule as tool output
    shown = html.unescape(_ESCAPE.sub(r"\1", shown)) if ("\\" in shown or "&" in shown) else shown
    return strip_invisible(shown.translate(_MARKERS))


def revealed(text: str) -> str:
    """`text`, or its rendered view when that carries a secret: what a log may keep once masked.

    Masking the text as sent would leave both halves of a token split by a comment readable."""
    shown = rendered(text)
    return shown if shown != text and default_scanner().find(shown) else text
