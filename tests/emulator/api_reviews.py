"""Pull request reviews: list, one review, its inline comments, and creating a review (Gitea 1.27).

Shapes and rules follow Gitea's routers/api/v1/repo/pull_review.go, services/pull/review.go and
services/convert/pull_review.go (see the emulator README, "Pull request reviews").
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify

from tests.emulator.api_pulls import _find_pull, _pull_range
from tests.emulator.auth import current_login, require_login
from tests.emulator.errors import GiteaError, not_found
from tests.emulator.model import Issue, Repository, Review, ReviewComment, iso, now
from tests.emulator.paging import page_and_limit, page_slice, paged_json
from tests.emulator.repo_access import json_body, readable_repo, store, world

bp = Blueprint("gitea_reviews", __name__)

HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
CODE_COMMENT_LINES = 4  # setting.UI.CodeCommentLines: context kept above the commented line
# What preparePullReviewType accepts; any other event (or none) leaves the review PENDING.
SUBMITTED_EVENTS = ("APPROVED", "REQUEST_CHANGES", "COMMENT")


def _visible(review: Review, login: str | None) -> bool:
    """A pending review is shown only to its author (convert.ToPullReviewList, prepareSingleReview)."""
    user = store().user(login) if login else None
    return review.state != "PENDING" or (user is not None and (user.is_admin or user.login == review.user))


def _review(issue: Issue, review_id: int) -> Review:
    """The review by id, 404 when it is unknown, of another pull request, or someone else's pending one."""
    assert issue.pull is not None
    found = next((r for r in issue.pull.reviews if r.id == review_id), None)
    if found is None or not _visible(found, current_login()):
        raise not_found("GetReviewByID")
    return found


def render_review(repo: Repository, issue: Issue, review: Review) -> dict[str, Any]:
    """A PullReview as convert.ToPullReview builds it (team null unless a team was asked)."""
    pull_url = f"{store().root_url}{repo.full_name}/pulls/{issue.number}"
    return {
        "id": review.id, "user": world().render.user(review.user), "team": None, "state": review.state,
        "body": review.body, "commit_id": review.commit_id, "stale": False, "official": review.official,
        "dismissed": review.dismissed, "comments_count": len(review.comments), "submitted_at": iso(review.created),
        "updated_at": iso(review.created), "html_url": f"{pull_url}#issuecomment-{review.id}",
        "pull_request_url": pull_url,
    }


def render_review_comment(repo: Repository, issue: Issue, review: Review, comment: ReviewComment) -> dict[str, Any]:
    """A PullReviewComment: `position` is the new-side line, `original_position` the old-side one, 0 otherwise."""
    pull_url = f"{store().root_url}{repo.full_name}/pulls/{issue.number}"
    return {
        "id": comment.id, "body": comment.body, "user": world().render.user(comment.user), "resolver": None,
        "pull_request_review_id": review.id, "created_at": iso(comment.created), "updated_at": iso(comment.created),
        "path": comment.path, "commit_id": comment.commit_id, "original_commit_id": "",
        "diff_hunk": comment.diff_hunk, "position": max(comment.line, 0), "original_position": max(-comment.line, 0),
        "html_url": f"{pull_url}/files#issuecomment-{comment.id}", "pull_request_url": pull_url,
    }


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>/reviews")
def list_reviews(owner: str, repo: str, index: int) -> Response:
    """List a pull request's reviews, oldest first; X-Total-Count counts pending ones too (CountReviews)."""
    found = readable_repo(owner, repo)
    issue = _find_pull(found, index)
    assert issue.pull is not None
    page, limit = page_and_limit()
    reviews = page_slice(issue.pull.reviews, page, limit)
    items = [render_review(found, issue, r) for r in reviews if _visible(r, current_login())]
    return paged_json(items, len(issue.pull.reviews), page, limit)


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>/reviews/<int:id>")
def get_review(owner: str, repo: str, index: int, id: int) -> Response:
    """Return one review."""
    found = readable_repo(owner, repo)
    issue = _find_pull(found, index)
    return jsonify(render_review(found, issue, _review(issue, id)))


