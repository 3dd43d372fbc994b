"""Code routes answered from git: trees, contents, raw, blobs, commits, compare, branches, tags, archives, statuses."""

from __future__ import annotations

import base64
import posixpath
import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from tests.emulator.auth import current_login, require_login
from tests.emulator.errors import GiteaError, not_found
from tests.emulator.gitrepo import CommitInfo, TreeEntry
from tests.emulator.model import CommitStatus, Repository
from tests.emulator.paging import page_and_limit, page_slice, paged_json, query_int
from tests.emulator.repo_access import (
    json_body,
    query_bool,
    readable_repo,
    required,
    resolve_commit,
    store,
    world,
    writable_repo,
)

bp = Blueprint("gitea_code", __name__)
MAX_BLOB_SIZE = 10 * 1024 * 1024
GIT_TREES_PER_PAGE = 1000
STATUS_STATES = ["error", "failure", "warning", "pending", "success", "skipped"]  # worst first
EMPTY_REPO = "Git Repository is empty."


def _api(repo: Repository) -> str:
    """Return the API base URL of a repository."""
    return f"{store().root_url}api/v1/repos/{repo.full_name}"


def _ref_or_default(repo: Repository) -> str:
    """Return ?ref= or the default branch."""
    return request.args.get("ref") or repo.default_branch


def _ref_kind(repo: Repository, ref: str) -> str:
    """Return the URL segment Gitea uses for a ref: branch, tag or commit."""
    if repo.git.resolve(f"refs/heads/{ref}"):
        return "branch"
    return "tag" if repo.git.resolve(f"refs/tags/{ref}") else "commit"


@bp.get("/repos/<owner>/<repo>/git/trees/<sha>")
def git_tree(owner: str, repo: str, sha: str) -> Response:
    """Return a tree page: `sha` is the tree id; `truncated` when more entries follow."""
    found = readable_repo(owner, repo)
    tree_sha = found.git.resolve(sha, "tree")
    if tree_sha is None:
        raise GiteaError(400, f"sha not found: {sha}")
    page = max(query_int("page", 1), 1)
    per_page = query_int("per_page", GIT_TREES_PER_PAGE)
    per_page = GIT_TREES_PER_PAGE if per_page <= 0 else min(per_page, GIT_TREES_PER_PAGE)
    entries = found.git.ls_tree(tree_sha, recursive=query_bool("recursive", False))
    chunk = page_slice(entries, page, per_page)
    return jsonify({
        "sha": tree_sha, "url": f"{_api(found)}/git/trees/{tree_sha}",
        "tree": [_tree_entry(found, e) for e in chunk] or None,
        "truncated": page * per_page < len(entries), "page": page, "total_count": len(entries),
    })


def _tree_entry(repo: Repository, entry: TreeEntry) -> dict[str, Any]:
    """Render one git tree entry; submodules have no URL."""
    kind = {"blob": "blobs", "tree": "trees"}.get(entry.type)
    return {"path": entry.path, "mode": entry.mode, "type": entry.type, "size": entry.size, "sha": entry.sha,
            "url": f"{_api(repo)}/git/{kind}/{entry.sha}" if kind else ""}


@bp.get("/repos/<owner>/<repo>/contents")
def contents_root(owner: str, repo: str) -> Response:
    """List the root directory."""
    return contents(owner, repo, "")


@bp.get("/repos/<owner>/<repo>/contents/<path:filepath>")
def contents(owner: str, repo: str, filepath: str) -> Response:
    """Return a file (object) or a directory (array of entries)."""
    found = readable_repo(owner, repo)
    ref = _ref_or_default(found)
    commit = found.git.resolve(ref)
    if commit is None:
        raise not_found(f"no such ref: {ref}")
    path = filepath.strip("/")
    entry = found.git.entry(commit, path)
    if entry is None:
        raise not_found(f"object does not exist [id: , rel_path: {path}]")
    if entry.type == "tree":
        children = found.git.ls_tree(commit, path) if path else found.git.ls_tree(commit)
        return jsonify([_content(found, ref, child, with_body=False) for child in children])
    return jsonify(_content(found, ref, entry, with_body=True))


