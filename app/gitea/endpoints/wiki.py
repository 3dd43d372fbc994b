"""Wiki pages: list, read, revisions, create and edit (Gitea keeps the wiki in its own git repository)."""

from __future__ import annotations

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.pagination import Page

WIKI = "/repos/{owner}/{repo}/wiki"


class WikiEndpoints(Endpoints):
    """A page is named by its web path (`sub_url`), already escaped the way Gitea spells it."""

    def list_wiki_pages(self, owner: str, repo: str, *, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../wiki/pages."""
        return self._page(WIKI + "/pages", page=page, limit=limit, owner=owner, repo=repo)

    def get_wiki_page(self, owner: str, repo: str, page_name: str) -> JSON:
        """GET .../wiki/page/{pageName}: content_base64, last_commit, commit_count."""
        return self._object("GET", WIKI + "/page/{pageName}", owner=owner, repo=repo, pageName=page_name)

    def list_wiki_page_revisions(self, owner: str, repo: str, page_name: str, *, page: int = 1) -> JSON:
        """GET .../wiki/revisions/{pageName}: {commits, count}, a fixed page size of its own."""
        return self._object("GET", WIKI + "/revisions/{pageName}", query={"page": page}, owner=owner, repo=repo,
                            pageName=page_name)

    def create_wiki_page(self, owner: str, repo: str, title: str, content_base64: str, *,
                         message: str | None = None) -> JSON:
        """POST .../wiki/new (201)."""
        body = present(title=title, content_base64=content_base64, message=message)
        return self._object("POST", WIKI + "/new", body=body, owner=owner, repo=repo)

    def edit_wiki_page(self, owner: str, repo: str, page_name: str, title: str, content_base64: str, *,
                       message: str | None = None) -> JSON:
        """PATCH .../wiki/page/{pageName}; `title` is always sent, since Gitea renames a page sent without one."""
        body = present(title=title, content_base64=content_base64, message=message)
        return self._object("PATCH", WIKI + "/page/{pageName}", body=body, owner=owner, repo=repo,
                            pageName=page_name)
