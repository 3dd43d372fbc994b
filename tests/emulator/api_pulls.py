"""Pull requests and releases."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from tests.emulator.api_code import commit_page
from tests.emulator.api_issues import apply_triage
from tests.emulator.auth import current_login, require_login
from tests.emulator.errors import GiteaError, found_or_404, not_found
from tests.emulator.model import Issue, PullInfo, Release, Repository, now
from tests.emulator.paging import page_and_limit, page_slice, paged_json
from tests.emulator.repo_access import json_body, readable_repo, required, store, world, writable_repo

bp = Blueprint("gitea_pulls", __name__)


def _find_pull(repo: Repository, index: int) -> Issue:
    """Return PR #index or 404 (a plain issue number is not a PR)."""
    issue = repo.issues.get(index)
    if issue is None or issue.pull is None:
        raise not_found()
    return issue


def _pull_filter(issue: Issue) -> bool:
    """Apply ?state=, ?milestone=, ?labels= (ids), ?poster= and ?base_branch=."""
    assert issue.pull is not None
    args = request.args
    state = args.get("state", "open")
    labels = [int(v) for v in args.getlist("labels") if v.isdigit()]
    return (state in ("all", issue.state) and (not args.get("milestone") or
            str(issue.milestone) == args["milestone"]) and all(i in issue.labels for i in labels)
            and (not args.get("poster") or issue.user == args["poster"])
            and (not args.get("base_branch") or issue.pull.base_branch == args["base_branch"]))


@bp.get("/repos/<owner>/<repo>/pulls")
def list_pulls(owner: str, repo: str) -> Response:
    """List pull requests (list responses carry Gitea's list nulls)."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    pulls = sorted((i for i in found.issues.values() if i.pull and _pull_filter(i)), key=lambda i: -i.number)
    render = world().render
    items = [render.pull(found, i, current_login(), single=False) for i in page_slice(pulls, page, limit)]
    return paged_json(items, len(pulls), page, limit)


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>")
def get_pull(owner: str, repo: str, index: int) -> Response:
    """Return one pull request with its line counts."""
    found = readable_repo(owner, repo)
    return jsonify(world().render.pull(found, _find_pull(found, index), current_login(), single=True))


def _pull_range(repo: Repository, issue: Issue) -> tuple[str, str]:
    """Return (merge base, head sha) of a pull request."""
    assert issue.pull is not None
    head = repo.git.resolve(f"refs/heads/{issue.pull.head_branch}")
    base = repo.git.resolve(f"refs/heads/{issue.pull.base_branch}")
    if head is None or base is None:
        raise not_found("branch does not exist")
    return repo.git.merge_base(base, head) or base, head


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>.<any(diff, patch):diffType>")
def pull_diff(owner: str, repo: str, index: int, diffType: str) -> Response:
    """Return the pull request as a diff or a patch series."""
    found = readable_repo(owner, repo)
    base, head = _pull_range(found, _find_pull(found, index))
    text = found.git.diff_text(base, head) if diffType == "diff" else found.git.format_patch([f"{base}..{head}"])
    return Response(text, mimetype="text/plain")


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>/files")
def pull_files(owner: str, repo: str, index: int) -> Response:
    """List the files a pull request changes."""
    found = readable_repo(owner, repo)
    issue = _find_pull(found, index)
    base, head = _pull_range(found, issue)
    page, limit = page_and_limit()
    changes = found.git.diff_files(base, head)
    root = f"{store().root_url}{found.full_name}"
    statuses = {"A": "added", "D": "deleted", "M": "changed", "R": "renamed"}
    items = [{"filename": c.path, "status": statuses.get(c.status, "changed"), "additions": c.additions,
              "deletions": c.deletions, "changes": c.additions + c.deletions, "previous_filename": c.previous_path,
              "html_url": f"{root}/src/commit/{head}/{c.path}",
              "contents_url": f"{store().root_url}api/v1/repos/{found.full_name}/contents/{c.path}?ref={head}",
              "raw_url": f"{root}/raw/commit/{head}/{c.path}"} for c in page_slice(changes, page, limit)]
    response = paged_json(items, len(changes), page, limit)
    pages = max((len(changes) + limit - 1) // limit, 1)
    response.headers.update({"X-Page": str(page), "X-PerPage": str(limit), "X-PageCount": str(pages),
                             "X-HasMore": str(page < pages).lower()})
    return response


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>/commits")
def pull_commits(owner: str, repo: str, index: int) -> Response:
    """List a pull request's commits (no X-Total header, like Gitea)."""
    found = readable_repo(owner, repo)
    base, head = _pull_range(found, _find_pull(found, index))
    page, limit = page_and_limit()
    total = found.git.count([f"{base}..{head}"])
    commits = found.git.log([f"{base}..{head}"], skip=(page - 1) * limit, limit=limit)
    return commit_page(found, commits, total, page, limit, with_total=False)


