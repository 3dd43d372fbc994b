"""Milestones."""

from __future__ import annotations

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.pagination import Page

REPO = "/repos/{owner}/{repo}"


class MilestoneEndpoints(Endpoints):
    """The plans issues are filed against."""

    def list_milestones(self, owner: str, repo: str, *, state: str | None = None, name: str | None = None,
                        page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../milestones."""
        return self._page(REPO + "/milestones", page=page, limit=limit, query=present(state=state, name=name),
                          owner=owner, repo=repo)

    def create_milestone(self, owner: str, repo: str, title: str, *, description: str | None = None,
                         due_on: str | None = None, state: str | None = None) -> JSON:
        """POST .../milestones (201); due_on is RFC 3339."""
        fields = present(title=title, description=description, due_on=due_on, state=state)
        return self._object("POST", REPO + "/milestones", body=fields, owner=owner, repo=repo)