def _content(repo: Repository, ref: str, entry: TreeEntry, with_body: bool) -> dict[str, Any]:
    """Render a ContentsResponse; content only for a requested file under 10 MiB."""
    kind = {"tree": "dir", "commit": "submodule"}.get(entry.type, "symlink" if entry.mode == "120000" else "file")
    html = f"{store().root_url}{repo.full_name}/src/{_ref_kind(repo, ref)}/{ref}/{entry.path}"
    git_url = f"{_api(repo)}/git/{'trees' if kind == 'dir' else 'blobs'}/{entry.sha}"
    show = with_body and kind == "file" and entry.size <= MAX_BLOB_SIZE
    data = repo.git.blob(entry.sha) if show or kind == "symlink" else b""
    return {
        "name": entry.path.rsplit("/", 1)[-1], "path": entry.path, "sha": entry.sha,
        "last_commit_sha": None, "last_commit_message": None, "last_committer_date": None, "last_author_date": None,
        "type": kind, "size": entry.size, "encoding": "base64" if show else None,
        "content": base64.b64encode(data).decode() if show else None,
        "target": data.decode("utf-8", "replace") if kind == "symlink" else None,
        "url": f"{_api(repo)}/contents/{entry.path}?ref={ref}", "html_url": html, "git_url": git_url,
        "download_url": None if kind == "dir" else
        f"{store().root_url}{repo.full_name}/raw/{_ref_kind(repo, ref)}/{ref}/{entry.path}",
        "submodule_git_url": None, "lfs_oid": None, "lfs_size": None,
        "_links": {"self": f"{_api(repo)}/contents/{entry.path}?ref={ref}", "git": git_url, "html": html},
    }


@bp.get("/repos/<owner>/<repo>/raw/<path:filepath>")
def raw(owner: str, repo: str, filepath: str) -> Response:
    """Return raw file bytes; the ref is read out of `?ref=` joined with the path, as Gitea does."""
    found = readable_repo(owner, repo)
    ref, path = _legacy_ref_path(found, filepath.strip("/"), (request.args.get("ref") or "").strip())
    # RepoRefForAPI: a branch, a tag or a full-length commit id; anything else is not found.
    commit = found.git.resolve(ref) if ref in found.git.ref_names() or len(ref) == 40 else None
    entry = found.git.entry(commit, path) if commit else None
    if entry is None or entry.type != "blob":
        raise not_found()
    return Response(found.git.blob(entry.sha), mimetype="application/octet-stream")


def _legacy_ref_path(repo: Repository, req_path: str, extra_ref: str) -> tuple[str, str]:
    """Gitea's getRefNameLegacy (GG:services/context/repo.go; RepoRefForAPI passes `?ref=` as extraRef):
    `path.Join(extraRef, reqPath)`, then the SHORTEST branch prefix, "HEAD", the shortest tag prefix, a
    full-length commit id as first segment; otherwise the default branch with the path as asked."""
    joined = posixpath.normpath(posixpath.join(extra_ref, req_path)).lstrip("/") if extra_ref else req_path
    parts = joined.split("/")
    for kind in ("heads", "tags"):
        names = {name for name, _ in repo.git.refs(f"refs/{kind}")}  # one git call, not one per prefix
        for cut in range(1, len(parts) + 1):
            if "/".join(parts[:cut]) in names:
                return "/".join(parts[:cut]), "/".join(parts[cut:])
        if kind == "heads" and parts[0] == "HEAD":
            return repo.default_branch, "/".join(parts[1:])
    if re.fullmatch(r"[0-9a-f]{40}", parts[0]):
        return parts[0], "/".join(parts[1:])
    return repo.default_branch, req_path


@bp.get("/repos/<owner>/<repo>/git/blobs/<sha>")
def git_blob(owner: str, repo: str, sha: str) -> Response:
    """Return a blob as base64."""
    found = readable_repo(owner, repo)
    if found.git.object_type(sha) != "blob":
        raise not_found()
    data = found.git.blob(sha)
    return jsonify({"content": base64.b64encode(data).decode(), "encoding": "base64",
                    "url": f"{_api(found)}/git/blobs/{sha}", "sha": sha, "size": len(data),
                    "lfs_oid": None, "lfs_size": None})


