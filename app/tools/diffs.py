"""Unified diffs cut into per-file patches, with one character budget shared fairly among files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.tools.call import ToolCall

DIFF_HEADER = re.compile(r'^diff --git (?P<old>"(?:[^"\\]|\\.)*"|\S.*?) (?P<new>"(?:[^"\\]|\\.)*"|b/.+)$')
# Extended header lines naming a side of the change (git diff's "rename from", "copy to", "--- a/x", ...).
SIDE_LINE = re.compile(r"^(?:(?P<word>rename|copy) (?P<dir>from|to) |(?P<marker>---|\+\+\+) )(?P<path>.+)$")
MIN_SHARE = 500  # below this a patch is unreadable, so tiny budgets still show something per file


@dataclass(frozen=True)
class FilePatch:
    """One file's part of a unified diff; `touched` holds every path it names (both sides of a rename)."""

    path: str
    old_path: str
    status: str
    patch: str
    touched: frozenset[str] = frozenset()

    @property
    def paths(self) -> frozenset[str]:
        """What the policy must allow before any of the patch is shown: a rename or copy out of a
        denied file carries that file's lines, so both sides count."""
        return self.touched | {self.path, self.old_path}

    @property
    def additions(self) -> int:
        return sum(1 for line in self.patch.split("\n") if line.startswith("+") and not line.startswith("+++"))

    @property
    def deletions(self) -> int:
        return sum(1 for line in self.patch.split("\n") if line.startswith("-") and not line.startswith("---"))


def split_diff(text: str) -> list[FilePatch]:
    """The per-file sections of a `git diff` text, in order."""
    sections: list[list[str]] = []
    # Git ends a diff line at "\n" only: a "\r", "\f" or "\u2028" inside a hunk line is content, and
    # str.splitlines would let it start a forged "diff --git" section attributing lines to another file.
    for line in re.split(r"(?<=\n)", text):
        if not line:
            continue
        if line.startswith("diff --git ") or not sections:
            sections.append([])
        sections[-1].append(line)
    return [patch for lines in sections if (patch := _file_patch("".join(lines)))]


def _file_patch(section: str) -> FilePatch | None:
    header = DIFF_HEADER.match(section.split("\n", 1)[0])
    if header is None:
        return None
    sides = _sides(section)
    old = sides.get("old") or _strip_prefix(unquote(header["old"]), "a/")
    new = sides.get("new") or _strip_prefix(unquote(header["new"]), "b/")
    touched = frozenset({old, new, *sides.values(), *_header_paths(header["old"], header["new"])})
    return FilePatch(new, old, _status(section, old, new), section, touched)


def _sides(section: str) -> dict[str, str]:
    """Old and new path from the extended header lines (before the first hunk): rename/copy lines
    first, then the ---/+++ lines; a side that is /dev/null (added, deleted) is left out."""
    found: dict[str, str] = {}
    for line in section.split("\n")[1:]:
        if line.startswith(("@@", "Binary files", "GIT binary patch")):
            break
        side = SIDE_LINE.match(line.rstrip("\r"))
        if side is None:
            continue
        path = unquote(side["path"].split("\t", 1)[0] if side["marker"] else side["path"])
        if side["marker"]:
            if path == "/dev/null":
                continue
            path = _strip_prefix(path, "a/" if side["marker"] == "---" else "b/")
        key = "old" if side["dir"] == "from" or side["marker"] == "---" else "new"
        found.setdefault(key, path)  # rename/copy lines come first in git's header
    return found


def _header_paths(old: str, new: str) -> set[str]:
    """Every path an unquoted `diff --git a/X b/Y` line could mean: a name holding " b/" makes the split
    ambiguous, and a hostile author may choose one; all readings are checked."""
    if old.startswith('"') or new.startswith('"'):
        return set()
    whole = f"{old} {new}"
    cuts = [index for index in range(len(whole)) if whole.startswith(" b/", index)]
    return {piece for cut in cuts
            for piece in (_strip_prefix(whole[:cut], "a/"), whole[cut + 3:])}


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix):] if path.startswith(prefix) else path


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v"}


def unquote(path: str) -> str:
    """Git's C-style quoting ("src/\\303\\251.py") undone; an unquoted path as it is."""
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    out, body, index = bytearray(), path[1:-1], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            octal = body[index + 1 : index + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                out.append(int(octal, 8) & 0xFF)
                index += 4
                continue
            out += ESCAPES.get(body[index + 1], body[index + 1]).encode()
            index += 2
            continue
        out += char.encode()
        index += 1
    return out.decode("utf-8", errors="replace")


def _status(section: str, old: str, new: str) -> str:
    head = section[:1000]
    if "\nnew file mode" in head:
        return "added"
    if "\ndeleted file mode" in head:
        return "deleted"
    if "\ncopy from" in head:
        return "copied"
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
    named = [patch.paths for patch in patches]
    shown, _ = call.visible_paths(list(dict.fromkeys(path for paths in named for path in paths)))
    allowed = set(shown)
    visible = [patch for patch, paths in zip(patches, named, strict=True) if paths <= allowed]
    withheld = list(dict.fromkeys(patch.path for patch, paths in zip(patches, named, strict=True)
                                  if not paths <= allowed))
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
