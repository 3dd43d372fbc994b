"""File tools: one file's text (bounded, line ranges, binary-aware), directory trees and code search."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaNotFound
from app.gitea.request import encode_segment
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.code_index import MAX_ARCHIVE_BYTES, CodeIndex, CodeIndexCache, index_from_archive
from app.tools.flow_guard import remember_repository
from app.tools.refs import commit_for_read, commit_for_search
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, clip, more_hint, short_text, with_untrusted
from schemas import files as s

BINARY_SNIFF_BYTES = 8000
TREE_PAGES = 20  # Gitea pages of 1000 entries read at most per call
CODE_INDEX = "code_index"
PATHS = "file paths in {repository}"


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


def get_file_contents(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Read the file raw, never past MAX_FILE_SIZE_BYTES nor past what the answer shows; a 404 may mean a directory."""
    owner, repo, path = args["owner"], args["repo"], args["filepath"]
    encode_segment("filepath", path.strip("/"))  # a traversing path is refused before any request is made
    commit = commit_for_read(gitea, call, owner, repo, args.get("ref"))  # the path checked is the path read
    window = LineWindow(args.get("start_line") or 1, args.get("end_line"), call.limits.chars)
    try:
        download = gitea.get_raw_file(owner, repo, path, commit, cap=call.limits.file_bytes, enough=window.enough)
    except GiteaNotFound:
        return directory_result(gitea, args, commit, call)
    size: int | None = download.declared_size if download.declared_size is not None else len(download.content)
    if not download.complete and download.declared_size is None:
        size = None  # read in part and Gitea did not say how long it is
    if looks_binary(download.content):
        note = f"Binary file ({download.content_type or 'unknown type'}); its bytes are not shown."
        return file_result(args, size=size, binary=True, note=note)
    return text_result(args, download, window, size, call)


class LineWindow:
    """Follows a raw download chunk by chunk: where the asked lines start and end, and when it has enough.

    A model asking for a 1 MiB file sees its first MAX_TOOL_RESPONSE_CHARS characters: reading the other
    megabyte from Gitea would only cost time, and so would decoding or splitting what is not shown. Lines
    are counted by "\\n", as git, grep and search_code count them. Offsets are in bytes of the body.
    """

    def __init__(self, start: int, end: int | None, chars: int) -> None:
        self.start, self.end, self.chars = start, end, chars
        self.newlines = 0
        self.size = 0
        self.start_at: int | None = 0 if start == 1 else None  # where line `start` begins
        self.end_at: int | None = None  # just past line `end`'s newline

    def enough(self, chunk: bytes) -> bool:
        count = chunk.count(b"\n")
        if self.start_at is None and self.newlines + count >= self.start - 1:
            self.start_at = self.size + offset_after(chunk, self.start - 1 - self.newlines)
        if self.end is not None and self.end_at is None and self.newlines + count >= self.end:
            self.end_at = self.size + offset_after(chunk, self.end - self.newlines)
        self.newlines += count
        self.size += len(chunk)
        if self.size < BINARY_SNIFF_BYTES:
            return False  # the binary check needs its sample
        # A character takes at most 4 bytes in UTF-8, so this many bytes hold more than the budget.
        return self.end_at is not None or (self.start_at is not None and self.size - self.start_at > 4 * self.chars)

    def lines(self, content: bytes) -> int:
        """Lines in the content read: a last line without "\\n" still counts."""
        return self.newlines + (1 if content and not content.endswith(b"\n") else 0)

    def span(self, content: bytes) -> str:
        """The asked lines as text, decoding no more than the character budget can show."""
        begin = self.start_at or 0
        stop = len(content) if self.end_at is None else self.end_at
        return content[begin : min(stop, begin + 4 * self.chars + 4)].decode("utf-8", errors="replace")


def offset_after(chunk: bytes, newlines: int) -> int:
    """The offset just past the chunk's n-th newline (0 for none)."""
    return len(chunk) - len(chunk.split(b"\n", newlines)[-1]) if newlines > 0 else 0


def directory_result(gitea: BoundGiteaClient, args: dict[str, Any], commit: str, call: ToolCall) -> dict[str, Any]:
    """Explain a directory instead of failing: list its entries (at the commit the file read used)."""
    listing = gitea.get_contents(args["owner"], args["repo"], args["filepath"], commit)
    if not isinstance(listing, list):
        raise ToolFailure(f"{args['filepath']} exists but cannot be read as a file (type {p.text(listing, 'type')}).")
    entries = [directory_entry(raw) for raw in listing if isinstance(raw, Mapping)]
    # The same path policy as get_file_tree: a denied file's entry is not shown here either.
    entries, withheld = call.visible(entries, lambda entry: entry["path"])
    entries = entries[: call.limits.items]
    note = "This path is a directory: its entries are listed. Call get_file_contents with one of the file paths."
    if withheld:
        entries_word = "entry" if len(withheld) == 1 else "entries"
        note += f" {len(withheld)} {entries_word} withheld by policy: {', '.join(withheld)}."
    return file_result(args, type="dir", entries=entries, note=note)


