"""File tools: one file's text (bounded, line ranges, binary-aware), directory trees and code search."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.gitea.errors import GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.registry import Tool
from app.tools.shaping import clip
from schemas import files as s

BINARY_SNIFF_BYTES = 8000


def looks_binary(content: bytes) -> bool:
    """Git's rule: a NUL byte early on means binary; so does text that is not UTF-8."""
    if b"\x00" in content[:BINARY_SNIFF_BYTES]:
        return True
    try:
        content[:BINARY_SNIFF_BYTES].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < BINARY_SNIFF_BYTES - 4  # a character cut at the sniff boundary is not binary
    return False


def file_result(args: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The get_file_contents shape with defaults for what a case does not fill."""
    base: dict[str, Any] = {
        "path": args["filepath"].strip("/"), "ref": args.get("ref"), "type": "file", "size": None,
        "binary": False, "content": "", "start_line": None, "end_line": None, "total_lines": None,
        "truncated": False, "truncation": None, "entries": [], "note": None,
    }
    return {**base, **fields}


def get_file_contents(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Read the file raw, never past MAX_FILE_SIZE_BYTES; a 404 may mean a directory."""
    owner, repo, path = args["owner"], args["repo"], args["filepath"]
    try:
        download = gitea.get_raw_file(owner, repo, path, args.get("ref"), cap=call.limits.file_bytes)
    except GiteaNotFound:
        return directory_result(gitea, args, call)
    size = download.declared_size if download.declared_size is not None else len(download.content)
    if looks_binary(download.content):
        note = f"Binary file ({download.content_type or 'unknown type'}); its bytes are not shown."
        return file_result(args, size=size, binary=True, note=note)
    return text_result(args, download.text, size, download.truncated, call)


def directory_result(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Explain a directory instead of failing: list its entries."""
    listing = gitea.get_contents(args["owner"], args["repo"], args["filepath"], args.get("ref"))
    if not isinstance(listing, list):
        raise ToolFailure(f"{args['filepath']} exists but cannot be read as a file (type {p.text(listing, 'type')}).")
    entries = [directory_entry(raw) for raw in listing if isinstance(raw, Mapping)][: call.limits.items]
    note = "This path is a directory: its entries are listed. Call get_file_contents with one of the file paths."
    return file_result(args, type="dir", entries=entries, note=note)


def directory_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": p.text(raw, "name"), "path": p.text(raw, "path"), "type": p.text(raw, "type"),
            "size": p.number(raw, "size")}


def text_result(args: dict[str, Any], text: str, size: int, cut_at_cap: bool, call: ToolCall) -> dict[str, Any]:
    """Select the asked lines, then bound the characters; say exactly how to get the rest."""
    lines = text.splitlines(keepends=True)
    start = args.get("start_line") or 1
    end = min(args.get("end_line") or len(lines), len(lines))
    if start > max(len(lines), 1):
        raise ToolFailure(f"start_line {start} is past the end of {args['filepath']} ({len(lines)} lines).")
    content, clipped = clip("".join(lines[start - 1 : end]), call.limits.chars)
    shown_end = start - 1 + content.count("\n") if clipped else end
    truncation = truncation_hint(args, shown_end, clipped, cut_at_cap, call)
    return file_result(
        args, size=size, content=content, start_line=start, end_line=shown_end,
        total_lines=None if cut_at_cap else len(lines), truncated=truncation is not None, truncation=truncation,
    )


def truncation_hint(
    args: dict[str, Any], shown_end: int, clipped: bool, cut_at_cap: bool, call: ToolCall
) -> str | None:
    if clipped:
        return (f"Cut at {call.limits.chars} characters after line {shown_end}; "
                f"call again with start_line={shown_end + 1} to continue.")
    if cut_at_cap and not args.get("end_line"):
        return (f"The file is larger than MAX_FILE_SIZE_BYTES ({call.limits.file_bytes} bytes); "
                "only its beginning can be read.")
    return None


def render_file(out: dict[str, Any]) -> str:
    ref = f" @ {out['ref']}" if out["ref"] else ""
    if out["type"] == "dir":
        lines = [f"{e['path']}{'/' if e['type'] == 'dir' else ''}" for e in out["entries"]]
        return "\n".join([f"{out['path']}{ref} is a directory. {out['note']}", *lines])
    if out["binary"]:
        return f"{out['path']}{ref} ({out['size']} bytes). {out['note']}"
    span = f"lines {out['start_line']}-{out['end_line']}" + (f" of {out['total_lines']}" if out["total_lines"] else "")
    tail = f"\n[truncated: {out['truncation']}]" if out["truncated"] else ""
    return f"{out['path']}{ref} ({span}):\n{out['content']}{tail}"


TOOLS = (
    Tool(
        name="get_file_contents",
        title="Get file contents",
        description=(
            "Read a text file from a repository at a branch, tag or commit (default: the default branch). "
            "Returns the text with line numbers of the returned span; long files are cut with a note telling "
            "which start_line to ask for next, and start_line/end_line select a range. Binary files return "
            "size and type only; a directory path returns its entries."
        ),
        toolset="files",
        arguments=s.GetFileContentsArgs,
        output_schema=s.FILE_CONTENTS,
        handler=get_file_contents,
        render=render_file,
        path_argument="filepath",
    ),
)
