"""Issues, comments, labels and milestones (the `issue` scope group of Gitea's router)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from tests.emulator.auth import require_login
from tests.emulator.errors import GiteaError, found_or_404, not_found
from tests.emulator.model import Comment, Issue, Label, Milestone, Repository, normalize_color, now
from tests.emulator.paging import page_and_limit, page_slice, paged_json
from tests.emulator.repo_access import (
    WRITE_DENIED,
    json_body,
    readable_repo,
    required,
    store,
    world,
    writable_repo,
)

bp = Blueprint("gitea_issues", __name__)


def find_issue(repo: Repository, index: int) -> Issue:
    """Return issue #index or 404."""
    return found_or_404(repo.issues.get(index))


def _parse_time(value: Any, field: str) -> datetime | None:
    """Parse an RFC 3339 time from a request body (422 on junk)."""
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise GiteaError(422, f"[{field}]: must be a valid date-time") from error


def _labels_of(repo: Repository) -> list[Label]:
    """Return repository labels followed by the owner organization's labels."""
    org = store().org(repo.owner)
    return repo.labels + (org.labels if org else [])


def _issue_filter(repo: Repository, issue: Issue) -> bool:
    """Tell whether an issue passes the list filters of the request."""
    args = request.args
    state = args.get("state", "open")
    kind = args.get("type")
    if (state not in ("all", issue.state)) or (kind == "issues" and issue.pull) or (
            kind == "pulls" and not issue.pull):
        return False
    names = {label["name"] for label in world().render.issue_labels(repo, issue)}
    wanted = [n for n in args.get("labels", "").split(",") if n]
    if any(n not in names for n in wanted):
        return False
    return _milestone_hit(repo, issue) and _people_hit(issue) and _text_hit(issue)


def _milestone_hit(repo: Repository, issue: Issue) -> bool:
    """Apply ?milestones= (names or ids, comma separated)."""
    wanted = [m for m in request.args.get("milestones", "").split(",") if m]
    if not wanted:
        return True
    ids = {m.id for m in repo.milestones if m.title in wanted or str(m.id) in wanted}
    return issue.milestone in ids


def _people_hit(issue: Issue) -> bool:
    """Apply ?created_by= and ?assigned_by=."""
    creator, assignee = request.args.get("created_by"), request.args.get("assigned_by")
    return (not creator or issue.user == creator) and (not assignee or assignee in issue.assignees)


def _text_hit(issue: Issue) -> bool:
    """Apply ?q=, ?since= and ?before=."""
    words = request.args.get("q", "").lower()
    since = _parse_time(request.args.get("since"), "Since")
    before = _parse_time(request.args.get("before"), "Before")
    return ((not words or words in (issue.title + issue.body).lower()) and (not since or issue.updated >= since)
            and (not before or issue.updated <= before))


