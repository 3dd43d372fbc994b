"""Wiki tools: a repository wiki's pages, their text and revisions, and writing a page (opt-in toolset).

A page is named by its title. Gitea stores it in the wiki's own git repository under a file name derived
from the title and addresses it by a web path (`sub_url`) derived the same way (services/wiki/wiki_path.go),
which `web_path` reproduces: a title without '-' has its spaces turned into '-'; a title with a '-' (or
ending in '.md') keeps its spaces and gets the marker '.-'; then the whole is query-escaped.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.files import looks_binary
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, clip, list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import PlannedWrite, write_tool
from schemas import wiki as s

REVISIONS_PER_PAGE = 50  # Gitea's setting.Git.CommitsRangeSize: the revisions route takes no limit
DASH_MARKER = ".-"
TITLES = "wiki page titles in {repository}"
AUTHORS = "wiki commit authors in {repository}"
JSON = dict[str, Any]


def web_path(title: str) -> str:
    """The page's `sub_url`, as Gitea's UserTitleToWebPath spells it (and reads it back)."""
    segment = title + DASH_MARKER if "-" in title or title.endswith(".md") else title.replace(" ", "-")
    return quote_plus(segment, safe="")


def missing_page(args: dict[str, Any], call: ToolCall) -> ToolFailure:
    return ToolFailure(
        f"{call.tool.name}: no wiki page titled {args['title']!r} in {call.repository} (or the repository has no "
        "wiki, or you cannot see it). list_wiki_pages shows the titles.", "not_found",
    )


def check_fallback_title(args: dict[str, Any], call: ToolCall) -> None:
    """Gitea reads a page it cannot find under its file name from that name unescaped (findEntryForFile):
    the file of the page titled unquote_plus(title) ("C++" -> "C  ", "%41" -> "A"). The policy must allow
    that title too, or a deny on it could be read around."""
    fallback = unquote_plus(args["title"])
    if fallback == args["title"] or call.policy is None:
        return
    decision = call.policy.decide(call.tool.name, call.tool.is_write, call.repository, fallback, "wiki")
    if not decision.allowed:
        raise ToolFailure(f"Denied by policy: {decision.reason}; Gitea may answer for {args['title']!r} with "
                          f"the page {fallback!r}.", "denied")


def fetch_page(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> JSON:
    check_fallback_title(args, call)
    try:
        return gitea.get_wiki_page(args["owner"], args["repo"], web_path(args["title"]))
    except GiteaNotFound:
        raise missing_page(args, call) from None


def revision(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A WikiCommit: sha, author name, date and message (Gitea spells the committer `commiter`)."""
    if not raw:
        return None
    author = p.mapping(raw, "author")
    return {"sha": p.text(raw, "sha"), "author": p.text(author, "name"), "date": p.maybe_text(author, "date"),
            "message": p.text(raw, "message").strip()}


def page_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"title": p.text(raw, "title"), "sub_url": p.text(raw, "sub_url"),
            "last_commit": revision(p.maybe_mapping(raw, "last_commit"))}


def page_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"title": p.text(raw, "title"), "sub_url": p.text(raw, "sub_url"), "html_url": p.text(raw, "html_url"),
            "commit_count": p.number(raw, "commit_count"), "last_commit": revision(p.maybe_mapping(raw, "last_commit"))}


def decoded(raw: Mapping[str, Any]) -> bytes:
    """The page's bytes; Gitea sends "" for a page larger than its API blob limit."""
    try:
        return base64.b64decode(p.text(raw, "content_base64"), validate=True)
    except (binascii.Error, ValueError):
        raise ToolFailure("Gitea sent wiki page content that is not valid base64.", "upstream_error") from None


# --- Reads ------------------------------------------------------------------------------------------------

