"""Wiki routes: pages kept in the repository's own `<name>.wiki.git`, named the way Gitea names them.

Gitea's naming (services/wiki/wiki_path.go), reproduced here and described in README.md:
a page has a title ("Home Page"), a web path (`sub_url`, "Home-Page") and a git path ("Home-Page.md").
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import posixpath
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from flask import Blueprint, Response, jsonify, request

from tests.emulator.auth import require_login
from tests.emulator.errors import GiteaError, not_found
from tests.emulator.gitrepo import CommitInfo, GitRepository
from tests.emulator.model import Repository
from tests.emulator.paging import DEFAULT_PAGING_NUM, query_int, with_paging_headers
from tests.emulator.repo_access import json_body, readable_repo, store, writable_repo

bp = Blueprint("gitea_wiki", __name__)
WIKI_BRANCH = "main"  # DefaultWikiBranch: the instance's default branch for wikis made since 1.22
COMMITS_RANGE_SIZE = 50  # setting.Git.CommitsRangeSize: revisions come 50 a page, whatever `limit` says
MAX_BLOB_SIZE = 10 * 1024 * 1024  # setting.API.DefaultMaxBlobSize: a larger page reads as ""
DASH_MARKER = ".-"
RESERVED = ("_pages", "_new", "_edit", "raw")


# --- Gitea's names: title, web path, git path -----------------------------------------------------------

def unescape_segment(segment: str) -> str:
    """A web path segment's title: '-' means space unless the segment ends in the dash marker."""
    segment = segment[: -len(DASH_MARKER)] if segment.endswith(DASH_MARKER) else segment.replace("-", " ")
    return unquote_plus(segment)


def escape_segment(title: str, had_marker: bool) -> str:
    """A title as a web path segment (Go's url.QueryEscape keeps letters, digits and -_.~)."""
    if had_marker or "-" in title or title.endswith(".md"):
        title += DASH_MARKER
    else:
        title = title.replace(" ", "-")
    return quote_plus(title, safe="")


def path_join_rel(value: str) -> str:
    """util.PathJoinRelX: backslashes are slashes, the path is cleaned and made relative."""
    cleaned = posixpath.normpath("/" + value.replace("\\", "/")).lstrip("/")
    return "" if cleaned == "." else cleaned


def web_path_from_request(raw: str) -> str:
    """WebPathFromRequest: the raw (still escaped) segment, cleaned; a '/' inside is the legacy %2F."""
    return path_join_rel(raw).replace("/", "%2F")


def title_to_web_path(title: str) -> str:
    """UserTitleToWebPath: trimmed, escaped; nothing left means "unnamed"."""
    return path_join_rel(escape_segment(title.strip(), False)) or "unnamed"


def web_path_to_git_path(web: str) -> str:
    """WebPathToGitPath: a "*.md" web path names its file directly; otherwise re-escape each segment."""
    if web.endswith(".md"):
        return path_join_rel(unquote(web))
    parts = []
    for segment in web.split("/"):
        again = escape_segment(unescape_segment(segment), segment.endswith(DASH_MARKER))
        parts.append(again.replace("%20", " ").replace("+", " "))
    return "/".join(parts) + ".md"


def git_path_to_web_path(git_path: str) -> str | None:
    """GitPathToWebPath: None for a file that is not a page (no ".md")."""
    if not git_path.endswith(".md"):
        return None
    segments = git_path[: -len(".md")].split("/")
    return "/".join(escape_segment(unescape_segment(s), s.endswith(DASH_MARKER)) for s in segments)


def web_path_to_title(web: str) -> str:
    """WebPathToUserTitle's display name."""
    display = posixpath.basename(web)
    if display.endswith(".md"):
        display = unquote(display[: -len(".md")])
    return unescape_segment(display)


# --- The wiki repository ------------------------------------------------------------------------------

def wiki_head(repo: Repository) -> str:
    """The wiki's head commit; a repository without a wiki answers 404, as Gitea's findWikiRepoCommit does."""
    head = repo.wiki.resolve(f"refs/heads/{WIKI_BRANCH}") if repo.wiki else None
    if head is None:
        raise not_found()
    return head


def find_page(repo: Repository, web: str) -> tuple[str, bytes] | None:
    """(git path, content) of a page: its git path, else that path unescaped (findEntryForFile)."""
    head = wiki_head(repo)
    git_path = web_path_to_git_path(web)
    assert repo.wiki is not None
    for candidate in dict.fromkeys([git_path, unquote_plus(git_path)]):
        entry = repo.wiki.entry(head, candidate)
        if entry is not None and entry.type == "blob":
            return candidate, repo.wiki.blob(entry.sha)
    return None


