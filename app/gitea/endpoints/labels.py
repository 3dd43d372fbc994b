"""Labels (repository and organisation)."""

from __future__ import annotations

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.pagination import Page

REPO = "/repos/{owner}/{repo}"


class LabelEndpoints(Endpoints):
    """The vocabulary issues are filed under."""

    def list_labels(self, owner: str, repo: str, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /repos/{owner}/{repo}/labels."""
        return self._page(REPO + "/labels", page=page, limit=limit, owner=owner, repo=repo)

    def list_org_labels(self, org: str, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /orgs/{org}/labels."""
        return self._page("/orgs/{org}/labels", page=page, limit=limit, org=org)

    def create_label(self, owner: str, repo: str, name: str, color: str, *, description: str | None = None,
                     exclusive: bool | None = None, is_archived: bool | None = None) -> JSON:
        """POST .../labels (201); Gitea answers the color without '#'."""
        fields = present(name=name, color=color, description=description, exclusive=exclusive,
                         is_archived=is_archived)
        return self._object("POST", REPO + "/labels", body=fields, owner=owner, repo=repo)

    def edit_label(self, owner: str, repo: str, label_id: int, *, name: str | None = None,
                   color: str | None = None, description: str | None = None, exclusive: bool | None = None,
                   is_archived: bool | None = None) -> JSON:
        """PATCH .../labels/{id}."""
        fields = present(name=name, color=color, description=description, exclusive=exclusive,
                         is_archived=is_archived)
        return self._object("PATCH", REPO + "/labels/{id}", body=fields, owner=owner, repo=repo, id=label_id)
