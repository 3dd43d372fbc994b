"""Repository path normalisation: one safe spelling per path, or a refusal.

We never decode or rewrite a path into a different one: a path that is not already in
its single canonical spelling is refused, so what the policy checks is exactly what
Gitea receives. Paths stay case-sensitive (git and Gitea are); the engine matches deny
globs case-insensitively so a case variant cannot slip past a deny rule.
"""

from __future__ import annotations

import re
import unicodedata

MAX_PATH_CHARS = 4096
PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")
# Characters whose NFKC form is not themselves but contains one of these would be read
# as path syntax by anything that normalises (U+FF0F, U+2024, U+FE52, U+FF3C ...).
SYNTAX_CHARS = frozenset("/\\.%:")
# Look-alikes of '/' that NFKC keeps as they are, refused for the same reason.
SLASH_LOOKALIKES = frozenset("\u2215\u2044\u29f8\u2571\u244a\u3033")


class UnsafePathError(ValueError):
    """A path that cannot be normalised safely; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_repo_path(raw: str) -> str:
    """Return the canonical repository-relative path or raise UnsafePathError."""
    if not isinstance(raw, str):
        raise UnsafePathError("path must be a string")
    if len(raw) > MAX_PATH_CHARS:
        raise UnsafePathError(f"path longer than {MAX_PATH_CHARS} characters")
    _refuse_characters(raw)
    _refuse_encodings(raw)
    path = raw[:-1] if raw.endswith("/") and len(raw) > 1 else raw
    _refuse_segments(path)
    return "" if path == "/" else path


def _refuse_characters(raw: str) -> None:
    """Refuse NUL, control and invisible characters and Unicode path-syntax look-alikes."""
    for char in raw:
        category = unicodedata.category(char)
        if char == "\x00":
            raise UnsafePathError("NUL byte in path")
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise UnsafePathError(f"control or invisible character U+{ord(char):04X} in path")
        if char in SLASH_LOOKALIKES or _normalises_to_syntax(char):
            raise UnsafePathError(f"character U+{ord(char):04X} normalises to path syntax")


def _normalises_to_syntax(char: str) -> bool:
    """Tell whether NFKC turns a non-syntax character into '/', '.', '\\', '%' or ':'."""
    if char.isascii():
        return False
    return any(c in SYNTAX_CHARS for c in unicodedata.normalize("NFKC", char))


def _refuse_encodings(raw: str) -> None:
    """Refuse backslashes, percent escapes (single or double) and absolute forms."""
    if "\\" in raw:
        raise UnsafePathError("backslash in path")
    if PERCENT_ESCAPE.search(raw):
        raise UnsafePathError("percent-encoded sequence in path")
    if raw.startswith("/") and raw != "/":
        raise UnsafePathError("absolute path")
    if DRIVE_PREFIX.match(raw):
        raise UnsafePathError("drive-letter path")


def _refuse_segments(path: str) -> None:
    """Refuse empty, '.' and '..' segments."""
    if path in ("", "/"):
        return
    for segment in path.split("/"):
        if segment == "":
            raise UnsafePathError("empty path segment ('//')")
        if segment in (".", ".."):
            raise UnsafePathError(f"'{segment}' segment in path")