@bp.get("/repos/<owner>/<repo>/pulls/<int:index>/reviews/<int:id>/comments")
def review_comments(owner: str, repo: str, index: int, id: int) -> Response:
    """Return the inline comments of one review (not paged)."""
    found = readable_repo(owner, repo)
    issue = _find_pull(found, index)
    review = _review(issue, id)
    return jsonify([render_review_comment(found, issue, review, c) for c in review.comments])


@bp.post("/repos/<owner>/<repo>/pulls/<int:index>/reviews")
def create_review(owner: str, repo: str, index: int) -> Response:
    """Create a review with its inline comments; 200 (not 201), as Gitea answers."""
    found = readable_repo(owner, repo)
    login = require_login()
    issue = _find_pull(found, index)
    body = json_body()
    state = _review_state(issue, login, body)
    base, head = _pull_range(found, issue)
    commit = str(body.get("commit_id") or head)
    with store().lock:
        review = Review(store().next_id("review"), login, state, str(body.get("body") or ""), commit,
                        official=state != "COMMENT" and store().can(found, login, "write"), created=now())
        review.comments = [_code_comment(found, (base, head), login, raw) for raw in _comments(body)]
        assert issue.pull is not None
        issue.pull.reviews.append(review)
    return jsonify(render_review(found, issue, review))


def _comments(body: dict[str, Any]) -> list[dict[str, Any]]:
    comments = body.get("comments") or []
    if not isinstance(comments, list) or not all(isinstance(c, dict) for c in comments):
        raise GiteaError(422, "[Comments]: must be a list of objects")
    return comments


def _review_state(issue: Issue, login: str, body: dict[str, Any]) -> str:
    """preparePullReviewType: own pull requests cannot be approved or rejected; bodies where required."""
    event = body.get("event")
    has_body = bool(str(body.get("body") or "").strip())
    if event in ("APPROVED", "REQUEST_CHANGES") and issue.user.lower() == login.lower():
        verb = "approve" if event == "APPROVED" else "reject"
        raise GiteaError(422, f"{verb} your own pull is not allowed")
    if event == "COMMENT" and not has_body and not body.get("comments"):
        raise GiteaError(422, f"review event {event} requires a body or a comment")
    if event not in SUBMITTED_EVENTS:
        return "PENDING"
    if event == "REQUEST_CHANGES" and not has_body:
        raise GiteaError(422, f"review event {event} requires a body")
    return str(event)


def _code_comment(repo: Repository, span: tuple[str, str], login: str, raw: dict[str, Any]) -> ReviewComment:
    """CreateCodeComment: line = new_position, or -old_position when that is set. Gitea does not check the
    line against the diff: one outside every hunk is stored with an empty diff_hunk and shows nowhere."""
    old, new = int(raw.get("old_position") or 0), int(raw.get("new_position") or 0)
    line = -old if old > 0 else new
    path = str(raw.get("path") or "")
    hunk = hunk_around(repo.git.run("diff", "-M", span[0], span[1], "--", path).decode("utf-8", "replace"), line)
    return ReviewComment(store().next_id("comment"), path, line, str(raw.get("body") or ""), login, span[1], hunk)


def hunk_around(diff: str, line: int) -> str:
    """CutDiffAroundLine, simplified: the hunk header and up to CODE_COMMENT_LINES lines ending at `line`."""
    old_side, wanted = line < 0, abs(line)
    header, kept, numbers = "", [], [0, 0]
    for text in diff.split("\n"):
        start = HUNK.match(text)
        if start:
            header, kept, numbers = text, [], [int(start[1]), int(start[2])]
            continue
        if not header or not text or text[0] not in " +-":
            continue
        kept = [*kept, text][-(CODE_COMMENT_LINES + 1):]
        on_side = text[0] in (" -" if old_side else " +")
        if on_side and numbers[0 if old_side else 1] == wanted:
            return header + "\n" + "\n".join(kept)
        numbers = [numbers[0] + (text[0] in " -"), numbers[1] + (text[0] in " +")]
    return ""