def last_commit(repo: Repository, git_path: str) -> CommitInfo:
    assert repo.wiki is not None
    return repo.wiki.log([f"refs/heads/{WIKI_BRANCH}"], git_path, limit=1)[0]


def utc(moment: str) -> str:
    """Go's Author.When.UTC().Format(time.RFC3339)."""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wiki_commit(info: CommitInfo) -> dict[str, Any]:
    """convert.ToWikiCommit; the committer's key is spelled `commiter` in Gitea's JSON."""
    return {
        "sha": info.sha,
        "author": {"name": info.author_name, "email": info.author_email, "date": utc(info.author_date)},
        "commiter": {"name": info.committer_name, "email": info.committer_email, "date": utc(info.committer_date)},
        "message": info.message,
    }


def page_meta(repo: Repository, web: str, git_path: str) -> dict[str, Any]:
    """ToWikiPageMetaData."""
    return {"title": web_path_to_title(web), "html_url": f"{store().root_url}{repo.full_name}/wiki/{web}",
            "sub_url": web, "last_commit": wiki_commit(last_commit(repo, git_path))}


def encoded(content: bytes) -> str:
    return "" if len(content) > MAX_BLOB_SIZE else base64.b64encode(content).decode("ascii")


def page_json(repo: Repository, web: str) -> dict[str, Any]:
    """getWikiPage: the page with its sidebar and footer ("" when absent) and its revision count."""
    found = find_page(repo, web)
    if found is None:
        raise not_found()
    git_path, content = found
    assert repo.wiki is not None
    sidebar, footer = find_page(repo, "_Sidebar"), find_page(repo, "_Footer")
    return {
        **page_meta(repo, web, git_path), "content_base64": encoded(content),
        "commit_count": repo.wiki.count([f"refs/heads/{WIKI_BRANCH}"], git_path),
        "sidebar": encoded(sidebar[1]) if sidebar else "", "footer": encoded(footer[1]) if footer else "",
    }


