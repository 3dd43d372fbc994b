"""Repositories, users, organisations, branches, tags and statuses."""

from __future__ import annotations

from typing import Any

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.errors import GiteaNotFound
from app.gitea.pagination import Page

REPO = "/repos/{owner}/{repo}"


class RepositoryEndpoints(Endpoints):
    """Who the user is, what they can see, and facts about one repository."""

    def current_user(self) -> JSON:
        """GET /user."""
        return self._object("GET", "/user")

    def list_my_repos(self, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /user/repos: repositories the user owns or collaborates on."""
        return self._page("/user/repos", page=page, limit=limit)

    def list_my_orgs(self, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /user/orgs."""
        return self._page("/user/orgs", page=page, limit=limit)

    def list_org_repos(self, org: str, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /orgs/{org}/repos."""
        return self._page("/orgs/{org}/repos", page=page, limit=limit, org=org)

    def get_repository(self, owner: str, repo: str) -> JSON:
        """GET /repos/{owner}/{repo}."""
        return self._object("GET", REPO, owner=owner, repo=repo)

    def list_forks(self, owner: str, repo: str, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /repos/{owner}/{repo}/forks."""
        return self._page(REPO + "/forks", page=page, limit=limit, owner=owner, repo=repo)

    def get_languages(self, owner: str, repo: str) -> dict[str, int]:
        """GET /repos/{owner}/{repo}/languages: bytes per language."""
        return self._object("GET", REPO + "/languages", owner=owner, repo=repo)

    def get_topics(self, owner: str, repo: str) -> list[str]:
        """GET /repos/{owner}/{repo}/topics."""
        topics: Any = self._object("GET", REPO + "/topics", owner=owner, repo=repo).get("topics")
        return list(topics or [])

    def get_collaborator_permission(self, owner: str, repo: str, collaborator: str) -> JSON:
        """GET .../collaborators/{collaborator}/permission: none|read|write|admin|owner."""
        return self._object("GET", REPO + "/collaborators/{collaborator}/permission",
                            owner=owner, repo=repo, collaborator=collaborator)

    def list_branches(self, owner: str, repo: str, *, q: str | None = None,
                      page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /repos/{owner}/{repo}/branches."""
        return self._page(REPO + "/branches", page=page, limit=limit, query=present(q=q), owner=owner, repo=repo)

    def get_branch(self, owner: str, repo: str, branch: str) -> JSON:
        """GET /repos/{owner}/{repo}/branches/{branch}."""
        return self._object("GET", REPO + "/branches/{branch}", owner=owner, repo=repo, branch=branch)

    def create_branch(self, owner: str, repo: str, new_branch_name: str, old_ref_name: str | None = None) -> JSON:
        """POST /repos/{owner}/{repo}/branches from a branch, tag or sha (default branch if omitted)."""
        body = present(new_branch_name=new_branch_name, old_ref_name=old_ref_name)
        return self._object("POST", REPO + "/branches", body=body, owner=owner, repo=repo)

    def list_tags(self, owner: str, repo: str, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET /repos/{owner}/{repo}/tags."""
        return self._page(REPO + "/tags", page=page, limit=limit, owner=owner, repo=repo)

    def list_refs(self, owner: str, repo: str, prefix: str) -> list[JSON]:
        """GET .../git/refs/{ref}: the refs whose name starts with refs/<prefix> (none: an empty list)."""
        try:
            found: Any = self._json("GET", REPO + "/git/refs/{ref}", owner=owner, repo=repo, ref=prefix)
        except GiteaNotFound:
            return []
        items = found if isinstance(found, list) else [found]
        return [item for item in items if isinstance(item, dict)]

    def get_combined_status(self, owner: str, repo: str, ref: str) -> JSON:
        """GET .../commits/{ref}/status (an all-zero object when there are no statuses)."""
        return self._object("GET", REPO + "/commits/{ref}/status", owner=owner, repo=repo, ref=ref)
