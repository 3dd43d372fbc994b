"""The order that makes the safety steps sound, for one text field of a tool result."""

from __future__ import annotations

from dataclasses import dataclass

from app.safety.secrets import SecretFinding, SecretMode, SecretScanner, default_scanner
from app.safety.text import DEFAULT_TRUNCATION_HINT, bound_text, drop_html_comments, strip_invisible


@dataclass(frozen=True)
class HardenedText:
    """A text field ready for an AI client, and what was done to it."""

    text: str
    findings: list[SecretFinding]
    blocked: bool
    truncated: bool


def harden_text(
    text: str,
    *,
    mode: SecretMode | str,
    max_chars: int,
    markdown: bool = False,
    hint: str = DEFAULT_TRUNCATION_HINT,
    scanner: SecretScanner | None = None,
) -> HardenedText:
    """Strip hidden characters, drop markdown comments, mask secrets, then bound.

    Hidden characters go first: a zero-width space inside a token would otherwise
    hide it from the scanner. Bounding goes last: cutting first could split a secret
    into a prefix no pattern recognises.
    """
    visible = strip_invisible(text)
    if markdown:
        visible = drop_html_comments(visible)
    sanitized = (scanner or default_scanner()).apply(visible, mode)
    bounded, truncated = bound_text(sanitized.text, max_chars, hint)
    return HardenedText(bounded, sanitized.findings, sanitized.blocked, truncated)
