"""Pull request reviews and their inline comments."""

from __future__ import annotations

from typing import Any

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.errors import GiteaUnavailable
from app.gitea.pagination import Page

REVIEWS = "/repos/{owner}/{repo}/pulls/{index}/reviews"
REVIEW = REVIEWS + "/{id}"


class ReviewEndpoints(Endpoints):
    """Reading and creating pull request reviews."""

    def list_pull_reviews(self, owner: str, repo: str, index: int, *, page: int = 1,
                          limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../pulls/{index}/reviews (oldest first; pending reviews of others are left out)."""
        return self._page(REVIEWS, page=page, limit=limit, owner=owner, repo=repo, index=index)

    def get_pull_review(self, owner: str, repo: str, index: int, review_id: int) -> JSON:
        """GET .../reviews/{id} (404 for an unknown id or one of another pull request)."""
        return self._object("GET", REVIEW, owner=owner, repo=repo, index=index, id=review_id)

    def list_pull_review_comments(self, owner: str, repo: str, index: int, review_id: int) -> list[Any]:
        """GET .../reviews/{id}/comments: every inline comment of the review (not paged)."""
        found = self._json("GET", REVIEW + "/comments", owner=owner, repo=repo, index=index, id=review_id)
        if not isinstance(found, list):
            raise GiteaUnavailable("Gitea answered a list request with something other than a list.")
        return found

    def create_pull_review(self, owner: str, repo: str, index: int, *, event: str, body: str | None = None,
                           commit_id: str | None = None, comments: list[JSON] | None = None) -> JSON:
        """POST .../reviews (200): event APPROVED, REQUEST_CHANGES or COMMENT; comments carry path, body and
        new_position (new-side line) or old_position (old-side line)."""
        fields = present(event=event, body=body, commit_id=commit_id, comments=comments)
        return self._object("POST", REVIEWS, body=fields, owner=owner, repo=repo, index=index)
