"""Which tools one connection asked for: toolsets and read-only, narrowing what the operator serves.

The operator chooses the tools served (MCP_TOOLSETS, MCP_TOOLS: Catalog.enabled); a client narrows
further per connection (`?toolsets=files,issues&readonly=1` on the MCP URL, or the X-MCP-Toolsets and
X-MCP-Readonly headers). A selection can only narrow: a toolset the operator did not enable stays absent
and is named in `unavailable`. It applies to tools/list and tools/call alike (a tool outside it is an
unknown tool), and the audit records it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TOOLSETS_PARAMETER = "toolsets"
READONLY_PARAMETER = "readonly"
TOOLSETS_HEADER = "X-MCP-Toolsets"
READONLY_HEADER = "X-MCP-Readonly"
SELECTION_META = "io.aegis/selection"
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


class SelectionError(ValueError):
    """A selection naming unknown toolsets, a bad readonly value, or leaving no tool: the client's error."""


@dataclass(frozen=True)
class Selection:
    """One connection's narrowing. `toolsets` None: every toolset the operator serves."""

    toolsets: frozenset[str] | None = None
    readonly: bool = False
    unavailable: tuple[str, ...] = ()  # asked for, but the operator does not serve them

    @property
    def narrows(self) -> bool:
        return self.toolsets is not None or self.readonly

    def admits(self, toolset: str, is_write: bool) -> bool:
        if self.readonly and is_write:
            return False
        return self.toolsets is None or toolset in self.toolsets

    def describe(self) -> dict[str, Any]:
        """What the audit entry and the tools/list `_meta` say about it."""
        described: dict[str, Any] = {
            "toolsets": sorted(self.toolsets) if self.toolsets is not None else None,
            "readonly": self.readonly,
        }
        if self.unavailable:
            described["unavailable"] = list(self.unavailable)
        return described


EVERYTHING = Selection()


def split_names(raw: str) -> list[str]:
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def parse_readonly(raw: str | None, where: str) -> bool:
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SelectionError(f"{where} must be 1 or 0 (true/false), not {raw[:40]!r}")


def parse_selection(
    toolsets: Iterable[tuple[str, str]], readonly: Iterable[tuple[str, str | None]], *,
    known: Iterable[str], served: Iterable[str],
) -> Selection:
    """The selection from (where, raw value) pairs, e.g. [("?toolsets", "files,issues"), ("X-MCP-Toolsets", ...)].

    Several sources narrow together (their intersection). `known`: every toolset of the catalog;
    `served`: those the operator serves. Raises SelectionError naming the valid toolsets.
    """
    known_names, served_names = sorted(set(known)), set(served)
    chosen: set[str] | None = None
    for where, raw in toolsets:
        names = split_names(raw)
        unknown = [name for name in names if name not in known_names]
        if unknown:
            raise SelectionError(
                f"Unknown toolset{'s' if len(unknown) > 1 else ''} in {where}: {', '.join(unknown)}. "
                f"Valid toolsets: {', '.join(known_names)}."
            )
        if not names:
            raise SelectionError(f"{where} is empty: name toolsets, e.g. files,issues. "
                                 f"Valid toolsets: {', '.join(known_names)}.")
        chosen = set(names) if chosen is None else chosen & set(names)
    is_readonly = any(parse_readonly(raw, where) for where, raw in readonly)
    if chosen is None:
        return Selection(readonly=is_readonly)
    unavailable = tuple(sorted(chosen - served_names))
    return Selection(frozenset(chosen & served_names), is_readonly, unavailable)