@bp.get("/repos/<owner>/<repo>/issues")
def list_issues(owner: str, repo: str) -> Response:
    """List issues and (without ?type=issues) pull requests, newest first."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    issues = sorted((i for i in found.issues.values() if _issue_filter(found, i)), key=lambda i: -i.number)
    items = [world().render.issue(found, i) for i in page_slice(issues, page, limit)]
    return paged_json(items, len(issues), page, limit)


@bp.get("/repos/<owner>/<repo>/issues/<int:index>")
def get_issue(owner: str, repo: str, index: int) -> Response:
    """Return one issue (PR numbers work too)."""
    found = readable_repo(owner, repo)
    return jsonify(world().render.issue(found, find_issue(found, index)))


@bp.post("/repos/<owner>/<repo>/issues")
def create_issue(owner: str, repo: str) -> tuple[Response, int]:
    """Create an issue; labels, milestone and assignees only stick for writers."""
    found = readable_repo(owner, repo)
    login = require_login()
    body = json_body()
    title = required(body, "title", "Title")
    with store().lock:
        number = max(found.issues, default=0) + 1
        issue = Issue(store().next_id("issue"), number, title, login, body.get("body", ""), ref=body.get("ref", ""))
        issue.due_date = _parse_time(body.get("due_date"), "Deadline")
        if store().can(found, login, "write"):
            apply_triage(found, issue, body)
        if body.get("closed"):
            issue.state, issue.closed_at = "closed", now()
        found.issues[number] = issue
    return jsonify(world().render.issue(found, issue)), 201


def apply_triage(repo: Repository, issue: Issue, body: dict[str, Any]) -> None:
    """Set labels (IDs), milestone (id) and assignees from a create body."""
    known = {label.id for label in _labels_of(repo)}
    issue.labels = [i for i in body.get("labels") or [] if i in known]
    if body.get("milestone"):
        issue.milestone = _milestone_by_id(repo, int(body["milestone"])).id
    issue.assignees = _assignees(repo, body.get("assignees") or ([body["assignee"]] if body.get("assignee") else []))


def _assignees(repo: Repository, logins: list[str]) -> list[str]:
    """Validate assignees: each must exist and be able to read the repository."""
    for login in logins:
        user = store().user(login)
        if user is None or not store().can(repo, user.login, "read"):
            raise GiteaError(422, f"user does not exist [uid: 0, name: {login}]")
    return [store().user(login).login for login in logins]  # type: ignore[union-attr]


@bp.patch("/repos/<owner>/<repo>/issues/<int:index>")
def edit_issue(owner: str, repo: str, index: int) -> tuple[Response, int]:
    """Edit an issue (only sent fields change) and answer 201 like Gitea."""
    found = readable_repo(owner, repo)
    login = require_login()
    issue = find_issue(found, index)
    writer = store().can(found, login, "write")
    if issue.user != login and not writer:
        raise GiteaError(403, WRITE_DENIED)
    body = json_body()
    with store().lock:
        _edit_fields(found, issue, body, writer)
        issue.updated = now()
    return jsonify(world().render.issue(found, issue)), 201


def _edit_fields(repo: Repository, issue: Issue, body: dict[str, Any], writer: bool) -> None:
    """Apply an EditIssueOption; milestone/assignee changes by non-writers are ignored."""
    for field in ("title", "body", "ref"):
        if body.get(field) is not None:
            setattr(issue, field, body[field])
    if body.get("unset_due_date"):
        issue.due_date = None
    elif body.get("due_date"):
        issue.due_date = _parse_time(body["due_date"], "Deadline")
    if writer and "milestone" in body and body["milestone"] is not None:
        issue.milestone = _milestone_by_id(repo, int(body["milestone"])).id if body["milestone"] else None
    if writer and body.get("assignees") is not None:
        issue.assignees = _assignees(repo, body["assignees"])
    if body.get("state") in ("open", "closed") and body["state"] != issue.state:
        if issue.pull and issue.pull.merged:
            raise GiteaError(412, "cannot change state of this pull request, it was already merged")
        issue.state = body["state"]
        issue.closed_at = now() if issue.state == "closed" else None


@bp.post("/repos/<owner>/<repo>/issues/<int:index>/assignees")
def add_assignees(owner: str, repo: str, index: int) -> tuple[Response, int]:
    """Add assignees to an issue."""
    found = writable_repo(owner, repo)
    issue = find_issue(found, index)
    with store().lock:
        for login in _assignees(found, json_body().get("assignees") or []):
            if login not in issue.assignees:
                issue.assignees.append(login)
    return jsonify(world().render.issue(found, issue)), 201


@bp.delete("/repos/<owner>/<repo>/issues/<int:index>/assignees")
def remove_assignees(owner: str, repo: str, index: int) -> Response:
    """Remove assignees from an issue."""
    found = writable_repo(owner, repo)
    issue = find_issue(found, index)
    gone = {login.lower() for login in json_body().get("assignees") or []}
    with store().lock:
        issue.assignees = [login for login in issue.assignees if login.lower() not in gone]
    return jsonify(world().render.issue(found, issue))


@bp.get("/repos/<owner>/<repo>/issues/<int:index>/comments")
def issue_comments(owner: str, repo: str, index: int) -> Response:
    """List an issue's comments (no paging)."""
    found = readable_repo(owner, repo)
    issue = find_issue(found, index)
    return jsonify([world().render.comment(found, issue, c) for c in issue.comments])


@bp.post("/repos/<owner>/<repo>/issues/<int:index>/comments")
def create_comment(owner: str, repo: str, index: int) -> tuple[Response, int]:
    """Comment on an issue or pull request."""
    found = readable_repo(owner, repo)
    login = require_login()
    issue = find_issue(found, index)
    text = required(json_body(), "body", "Body")
    comment = Comment(store().next_id("comment"), issue.number, login, text)
    with store().lock:
        issue.comments.append(comment)
        issue.updated = comment.created
    return jsonify(world().render.comment(found, issue, comment)), 201


