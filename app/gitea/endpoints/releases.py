"""Releases."""

from __future__ import annotations

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.pagination import Page

RELEASES = "/repos/{owner}/{repo}/releases"


class ReleaseEndpoints(Endpoints):
    """Reading and publishing releases."""

    def list_releases(self, owner: str, repo: str, *, draft: bool | None = None, prerelease: bool | None = None,
                      page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../releases."""
        query = present(draft=draft, **{"pre-release": prerelease})
        return self._page(RELEASES, page=page, limit=limit, query=query, owner=owner, repo=repo)

    def get_release(self, owner: str, repo: str, release_id: int) -> JSON:
        """GET .../releases/{id}."""
        return self._object("GET", RELEASES + "/{id}", owner=owner, repo=repo, id=release_id)

    def get_latest_release(self, owner: str, repo: str) -> JSON:
        """GET .../releases/latest: newest release that is neither draft nor prerelease."""
        return self._object("GET", RELEASES + "/latest", owner=owner, repo=repo)

    def create_release(self, owner: str, repo: str, tag_name: str, *, target_commitish: str | None = None,
                       name: str | None = None, body: str | None = None, draft: bool | None = None,
                       prerelease: bool | None = None, tag_message: str | None = None) -> JSON:
        """POST .../releases (201; 409 if the tag already has a release)."""
        fields = present(tag_name=tag_name, target_commitish=target_commitish, name=name, body=body,
                         draft=draft, prerelease=prerelease, tag_message=tag_message)
        return self._object("POST", RELEASES, body=fields, owner=owner, repo=repo)

    def edit_release(self, owner: str, repo: str, release_id: int, *, tag_name: str | None = None,
                     target_commitish: str | None = None, name: str | None = None, body: str | None = None,
                     draft: bool | None = None, prerelease: bool | None = None) -> JSON:
        """PATCH .../releases/{id}."""
        fields = present(tag_name=tag_name, target_commitish=target_commitish, name=name, body=body,
                         draft=draft, prerelease=prerelease)
        return self._object("PATCH", RELEASES + "/{id}", body=fields, owner=owner, repo=repo, id=release_id)