def directory_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": p.text(raw, "name"), "path": p.text(raw, "path"), "type": p.text(raw, "type"),
            "size": p.number(raw, "size")}


def text_result(args: dict[str, Any], download: Any, window: LineWindow, size: int | None,
                call: ToolCall) -> dict[str, Any]:
    """Select the asked lines, then bound the characters; say exactly how to get the rest."""
    content, cut_at_cap = download.content, download.truncated
    if window.size != len(content):  # the byte past the cap was read and dropped: follow the kept bytes
        window = LineWindow(window.start, window.end, window.chars)
        window.enough(content)
    read = window.lines(content)
    start = args.get("start_line") or 1
    end = min(args.get("end_line") or read, read)
    if start > max(read, 1):
        raise ToolFailure(past_the_end(args, start, read, cut_at_cap, call))
    shown, clipped = clip(window.span(content), call.limits.chars)
    shown_end = start - 1 + shown.count("\n") if clipped else end
    truncation = truncation_hint(args, shown_end, clipped, cut_at_cap, call)
    return file_result(
        args, size=size, content=shown, start_line=start, end_line=shown_end,
        total_lines=read if download.complete else None, truncated=truncation is not None, truncation=truncation,
    )


def past_the_end(args: dict[str, Any], start: int, read: int, cut_at_cap: bool, call: ToolCall) -> str:
    """Why start_line shows nothing: the file ends first, or the readable part does."""
    if cut_at_cap:
        return (f"start_line {start} lies beyond the size cap: only the first MAX_FILE_SIZE_BYTES "
                f"({call.limits.file_bytes} bytes, {read} lines) of {args['filepath']} can be read.")
    return f"start_line {start} is past the end of {args['filepath']} ({read} lines)."


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


def default_branch_or_none(gitea: BoundGiteaClient, call: ToolCall, owner: str, repo: str) -> str | None:
    """The default branch, or None for an empty repository (it has no tree); the flow guard keeps its visibility."""
    raw = gitea.get_repository(owner, repo)
    remember_repository(call, raw)
    return None if p.flag(raw, "empty") else (p.text(raw, "default_branch") or "HEAD")


def tree_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"path": p.text(raw, "path"), "type": p.text(raw, "type"), "size": p.number(raw, "size"),
            "sha": p.text(raw, "sha")}


def under(prefix: str, recursive: bool) -> Any:
    """Entry filter for a `path` argument: everything below it, or only its direct children."""
    def keep(path: str) -> bool:
        if not prefix:
            return True
        rest = path[len(prefix) + 1 :] if path.startswith(prefix + "/") else ""
        return bool(rest) and (recursive or "/" not in rest)
    return keep


def collect_tree(gitea: BoundGiteaClient, args: dict[str, Any], ref: str,
                 wanted: int) -> tuple[list[dict[str, Any]], bool]:
    """Entries up to `wanted`, reading Gitea's tree pages while it says `truncated`; second: more exist."""
    prefix = (args.get("path") or "").strip("/")
    keep = under(prefix, args["recursive"])
    collected: list[dict[str, Any]] = []
    for number in range(1, TREE_PAGES + 1):
        page = gitea.get_tree(args["owner"], args["repo"], ref, recursive=args["recursive"] or bool(prefix),
                              page=number)
        collected += [tree_entry(raw) for raw in page.items if isinstance(raw, Mapping) and keep(p.text(raw, "path"))]
        if len(collected) > wanted or not page.has_more:
            return collected, len(collected) > wanted
    return collected, True


def tree_result(args: dict[str, Any], ref: str, call: ToolCall, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ref": ref, "path": args.get("path"), "recursive": args["recursive"], "items": [], "page": args["page"],
        "limit": call.limits.items, "has_more": False, "total": None, "withheld": 0, "note": None,
    }
    return {**base, **fields}