@bp.post("/repos/<owner>/<repo>/pulls")
def create_pull(owner: str, repo: str) -> tuple[Response, int]:
    """Open a pull request between two branches of the repository."""
    found = readable_repo(owner, repo)
    login = require_login()
    body = json_body()
    head = str(required(body, "head", "Head")).split(":")[-1]
    base = str(required(body, "base", "Base"))
    title = required(body, "title", "Title")
    if not found.git.resolve(f"refs/heads/{head}") or not found.git.resolve(f"refs/heads/{base}"):
        raise not_found("branch does not exist")
    if head == base:
        raise GiteaError(422, "Invalid PullRequest: There are no changes between the head and the base")
    with store().lock:
        _refuse_duplicate(found, head, base)
        issue = _new_pull(found, login, title, (head, base), body)
    return jsonify(world().render.pull(found, issue, login, single=True)), 201


def _refuse_duplicate(repo: Repository, head: str, base: str) -> None:
    """Answer 409 with Gitea's message when an open PR has the same branches."""
    for issue in repo.issues.values():
        pull = issue.pull
        if pull and issue.state == "open" and (pull.head_branch, pull.base_branch) == (head, base):
            raise GiteaError(409, f"pull request already exists for these targets [id: {pull.id}, issue_id: "
                                  f"{issue.id}, head_repo_id: {repo.id}, base_repo_id: {repo.id}, "
                                  f"head_branch: {head}, base_branch: {base}]")


def _new_pull(repo: Repository, login: str, title: str, branches: tuple[str, str], body: dict[str, Any]) -> Issue:
    """Store a new pull request (labels, milestone, assignees only for writers)."""
    number = max(repo.issues, default=0) + 1
    issue = Issue(store().next_id("issue"), number, title, login, body.get("body", ""))
    issue.pull = PullInfo(store().next_id("pull"), *branches)
    if store().can(repo, login, "write"):
        apply_triage(repo, issue, body)
    repo.issues[number] = issue
    return issue


def _visible_releases(repo: Repository) -> list[Release]:
    """Return releases newest first; drafts only for writers."""
    writer = store().can(repo, current_login(), "write")
    return sorted((r for r in repo.releases if writer or not r.draft), key=lambda r: (r.created, r.id), reverse=True)


@bp.get("/repos/<owner>/<repo>/releases")
def list_releases(owner: str, repo: str) -> Response:
    """List releases (?draft=, ?pre-release= filters)."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    draft, pre = request.args.get("draft"), request.args.get("pre-release")
    releases = [r for r in _visible_releases(found) if (draft is None or r.draft == (draft == "true"))
                and (pre is None or r.prerelease == (pre == "true"))]
    items = [world().render.release(found, r) for r in page_slice(releases, page, limit)]
    return paged_json(items, len(releases), page, limit)


@bp.get("/repos/<owner>/<repo>/releases/latest")
def latest_release(owner: str, repo: str) -> Response:
    """Return the newest release that is neither a draft nor a prerelease."""
    found = readable_repo(owner, repo)
    release = next((r for r in _visible_releases(found) if not r.draft and not r.prerelease), None)
    return jsonify(world().render.release(found, found_or_404(release)))


@bp.get("/repos/<owner>/<repo>/releases/tags/<path:tag>")
def release_by_tag(owner: str, repo: str, tag: str) -> Response:
    """Return the release of a tag."""
    found = readable_repo(owner, repo)
    release = next((r for r in _visible_releases(found) if r.tag_name == tag), None)
    return jsonify(world().render.release(found, found_or_404(release)))


@bp.get("/repos/<owner>/<repo>/releases/<int:id>")
def get_release(owner: str, repo: str, id: int) -> Response:
    """Return a release by id."""
    found = readable_repo(owner, repo)
    return jsonify(world().render.release(found, _release(found, id)))


def _release(repo: Repository, release_id: int) -> Release:
    """Find a visible release by id or 404."""
    return found_or_404(next((r for r in _visible_releases(repo) if r.id == release_id), None))


@bp.post("/repos/<owner>/<repo>/releases")
def create_release(owner: str, repo: str) -> tuple[Response, int]:
    """Create a release; a missing tag is created at target_commitish (not for drafts)."""
    found = writable_repo(owner, repo)
    body = json_body()
    tag = required(body, "tag_name", "TagName")
    target = body.get("target_commitish") or found.default_branch
    with store().lock:
        if any(r.tag_name == tag for r in found.releases):
            raise GiteaError(409, f'Release with tag "{tag}" already exists')
        if not body.get("draft") and not found.git.resolve(f"refs/tags/{tag}"):
            found.git.update_ref(f"refs/tags/{tag}", _target_commit(found, target))
        release = Release(store().next_id("release"), tag, target, body.get("name") or tag, body.get("body", ""),
                          require_login(), bool(body.get("draft")), bool(body.get("prerelease")), now())
        found.releases.append(release)
    return jsonify(world().render.release(found, release)), 201


def _target_commit(repo: Repository, target: str) -> str:
    """Resolve a release target or answer 404."""
    return found_or_404(repo.git.resolve(target), f"target_commitish not found: {target}")


@bp.patch("/repos/<owner>/<repo>/releases/<int:id>")
def edit_release(owner: str, repo: str, id: int) -> Response:
    """Edit a release (only sent fields change)."""
    found = writable_repo(owner, repo)
    release = _release(found, id)
    body = json_body()
    with store().lock:
        for field, attribute in (("tag_name", "tag_name"), ("target_commitish", "target"), ("name", "name"),
                                 ("body", "body"), ("draft", "draft"), ("prerelease", "prerelease")):
            if body.get(field) is not None:
                setattr(release, attribute, body[field])
    return jsonify(world().render.release(found, release))