@bp.get("/repos/<owner>/<repo>/issues/comments")
def repo_comments(owner: str, repo: str) -> Response:
    """List every comment of a repository, oldest first."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    pairs = sorted(((i, c) for i in found.issues.values() for c in i.comments), key=lambda pair: pair[1].id)
    items = [world().render.comment(found, i, c) for i, c in page_slice(pairs, page, limit)]
    return paged_json(items, len(pairs), page, limit)


def _find_comment(repo: Repository, comment_id: int) -> tuple[Issue, Comment]:
    """Return (issue, comment) for a comment id or 404."""
    for issue in repo.issues.values():
        for comment in issue.comments:
            if comment.id == comment_id:
                return issue, comment
    raise not_found()


@bp.get("/repos/<owner>/<repo>/issues/comments/<int:id>")
def get_comment(owner: str, repo: str, id: int) -> Response:
    """Return one comment."""
    found = readable_repo(owner, repo)
    issue, comment = _find_comment(found, id)
    return jsonify(world().render.comment(found, issue, comment))


@bp.patch("/repos/<owner>/<repo>/issues/comments/<int:id>")
def edit_comment(owner: str, repo: str, id: int) -> Response:
    """Edit a comment (its poster or a writer)."""
    found = readable_repo(owner, repo)
    login = require_login()
    issue, comment = _find_comment(found, id)
    if comment.user != login and not store().can(found, login, "write"):
        raise GiteaError(403, WRITE_DENIED)
    text = required(json_body(), "body", "Body")
    with store().lock:
        comment.body, comment.updated = text, now()
    return jsonify(world().render.comment(found, issue, comment))


@bp.get("/repos/<owner>/<repo>/issues/<int:index>/labels")
def issue_labels(owner: str, repo: str, index: int) -> Response:
    """List an issue's labels."""
    found = readable_repo(owner, repo)
    return jsonify(world().render.issue_labels(found, find_issue(found, index)))


@bp.route("/repos/<owner>/<repo>/issues/<int:index>/labels", methods=["POST", "PUT"])
def set_issue_labels(owner: str, repo: str, index: int) -> Response:
    """Add (POST) or replace (PUT) labels given as all IDs or all names; unknown ones are dropped."""
    found = writable_repo(owner, repo)
    issue = find_issue(found, index)
    chosen = _labels_from_body(found, json_body().get("labels") or [])
    with store().lock:
        current = [] if request.method == "PUT" else list(issue.labels)
        for label in chosen:
            current = _with_label(found, current, label)
        issue.labels, issue.updated = current, now()
    return jsonify(world().render.issue_labels(found, issue))


def _labels_from_body(repo: Repository, values: list[Any]) -> list[Label]:
    """Resolve label IDs or names (mixing both is a 400)."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values) and not all(
            isinstance(v, str) for v in values):
        raise GiteaError(400, "a label must be an integer or a string")
    known = _labels_of(repo)
    return [label for v in values for label in known if v in (label.id, label.name)]


def _with_label(repo: Repository, current: list[int], label: Label) -> list[int]:
    """Add a label, dropping other exclusive labels of the same scope (`scope/name`)."""
    scope = label.name.rsplit("/", 1)[0] if label.exclusive and "/" in label.name else None
    by_id = {known.id: known for known in _labels_of(repo)}
    kept = [i for i in current if i != label.id and not (
        scope and by_id[i].exclusive and by_id[i].name.rsplit("/", 1)[0] == scope and "/" in by_id[i].name)]
    return [*kept, label.id]


@bp.delete("/repos/<owner>/<repo>/issues/<int:index>/labels")
def clear_issue_labels(owner: str, repo: str, index: int) -> tuple[str, int]:
    """Remove every label of an issue."""
    found = writable_repo(owner, repo)
    find_issue(found, index).labels = []
    return "", 204


@bp.delete("/repos/<owner>/<repo>/issues/<int:index>/labels/<int:id>")
def remove_issue_label(owner: str, repo: str, index: int, id: int) -> tuple[str, int]:
    """Remove one label of an issue (422 when the label does not exist)."""
    found = writable_repo(owner, repo)
    issue = find_issue(found, index)
    if id not in {label.id for label in _labels_of(found)}:
        raise GiteaError(422, f"label does not exist [label_id: {id}]")
    issue.labels = [i for i in issue.labels if i != id]
    return "", 204


@bp.get("/repos/<owner>/<repo>/labels")
def list_labels(owner: str, repo: str) -> Response:
    """List repository labels."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    items = [world().render.label(label, found) for label in page_slice(found.labels, page, limit)]
    return paged_json(items, len(found.labels), page, limit)