def get_file_tree(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Entries of a commit's root tree, so each has its full path for the policy (a subtree's SHA would not)."""
    ref = args.get("ref") or default_branch_or_none(gitea, call, args["owner"], args["repo"])
    if ref is None:
        return tree_result(args, "", call, total=0, note="The repository is empty: it has no files yet.")
    commit = commit_for_read(gitea, call, args["owner"], args["repo"], ref)
    size = call.limits.items
    start = (args["page"] - 1) * size
    collected, more = collect_tree(gitea, args, commit, start + size)
    window = collected[start : start + size]
    items, withheld = call.visible(window, lambda entry: entry["path"])
    total = None if more else len(collected)
    return tree_result(args, ref, call, items=items, has_more=more, total=total, withheld=len(withheld))


def render_tree(out: dict[str, Any]) -> str:
    if out["note"]:
        return out["note"]
    lines = [f"{e['path']}{'/' if e['type'] == 'tree' else ''}" + (f" ({e['size']} B)" if e["type"] == "blob" else "")
             for e in out["items"]]
    if out["withheld"]:
        lines.append(f"[{out['withheld']} entries withheld by policy]")
    return "\n".join([f"Tree of {out['ref']}" + (f" under {out['path']}" if out["path"] else "") + ":", *lines,
                      more_hint(out)])


def code_index(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> CodeIndex:
    # Resolved with the caller's own credentials: the access check guarding the shared index.
    commit = commit_for_search(gitea, call, args["owner"], args["repo"], args.get("ref"))
    key = f"{args['owner']}/{args['repo']}@{commit}".lower()
    cache: CodeIndexCache = call.runtime.shared(CODE_INDEX, CodeIndexCache)
    index = cache.get(key)
    if index is None:
        call.report(0, None, "Downloading the repository archive")
        archive = gitea.download_archive(args["owner"], args["repo"], commit, "tar.gz", cap=MAX_ARCHIVE_BYTES)
        index = index_from_archive(commit, archive.content, archive.truncated)
        cache.put(key, index)
    return index


def search_code(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    index = code_index(gitea, args, call)
    matches, complete = index.search(args["query"], args["case_sensitive"])
    matches, _ = call.visible(matches, lambda match: match["path"])
    start = (args["page"] - 1) * args["limit"]
    incomplete = index.incomplete or not complete
    return {
        "query": args["query"], "ref": args.get("ref") or "", "commit": index.commit,
        "items": matches[start : start + args["limit"]], "page": args["page"], "limit": args["limit"],
        "has_more": start + args["limit"] < len(matches), "total": len(matches),
        "files_searched": len(index.files), "incomplete": incomplete,
        "note": search_note(index, complete),
    }


def search_note(index: CodeIndex, complete: bool) -> str | None:
    """Say which bound cut the search short, so the caller knows the results may be partial."""
    if index.bound is not None:
        return f"Results may be partial: {index.bound}. Narrow the query or search a smaller ref."
    if not complete:
        return "Search bounds were reached; results may be partial. Narrow the query."
    return None


def render_search(out: dict[str, Any]) -> str:
    head = f"{out['total']} matches for {out['query']!r} in {out['files_searched']} files at {out['commit'][:10]}."
    lines = [head]
    for m in out["items"]:
        lines.append(f"{m['path']}:{m['line_number']}: {m['line'].strip()}")
    if out["note"]:
        lines.append(f"[{out['note']}]")
    return "\n".join([*lines, more_hint(out)])


TOOLS = (
    with_untrusted(Tool(
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
    ), UntrustedField("content", (), "file {path} in {repository}", markdown=False),
        short_text("entries[].name", PATHS), short_text("entries[].path", PATHS)),
    with_untrusted(Tool(
        name="get_file_tree",
        title="Get file tree",
        description=(
            "List files and directories of a repository at a ref (default: the default branch). Top level by "
            "default; recursive=true lists everything below, and `path` limits the listing to one directory. "
            "Each entry has path, type (blob = file, tree = directory) and size. Large trees come in pages "
            "of MAX_TOOL_RESPONSE_ITEMS entries: call again with page+1 while has_more is true."
        ),
        toolset="files",
        arguments=s.GetFileTreeArgs,
        output_schema=s.FILE_TREE,
        handler=get_file_tree,
        render=render_tree,
        path_argument="path",
    ), short_text("items[].path", PATHS)),
    with_untrusted(Tool(
        name="search_code",
        title="Search code",
        description=(
            "Find a literal text (case-insensitive unless case_sensitive=true) in every text file of a "
            "repository at a ref (default: the default branch). Returns path, line number, the line and one "
            "line of context each side, in pages. Repeated searches of the "
            "same commit are served from a cache. Use get_file_contents with start_line to read around a hit."
        ),
        toolset="files",
        arguments=s.SearchCodeArgs,
        output_schema=s.CODE_SEARCH,
        handler=search_code,
        render=render_search,
    ),
        UntrustedField("items[].line", (), "file {path} in {repository}", markdown=False),
        UntrustedField("items[].context_before[]", (), "file {path} in {repository}", markdown=False),
        UntrustedField("items[].context_after[]", (), "file {path} in {repository}", markdown=False),
        short_text("items[].path", PATHS),
    ),
)