@bp.get("/repos/<owner>/<repo>/commits")
def list_commits(owner: str, repo: str) -> Response:
    """List commits with X-Page/X-PerPage/X-Total/X-PageCount/X-HasMore."""
    found = readable_repo(owner, repo)
    if found.git.is_empty():
        raise GiteaError(409, EMPTY_REPO)
    head = resolve_commit(found, request.args.get("sha") or found.default_branch)
    revs = [head] + [f"^{n}" for n in request.args.getlist("not") if found.git.resolve(n)]
    revs += [f"--since={v}" for v in request.args.getlist("since")]
    revs += [f"--until={v}" for v in request.args.getlist("until")]
    path = request.args.get("path", "")
    page, limit = page_and_limit()
    total = found.git.count(revs, path)
    if path and total == 0:
        raise not_found()
    commits = found.git.log(revs, path, skip=(page - 1) * limit, limit=limit)
    return commit_page(found, commits, total, page, limit, with_total=True)


def commit_page(repo: Repository, commits: list[CommitInfo], total: int, page: int, limit: int, *,
                with_total: bool) -> Response:
    """Answer a page of commits with Gitea's commit paging headers."""
    stat, files = query_bool("stat", True), query_bool("files", True)
    response = paged_json([world().render.commit(repo, c, stat, files) for c in commits], total, page, limit)
    pages = max((total + limit - 1) // limit, 1)
    response.headers.update({"X-Page": str(page), "X-PerPage": str(limit), "X-PageCount": str(pages),
                             "X-HasMore": str(page < pages).lower()})
    if with_total:
        response.headers["X-Total"] = str(total)
    return response


@bp.get("/repos/<owner>/<repo>/git/commits/<sha>")
def get_commit(owner: str, repo: str, sha: str) -> Response:
    """Return one commit."""
    found = readable_repo(owner, repo)
    info = found.git.commit(sha)
    if info is None:
        raise not_found(f"commit not found: {sha}")
    return jsonify(world().render.commit(found, info, query_bool("stat", True), query_bool("files", True)))


@bp.get("/repos/<owner>/<repo>/git/commits/<sha>.<any(diff, patch):diffType>")
def commit_diff(owner: str, repo: str, sha: str, diffType: str) -> Response:
    """Return a commit as a diff or an mbox patch."""
    found = readable_repo(owner, repo)
    commit = found.git.resolve(sha)
    if commit is None:
        raise not_found()
    text = found.git.commit_diff(commit) if diffType == "diff" else found.git.format_patch(["-1", commit])
    return Response(text, mimetype="text/plain")


@bp.get("/repos/<owner>/<repo>/compare/<path:basehead>")
def compare(owner: str, repo: str, basehead: str) -> Response:
    """Compare two refs (`base...head` or `base..head`); ?output=diff|patch gives raw text."""
    found = readable_repo(owner, repo)
    separator = "..." if "..." in basehead else ".."
    if separator not in basehead:
        raise GiteaError(400, "invalid compare: expected base...head")
    base_ref, head_ref = basehead.split(separator, 1)
    base, head = resolve_commit(found, base_ref), resolve_commit(found, head_ref)
    output = request.args.get("output")
    if output == "diff":
        return Response(found.git.diff_text(found.git.merge_base(base, head) or base, head), mimetype="text/plain")
    if output == "patch":
        return Response(found.git.format_patch([f"{base}..{head}"]), mimetype="text/plain")
    commits = found.git.log([f"{base}..{head}"])
    render = world().render
    return jsonify({"total_commits": len(commits), "commits": [render.commit(found, c) for c in commits]})


def _branch(repo: Repository, name: str, sha: str) -> dict[str, Any]:
    """Render a Branch with its head commit."""
    info = repo.git.commit(sha)
    assert info is not None
    writer = store().can(repo, current_login(), "write")
    return {"name": name, "commit": world().render.payload_commit(repo, info), "protected": False,
            "required_approvals": 0, "enable_status_check": False, "status_check_contexts": [],
            "user_can_push": writer, "user_can_merge": writer, "effective_branch_protection_name": ""}


@bp.get("/repos/<owner>/<repo>/git/refs")
@bp.get("/repos/<owner>/<repo>/git/refs/<path:ref>")
def git_refs(owner: str, repo: str, ref: str = "") -> Response:
    """Refs whose full name starts with `refs/<ref>` (Gitea's GetRefsFiltered prefix match): one match is
    answered as an object, several as a list, none as 404."""
    found = readable_repo(owner, repo)
    prefix = f"refs/{ref}" if ref else "refs/"
    listed = found.git.run("for-each-ref", "--format=%(refname)%09%(objectname)%09%(objecttype)").decode()
    matches = [line.split("\t") for line in listed.splitlines() if line.startswith(prefix)]
    if not matches:
        raise not_found("ref not found")
    items = [{"ref": name, "url": f"{_api(found)}/git/{name}",
              "object": {"type": kind, "sha": sha, "url": f"{_api(found)}/git/{kind}s/{sha}"}}
             for name, sha, kind in matches]
    return jsonify(items[0] if len(items) == 1 and ref else items)


@bp.get("/repos/<owner>/<repo>/branches")
def list_branches(owner: str, repo: str) -> Response:
    """List branches (filter ?q=)."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    words = request.args.get("q", "").lower()
    heads = [(n, s) for n, s in found.git.refs("refs/heads") if words in n.lower()]
    items = [_branch(found, n, s) for n, s in page_slice(heads, page, limit)]
    return paged_json(items, len(heads), page, limit)


@bp.get("/repos/<owner>/<repo>/branches/<path:branch>")
def get_branch(owner: str, repo: str, branch: str) -> Response:
    """Return one branch."""
    found = readable_repo(owner, repo)
    sha = found.git.resolve(f"refs/heads/{branch}")
    if sha is None:
        raise not_found("Branch not found")
    return jsonify(_branch(found, branch, sha))


@bp.post("/repos/<owner>/<repo>/branches")
def create_branch(owner: str, repo: str) -> tuple[Response, int]:
    """Create a branch from old_ref_name (or the deprecated old_branch_name, or the default branch)."""
    found = writable_repo(owner, repo)
    body = json_body()
    name = required(body, "new_branch_name", "NewBranchName")
    old = body.get("old_ref_name") or body.get("old_branch_name") or found.default_branch
    sha = found.git.resolve(old)
    if sha is None:
        raise not_found("The old branch does not exist")
    with store().lock:
        if found.git.resolve(f"refs/heads/{name}"):
            raise GiteaError(409, "The branch already exists.")
        found.git.update_ref(f"refs/heads/{name}", sha)
    return jsonify(_branch(found, name, sha)), 201


def _tag(repo: Repository, name: str, commit: str) -> dict[str, Any]:
    """Render a Tag; annotated tags carry their object id and message."""
    annotated = repo.git.tag_object(name)
    info = repo.git.commit(commit)
    base = f"{store().root_url}{repo.full_name}/archive/{name}"
    return {"name": name, "message": annotated[1] if annotated else (info.message if info else ""),
            "id": annotated[0] if annotated else commit,
            "commit": {"url": f"{_api(repo)}/git/commits/{commit}", "sha": commit,
                       "created": info.committer_date if info else None},
            "zipball_url": base + ".zip", "tarball_url": base + ".tar.gz"}


@bp.get("/repos/<owner>/<repo>/tags")
def list_tags(owner: str, repo: str) -> Response:
    """List tags, newest first."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    tags = list(reversed(found.git.refs("refs/tags")))
    return paged_json([_tag(found, n, s) for n, s in page_slice(tags, page, limit)], len(tags), page, limit)


@bp.get("/repos/<owner>/<repo>/tags/<path:tag>")
def get_tag(owner: str, repo: str, tag: str) -> Response:
    """Return one tag."""
    found = readable_repo(owner, repo)
    sha = found.git.resolve(f"refs/tags/{tag}")
    if sha is None:
        raise not_found()
    return jsonify(_tag(found, tag, sha))


@bp.get("/repos/<owner>/<repo>/archive/<path:archive>")
def archive(owner: str, repo: str, archive: str) -> Response:
    """Return `{ref}.tar.gz` or `{ref}.zip` made by git archive."""
    found = readable_repo(owner, repo)
    formats = {".tar.gz": ("tar.gz", "application/gzip"), ".zip": ("zip", "application/zip")}
    suffix = next((s for s in formats if archive.endswith(s)), None)
    if suffix is None:
        raise not_found()
    ref = archive[: -len(suffix)]
    commit = found.git.resolve(ref)
    if commit is None:
        raise not_found()
    fmt, mimetype = formats[suffix]
    data = found.git.archive(commit, fmt, f"{found.name}/", request.args.getlist("path"))
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{found.name}-{ref.replace("/", "-")}{suffix}"'
    return response


def _statuses_for(repo: Repository, sha: str) -> list[CommitStatus]:
    """Return a commit's statuses, newest first."""
    return sorted((s for s in repo.statuses if s.sha == sha), key=lambda s: -s.id)


@bp.get("/repos/<owner>/<repo>/commits/<path:ref>/status")
def combined_status(owner: str, repo: str, ref: str) -> Response:
    """Return the combined status (latest per context); all-zero with `statuses: null` when none."""
    found = readable_repo(owner, repo)
    sha = resolve_commit(found, ref)
    latest: dict[str, CommitStatus] = {}
    for status in _statuses_for(found, sha):
        latest.setdefault(status.context, status)
    if not latest:
        return jsonify({"state": "", "sha": "", "total_count": 0, "statuses": None, "repository": None,
                        "commit_url": "", "url": ""})
    statuses = sorted(latest.values(), key=lambda s: s.id)
    render = world().render
    return jsonify({
        "state": min((s.state for s in statuses), key=STATUS_STATES.index), "sha": sha,
        "total_count": len(statuses), "statuses": [render.status(found, s) for s in statuses],
        "repository": render.repo(found, current_login()), "commit_url": f"{_api(found)}/commits/{sha}",
        "url": f"{_api(found)}/commits/{sha}/status",
    })


@bp.get("/repos/<owner>/<repo>/commits/<path:ref>/statuses")
def ref_statuses(owner: str, repo: str, ref: str) -> Response:
    """List every status of a ref."""
    found = readable_repo(owner, repo)
    return _status_list(found, resolve_commit(found, ref))


@bp.get("/repos/<owner>/<repo>/statuses/<sha>")
def sha_statuses(owner: str, repo: str, sha: str) -> Response:
    """List every status of a commit."""
    found = readable_repo(owner, repo)
    return _status_list(found, resolve_commit(found, sha))


def _status_list(repo: Repository, sha: str) -> Response:
    """Answer one page of statuses (?state= filter)."""
    page, limit = page_and_limit()
    wanted = request.args.get("state")
    statuses = [s for s in _statuses_for(repo, sha) if not wanted or s.state == wanted]
    items = [world().render.status(repo, s) for s in page_slice(statuses, page, limit)]
    return paged_json(items, len(statuses), page, limit)


@bp.post("/repos/<owner>/<repo>/statuses/<sha>")
def create_status(owner: str, repo: str, sha: str) -> tuple[Response, int]:
    """Post a status on a commit."""
    found = writable_repo(owner, repo)
    body = json_body()
    commit = resolve_commit(found, sha)
    state = body.get("state", "")
    if state not in STATUS_STATES:
        raise GiteaError(400, f"invalid commit status state: {state}")
    status = CommitStatus(store().next_id("status"), commit, state, body.get("context") or "default",
                          body.get("description", ""), body.get("target_url", ""), require_login())
    with store().lock:
        found.statuses.append(status)
    return jsonify(world().render.status(found, status)), 201