def raw_page_name(marker: str) -> str:
    """The pageName segment as sent (PathParamRaw): Flask has already unescaped the one it matched."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or quote(request.path)
    path = raw.split("?", 1)[0]
    return path.split(marker, 1)[1] if marker in path else ""


# --- Reads --------------------------------------------------------------------------------------------

@bp.get("/repos/<owner>/<repo>/wiki/pages")
def list_pages(owner: str, repo: str) -> Response:
    """Every root entry counts for paging and X-Total-Count; only "*.md" blobs are listed (sidebar too)."""
    found = readable_repo(owner, repo)
    head = wiki_head(found)
    page = max(query_int("page", 1), 1)
    limit = query_int("limit", 0)
    limit = DEFAULT_PAGING_NUM if limit <= 1 else limit  # Gitea's `limit <= 1`: one-item pages do not exist
    assert found.wiki is not None
    entries = found.wiki.ls_tree(head)
    pages = []
    for entry in entries[(page - 1) * limit : page * limit]:
        web = git_path_to_web_path(entry.path) if entry.type == "blob" else None
        if web is not None:
            pages.append(page_meta(found, web, entry.path))
    return with_paging_headers(jsonify(pages), len(entries), page, limit)


@bp.get("/repos/<owner>/<repo>/wiki/page/<pageName>")
def get_page(owner: str, repo: str, pageName: str) -> Response:
    found = readable_repo(owner, repo)
    return jsonify(page_json(found, web_path_from_request(raw_page_name("/wiki/page/"))))


@bp.get("/repos/<owner>/<repo>/wiki/revisions/<pageName>")
def list_revisions(owner: str, repo: str, pageName: str) -> Response:
    """Revisions newest first, COMMITS_RANGE_SIZE a page; X-Total-Count but no Link header."""
    found = readable_repo(owner, repo)
    web = web_path_from_request(raw_page_name("/wiki/revisions/")) or "Home"
    page_file = find_page(found, web)
    if page_file is None:
        raise not_found()
    assert found.wiki is not None
    page = max(query_int("page", 1), 1)
    branch = [f"refs/heads/{WIKI_BRANCH}"]
    commits = found.wiki.log(branch, page_file[0], skip=(page - 1) * COMMITS_RANGE_SIZE, limit=COMMITS_RANGE_SIZE)
    count = found.wiki.count(branch, page_file[0])
    response = jsonify({"commits": [wiki_commit(info) for info in commits], "count": count})
    response.headers["X-Total-Count"] = str(count)
    return response


# --- Writes -------------------------------------------------------------------------------------------

def decoded_content(body: dict[str, Any]) -> bytes:
    """content_base64 as Go's base64.StdEncoding reads it (400 on anything else)."""
    try:
        return base64.b64decode(body.get("content_base64") or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GiteaError(400, f"illegal base64 data: {exc}") from None


def refuse_reserved(web: str) -> None:
    """validateWebPath: a segment named like one of the wiki's own routes is refused."""
    for segment in web.split("/"):
        if unescape_segment(segment) in RESERVED:
            raise GiteaError(400, f"wiki title is reserved: {unescape_segment(segment)}")


def ensure_wiki(repo: Repository) -> GitRepository:
    """InitWiki: the first page creates the wiki repository."""
    if repo.wiki is None:
        wiki = GitRepository(os.path.join(store().state_dir, "repositories", repo.owner, repo.name + ".wiki.git"))
        wiki.init(WIKI_BRANCH)
        repo.wiki = wiki
    return repo.wiki


def quoted(path: str) -> str:
    """A fast-import path in C-style quotes (spaces and non-ASCII names stay exact)."""
    return json.dumps(path, ensure_ascii=False)


def commit_page(repo: Repository, login: str, message: str, writes: dict[str, bytes | None]) -> None:
    """One wiki commit by the doer (name = full name, else login): files written, None deleted."""
    wiki = ensure_wiki(repo)
    user = store().user(login)
    name = (user.full_name or user.login) if user else login
    email = user.email if user else f"{login}@noreply.example"
    ident = f"{name} <{email}> {int(time.time())} +0000".encode()
    text = message.encode()
    parent = b"from refs/heads/%s^0\n" % WIKI_BRANCH.encode() if wiki.resolve(f"refs/heads/{WIKI_BRANCH}") else b""
    out = [b"commit refs/heads/%s\nauthor %s\ncommitter %s\n" % (WIKI_BRANCH.encode(), ident, ident),
           b"data %d\n%s\n" % (len(text), text), parent]
    for path, content in writes.items():
        if content is None:
            out.append(b"D %s\n" % quoted(path).encode())
        else:
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (quoted(path).encode(), len(content), content))
    wiki.fast_import(b"".join([*out, b"done\n"]))


def existing_path(repo: Repository, web: str) -> str | None:
    if repo.wiki is None or repo.wiki.resolve(f"refs/heads/{WIKI_BRANCH}") is None:
        return None
    found = find_page(repo, web)
    return found[0] if found else None


@bp.post("/repos/<owner>/<repo>/wiki/new")
def create_page(owner: str, repo: str) -> tuple[Response, int]:
    """NewWikiPage: 400 for an empty title, a reserved name or an existing page."""
    found = writable_repo(owner, repo)
    body = json_body()
    title = str(body.get("title") or "")
    if not title.strip():
        raise GiteaError(400, "")
    web = title_to_web_path(title)
    content = decoded_content(body)
    refuse_reserved(web)
    with store().lock:
        if existing_path(found, web) is not None:
            raise GiteaError(400, f"wiki page already exists [title: {web_path_to_git_path(web)}]")
        message = body.get("message") or f"Add {json.dumps(title)}"
        commit_page(found, require_login(), message, {web_path_to_git_path(web): content})
    return jsonify(page_json(found, web)), 201


@bp.patch("/repos/<owner>/<repo>/wiki/page/<pageName>")
def edit_page(owner: str, repo: str, pageName: str) -> Response:
    """EditWikiPage. Gitea's quirks kept: a body without a title renames the page to "unnamed"
    (UserTitleToWebPath("") is never empty), and editing a page that does not exist creates it."""
    found = writable_repo(owner, repo)
    body = json_body()
    old = web_path_from_request(raw_page_name("/wiki/page/"))
    new = title_to_web_path(str(body.get("title") or ""))
    content = decoded_content(body)
    refuse_reserved(new)
    with store().lock:
        writes: dict[str, bytes | None] = {}
        old_path = existing_path(found, old)
        if old_path is not None and old_path != web_path_to_git_path(new):
            writes[old_path] = None
        writes[web_path_to_git_path(new)] = content
        commit_page(found, require_login(), body.get("message") or f"Update {json.dumps(new)}", writes)
    return jsonify(page_json(found, new))
