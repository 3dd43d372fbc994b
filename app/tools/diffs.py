"""Unified diffs cut into per-file patches, with one character budget shared fairly among files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.tools.call import ToolCall

DIFF_HEADER = re.compile(r"^diff --git a/(?P<old>.+?) b/(?P<new>.+)$")
MIN_SHARE = 500  # below this a patch is unreadable, so tiny budgets still show something per file


@dataclass(frozen=True)
class FilePatch:
    """One file's part of a unified diff."""

    path: str
    old_path: str
    status: str
    patch: str

    @property
    def additions(self) -> int:
        return sum(1 for line in self.patch.splitlines() if line.startswith("+") and not line.startswith("+++"))

    @property
    def deletions(self) -> int:
        return sum(1 for line in self.patch.splitlines() if line.startswith("-") and not line.startswith("---"))


def split_diff(text: str) -> list[FilePatch]:
    """The per-file sections of a `git diff` text, in order."""
    sections: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("diff --git ") or not sections:
            sections.append([])
        sections[-1].append(line)
    return [patch for lines in sections if (patch := _file_patch("".join(lines)))]


def _file_patch(section: str) -> FilePatch | None:
    header = DIFF_HEADER.match(section.split("\n", 1)[0])
    if header is None:
        return None
    return FilePatch(header["new"], header["old"], _status(section, header["old"], header["new"]), section)


def _status(section: str, old: str, new: str) -> str:
    head = section[:1000]
    if "\nnew file mode" in head:
        return "added"
    if "\ndeleted file mode" in head:
        return "deleted"
    if old != new or "\nrename from" in head:
        return "renamed"
    return "modified"


def fair_shares(sizes: list[int], budget: int) -> list[int]:
    """Characters per patch: small patches whole, the rest split evenly, so one big file cannot evict others."""
    shares = [0] * len(sizes)
    remaining, left = budget, len(sizes)
    for index in sorted(range(len(sizes)), key=lambda i: sizes[i]):
        fair = max(remaining // left, MIN_SHARE) if left else 0
        shares[index] = min(sizes[index], fair)
        remaining, left = max(remaining - shares[index], 0), left - 1
    return shares


def file_entries(
    call: ToolCall, patches: list[FilePatch], cap: int | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Per-file summaries with bounded patches (at most `cap`, default MAX_TOOL_RESPONSE_ITEMS); files the
    policy withholds are named, not shown."""
    visible, withheld = call.visible(patches, lambda patch: patch.path)
    visible = visible[: call.limits.items if cap is None else cap]
    shares = fair_shares([len(patch.patch) for patch in visible], call.limits.chars)
    return [file_entry(patch, share) for patch, share in zip(visible, shares, strict=True)], withheld


def file_entry(patch: FilePatch, share: int) -> dict[str, Any]:
    cut = len(patch.patch) > share
    return {
        "path": patch.path,
        "previous_path": patch.old_path if patch.old_path != patch.path else None,
        "status": patch.status,
        "additions": patch.additions,
        "deletions": patch.deletions,
        "patch": patch.patch[:share],
        "patch_truncated": cut,
        "patch_chars": len(patch.patch),
    }


def render_files(files: list[dict[str, Any]]) -> list[str]:
    """Compact text: a summary line per file, then its (maybe cut, fenced) patch."""
    lines: list[str] = []
    for entry in files:
        cut = f" [patch cut: {entry['patch_chars']} chars in all]" if entry["patch_truncated"] else ""
        lines.append(f"{entry['status']} {entry['path']} (+{entry['additions']} -{entry['deletions']}){cut}")
        if entry["patch"]:
            lines.append(entry["patch"].rstrip("\n"))
    return lines
