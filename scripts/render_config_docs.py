"""Regenerate the settings table in docs/Configuration.md from app/config.py (the one source)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config import Secret, settings_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "Configuration.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def shown(default: object) -> str:
    if isinstance(default, Secret) or default in (None, "", ()):
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, tuple):
        return f"`{','.join(default)}`"
    return f"`{default}`"


def table() -> str:
    rows = ["| Variable | Default | Description |", "|---|---|---|"]
    rows += [f"| `{name}` | {shown(default)} | {doc} |" for name, default, doc in settings_table()]
    return "\n".join(rows)


def replace_section(text: str, begin: str, end: str, body: str) -> str:
    """Put `body` between the `begin` and `end` marker lines of a generated doc section."""
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render(text: str) -> str:
    return replace_section(text, BEGIN, END, table())


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text()))