def list_wiki_pages(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """One page of Gitea's listing, less the pages the policy withholds (`wiki:` globs)."""
    try:
        page = gitea.list_wiki_pages(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    except GiteaNotFound:
        raise ToolFailure(f"list_wiki_pages: {call.repository} has no wiki (or the repository does not exist or "
                          "is not visible to you).", "not_found") from None
    pages = [page_summary(raw) for raw in page.items if isinstance(raw, Mapping)]
    shown, withheld = call.visible(pages, lambda entry: entry["title"], "wiki")
    envelope = list_envelope(shown, page=args["page"], limit=args["limit"], has_more=page.has_more,
                             total=None, limits=call.limits)
    return {**envelope, "withheld": len(withheld)}


def page_line(entry: Mapping[str, Any]) -> str:
    last = entry["last_commit"]
    changed = f", last changed {last['date'] or '?'} by {last['author'] or 'unknown'}" if last else ""
    return f"- {entry['title']} (sub_url {entry['sub_url']}{changed})"


def render_pages(out: dict[str, Any]) -> str:
    lines = [page_line(entry) for entry in out["items"]] or ["No wiki pages on this page of the listing."]
    if out["withheld"]:
        lines.append(f"[{out['withheld']} pages withheld by policy]")
    return "\n".join([*lines, more_hint(out)])


def get_wiki_page(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """The page's text from start_line on, bounded like a file's; binary content is described, not shown."""
    raw = fetch_page(gitea, args, call)
    content = decoded(raw)
    binary = looks_binary(content)
    lines = [] if binary else content[: call.limits.file_bytes].decode("utf-8", errors="replace").splitlines(True)
    start = args["start_line"]
    if start > max(len(lines), 1):
        raise ToolFailure(f"start_line {start} is past the end of wiki page {args['title']!r} ({len(lines)} lines).")
    shown, clipped = clip("".join(lines[start - 1 :]), call.limits.chars)
    shown_end = start - 1 + shown.count("\n")
    truncation = (f"Cut at {call.limits.chars} characters after line {shown_end}; call again with "
                  f"start_line={shown_end + 1} to continue.") if clipped else None
    return {**page_fields(raw), "content": shown, "size": len(content), "binary": binary, "start_line": start,
            "total_lines": len(lines), "truncated": clipped, "truncation": truncation}


def render_page(out: dict[str, Any]) -> str:
    head = f"Wiki page {out['title']} ({out['commit_count']} revisions{last_change(out['last_commit'])}):"
    if out["binary"]:
        return f"{head}\nBinary content ({out['size']} bytes); its bytes are not shown."
    body = out["content"] or "(empty; a page larger than Gitea's API blob limit also reads as empty)"
    tail = f"\n[truncated: {out['truncation']}]" if out["truncated"] else ""
    return f"{head}\n{body}{tail}"


def last_change(last: Mapping[str, Any] | None) -> str:
    return f", last {last['sha'][:10]} by {last['author'] or 'unknown'} on {last['date'] or '?'}" if last else ""


def list_wiki_page_revisions(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    check_fallback_title(args, call)
    try:
        raw = gitea.list_wiki_page_revisions(args["owner"], args["repo"], web_path(args["title"]), page=args["page"])
    except GiteaNotFound:
        raise missing_page(args, call) from None
    commits = [entry for item in p.items(raw, "commits") if (entry := revision(item)) is not None]
    total = p.number(raw, "count")
    envelope = list_envelope(commits, page=args["page"], limit=REVISIONS_PER_PAGE,
                             has_more=args["page"] * REVISIONS_PER_PAGE < total, total=total, limits=call.limits)
    return {**envelope, "title": args["title"]}


def revision_line(entry: Mapping[str, Any]) -> str:
    who, when = entry["author"] or "unknown", entry["date"] or "no date"
    return f"- {entry['sha'][:10]} {p.first_line(entry['message'])} ({who}, {when})"


def render_revisions(out: dict[str, Any]) -> str:
    lines = [revision_line(entry) for entry in out["items"]] or ["No revisions on this page."]
    return "\n".join([f"Revisions of wiki page {out['title']}, newest first:", *lines, more_hint(out)])


# --- Writes -----------------------------------------------------------------------------------------------

def written_page(raw: Mapping[str, Any], changed: bool = True) -> dict[str, Any]:
    """What a write left: the page, and whether it changed (the same text again writes nothing)."""
    return {**page_fields(raw), "changed": changed}


def encoded(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def content_diff(old: str, new: str, sub_url: str, call: ToolCall) -> dict[str, Any]:
    """A unified diff of the page's text, bounded like any text a result shows."""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"{sub_url}.md (now)", f"{sub_url}.md (after)")
    diff, cut = clip("".join(line if line.endswith("\n") else line + "\n" for line in lines), call.limits.chars)
    return {"diff": diff, "diff_truncated": cut}


def with_diff(write: Callable[[], JSON], old: str, new: str, sub_url: str, call: ToolCall) -> JSON:
    """Send the write; a dry run's plan shows the diff of what the write would change."""
    try:
        return write()
    except PlannedWrite as planned:
        planned.preview.update(content_diff(old, new, sub_url, call))
        raise


def create_wiki_page(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo, title = args["owner"], args["repo"], args["title"]
    raw = with_diff(lambda: gitea.create_wiki_page(owner, repo, title, encoded(args["content"]),
                                                   message=args.get("message")),
                    "", args["content"], web_path(title), call)
    return written_page(raw)


def update_wiki_page(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Read the page (it must exist: Gitea's edit would create it), then replace its text under its own title;
    the same text again sends nothing (Gitea would add an empty revision)."""
    owner, repo, title = args["owner"], args["repo"], args["title"]
    current = fetch_page(gitea, args, call)
    old = decoded(current).decode("utf-8", errors="replace")
    if old == args["content"]:
        return written_page(current, changed=False)
    raw = with_diff(lambda: gitea.edit_wiki_page(owner, repo, web_path(title), title, encoded(args["content"]),
                                                 message=args.get("message")),
                    old, args["content"], web_path(title), call)
    return written_page(raw)


def render_written(verb: str) -> Callable[[dict[str, Any]], str]:
    def render(out: dict[str, Any]) -> str:
        done = verb if out["changed"] else "unchanged (it already has this text; nothing was written)"
        return f"Wiki page {done}: {out['title']} ({out['html_url']}){last_change(out['last_commit'])}."
    return render


REVISION_TEXTS = (UntrustedField("message", ("author",), "wiki commit {sha} in {repository}", markdown=False),
                  short_text("author", AUTHORS))
LAST_COMMIT = within("last_commit", *REVISION_TEXTS)
PAGE_TITLE = short_text("title", TITLES)
DIFF = UntrustedField("diff", (), "wiki page diff in {repository}", markdown=False)

TOOLS = (
    with_untrusted(Tool(
        name="list_wiki_pages",
        title="List wiki pages",
        description=(
            "List the pages of a repository's wiki: title, sub_url and last change. Gitea counts every file "
            "of the wiki in its paging, so a page of results may hold fewer entries than `limit` while "
            "has_more is true."
        ),
        toolset="wiki",
        arguments=s.ListWikiPagesArgs,
        output_schema=s.PAGE_LIST,
        handler=list_wiki_pages,
        render=render_pages,
    ), short_text("items[].title", TITLES), short_text("items[].sub_url", TITLES),
        *within("items[]", *LAST_COMMIT)),
    with_untrusted(Tool(
        name="get_wiki_page",
        title="Get wiki page",
        description=(
            "Read one wiki page by title: its Markdown text, revision count and last revision (sha, author, "
            "date, message). Long pages are cut at MAX_TOOL_RESPONSE_CHARS: call again with the start_line "
            "the truncation note gives."
        ),
        toolset="wiki",
        arguments=s.GetWikiPageArgs,
        output_schema=s.PAGE,
        handler=get_wiki_page,
        render=render_page,
        path_argument="title",
        path_namespace="wiki",
    ), UntrustedField("content", ("last_commit.author",), "wiki page {title} in {repository}"),
        PAGE_TITLE, short_text("sub_url", TITLES), *LAST_COMMIT),
    with_untrusted(Tool(
        name="list_wiki_page_revisions",
        title="List wiki page revisions",
        description="List the revisions of one wiki page, newest first, 50 per page: sha, author, date, message.",
        toolset="wiki",
        arguments=s.ListWikiPageRevisionsArgs,
        output_schema=s.REVISION_LIST,
        handler=list_wiki_page_revisions,
        render=render_revisions,
        path_argument="title",
        path_namespace="wiki",
    ), *within("items[]", *REVISION_TEXTS), PAGE_TITLE),
    with_untrusted(write_tool(
        name="create_wiki_page",
        title="Create wiki page",
        description="Create a wiki page with a title and Markdown text; fails if a page of that title exists.",
        toolset="wiki",
        arguments=s.CreateWikiPageArgs,
        output_schema=s.PAGE_WRITTEN,
        handler=create_wiki_page,
        render=render_written("created"),
        path_argument="title",
        path_namespace="wiki",
    ), PAGE_TITLE, short_text("sub_url", TITLES), *LAST_COMMIT, DIFF),
    with_untrusted(write_tool(
        name="update_wiki_page",
        title="Update wiki page",
        description=(
            "Replace the Markdown text of an existing wiki page (it keeps its title). A dry run shows the "
            "diff it would write."
        ),
        toolset="wiki",
        arguments=s.UpdateWikiPageArgs,
        output_schema=s.PAGE_WRITTEN,
        handler=update_wiki_page,
        render=render_written("updated"),
        destructive=True,
        idempotent=True,
        path_argument="title",
        path_namespace="wiki",
    ), PAGE_TITLE, short_text("sub_url", TITLES), *LAST_COMMIT, DIFF),
)