def _repo_label(repo: Repository, key: str) -> Label:
    """Find a repository label by id, or by name when the key is not numeric."""
    return found_or_404(next((lb for lb in repo.labels if (str(lb.id) if key.isdigit() else lb.name) == key), None))


@bp.get("/repos/<owner>/<repo>/labels/<id>")
def get_label(owner: str, repo: str, id: str) -> Response:
    """Return a label by id or name."""
    found = readable_repo(owner, repo)
    return jsonify(world().render.label(_repo_label(found, id), found))


def _color(value: Any) -> str:
    """Normalize a colour or fail with Gitea's 422."""
    color = normalize_color(str(value))
    if color is None:
        raise GiteaError(422, f"bad color code: {value}")
    return color


@bp.post("/repos/<owner>/<repo>/labels")
def create_label(owner: str, repo: str) -> tuple[Response, int]:
    """Create a label."""
    found = writable_repo(owner, repo)
    body = json_body()
    name = required(body, "name", "Name")
    color = _color(required(body, "color", "Color"))
    label = Label(store().next_id("label"), name, color, body.get("description", ""),
                  bool(body.get("exclusive")), bool(body.get("is_archived")))
    with store().lock:
        found.labels.append(label)
    return jsonify(world().render.label(label, found)), 201


@bp.patch("/repos/<owner>/<repo>/labels/<id>")
def edit_label(owner: str, repo: str, id: str) -> Response:
    """Edit a label (every field optional)."""
    found = writable_repo(owner, repo)
    label = _repo_label(found, id)
    body = json_body()
    with store().lock:
        if body.get("color") is not None:
            label.color = _color(body["color"])
        for field in ("name", "description", "exclusive", "is_archived"):
            if body.get(field) is not None:
                setattr(label, field, body[field])
    return jsonify(world().render.label(label, found))


def _milestone_by_id(repo: Repository, milestone_id: int) -> Milestone:
    """Find a milestone by id or 404."""
    return found_or_404(next((m for m in repo.milestones if m.id == milestone_id), None), "milestone not found")


@bp.get("/repos/<owner>/<repo>/milestones")
def list_milestones(owner: str, repo: str) -> Response:
    """List milestones (?state= open by default, ?name=)."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    state, name = request.args.get("state", "open"), request.args.get("name", "").lower()
    chosen = [m for m in found.milestones if state in ("all", m.state) and name in m.title.lower()]
    items = [world().render.milestone(found, m) for m in page_slice(chosen, page, limit)]
    return paged_json(items, len(chosen), page, limit)


@bp.get("/repos/<owner>/<repo>/milestones/<id>")
def get_milestone(owner: str, repo: str, id: str) -> Response:
    """Return a milestone by id, falling back to its title."""
    found = readable_repo(owner, repo)
    milestone = next((m for m in found.milestones if str(m.id) == id), None) or next(
        (m for m in found.milestones if m.title == id), None)
    return jsonify(world().render.milestone(found, found_or_404(milestone)))


@bp.post("/repos/<owner>/<repo>/milestones")
def create_milestone(owner: str, repo: str) -> tuple[Response, int]:
    """Create a milestone; no due date means `due_on: null`."""
    found = writable_repo(owner, repo)
    body = json_body()
    title = required(body, "title", "Title")
    milestone = Milestone(store().next_id("milestone"), title, body.get("description", ""),
                          "closed" if body.get("state") == "closed" else "open",
                          _parse_time(body.get("due_on"), "Deadline"))
    if milestone.state == "closed":
        milestone.closed_at = milestone.created
    with store().lock:
        found.milestones.append(milestone)
    return jsonify(world().render.milestone(found, milestone)), 201

