"""Pull requests, their files, commits and diffs."""

from __future__ import annotations

from app.gitea.download import Download
from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.endpoints.commits import check_diff_type
from app.gitea.pagination import Page

PULLS = "/repos/{owner}/{repo}/pulls"
PULL = PULLS + "/{index}"


class PullEndpoints(Endpoints):
    """Reading and opening pull requests."""

    def list_pulls(self, owner: str, repo: str, *, state: str = "open", sort: str | None = None,
                   milestone: int | None = None, labels: list[int] | None = None, poster: str | None = None,
                   base_branch: str | None = None, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../pulls; milestone and labels are ids here."""
        query = present(state=state, sort=sort, milestone=milestone, labels=labels, poster=poster,
                        base_branch=base_branch)
        return self._page(PULLS, page=page, limit=limit, query=query, owner=owner, repo=repo)

    def get_pull(self, owner: str, repo: str, index: int) -> JSON:
        """GET .../pulls/{index}."""
        return self._object("GET", PULL, owner=owner, repo=repo, index=index)

    def list_pull_files(self, owner: str, repo: str, index: int, *, page: int = 1,
                        limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../pulls/{index}/files."""
        return self._page(PULL + "/files", page=page, limit=limit, owner=owner, repo=repo, index=index)

    def list_pull_commits(self, owner: str, repo: str, index: int, *, files: bool = False,
                          verification: bool = False, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../pulls/{index}/commits."""
        return self._page(PULL + "/commits", page=page, limit=limit,
                          query={"files": files, "verification": verification},
                          owner=owner, repo=repo, index=index)

    def get_pull_diff(self, owner: str, repo: str, index: int, diff_type: str = "diff",
                      *, cap: int | None = None) -> Download:
        """GET .../pulls/{index}.{diffType} as text, capped."""
        check_diff_type(diff_type)
        return self._download(PULL + ".{diffType}", cap=cap, owner=owner, repo=repo, index=index,
                              diffType=diff_type)

    def create_pull(self, owner: str, repo: str, *, head: str, base: str, title: str, body: str | None = None,
                    assignees: list[str] | None = None, labels: list[int] | None = None,
                    milestone: int | None = None, reviewers: list[str] | None = None,
                    due_date: str | None = None, allow_maintainer_edit: bool | None = None) -> JSON:
        """POST .../pulls (201; 409 when an open one exists for the same branches)."""
        fields = present(head=head, base=base, title=title, body=body, assignees=assignees, labels=labels,
                         milestone=milestone, reviewers=reviewers, due_date=due_date,
                         allow_maintainer_edit=allow_maintainer_edit)
        return self._object("POST", PULLS, body=fields, owner=owner, repo=repo)
