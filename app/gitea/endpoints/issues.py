"""Issues, their comments, labels and assignees."""

from __future__ import annotations

from typing import Any

from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.pagination import Page

ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = ISSUES + "/{index}"


class IssueEndpoints(Endpoints):
    """Reading and changing issues (pull requests are issues too)."""

    def list_issues(self, owner: str, repo: str, *, state: str = "open", labels: list[str] | None = None,
                    milestones: list[str] | None = None, kind: str | None = None, q: str | None = None,
                    since: str | None = None, before: str | None = None, created_by: str | None = None,
                    assigned_by: str | None = None, mentioned_by: str | None = None,
                    page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../issues; kind is issues|pulls (without it Gitea includes pulls). Labels are names."""
        query = present(state=state, labels=comma(labels), milestones=comma(milestones), type=kind, q=q,
                        since=since, before=before, created_by=created_by, assigned_by=assigned_by,
                        mentioned_by=mentioned_by)
        return self._page(ISSUES, page=page, limit=limit, query=query, owner=owner, repo=repo)

    def get_issue(self, owner: str, repo: str, index: int) -> JSON:
        """GET .../issues/{index} (works for pull request numbers too)."""
        return self._object("GET", ISSUE, owner=owner, repo=repo, index=index)

    def create_issue(self, owner: str, repo: str, title: str, *, body: str | None = None,
                     assignees: list[str] | None = None, labels: list[int] | None = None,
                     milestone: int | None = None, due_date: str | None = None, ref: str | None = None,
                     closed: bool | None = None) -> JSON:
        """POST .../issues (201); labels and milestone are ids."""
        fields = present(title=title, body=body, assignees=assignees, labels=labels, milestone=milestone,
                         due_date=due_date, ref=ref, closed=closed)
        return self._object("POST", ISSUES, body=fields, owner=owner, repo=repo)

    def edit_issue(self, owner: str, repo: str, index: int, *, title: str | None = None,
                   body: str | None = None, state: str | None = None, assignees: list[str] | None = None,
                   milestone: int | None = None, due_date: str | None = None,
                   unset_due_date: bool | None = None, ref: str | None = None) -> JSON:
        """PATCH .../issues/{index}: only given fields change; milestone=0 and assignees=[] clear."""
        fields = present(title=title, body=body, state=state, assignees=assignees, milestone=milestone,
                         due_date=due_date, unset_due_date=unset_due_date, ref=ref)
        return self._object("PATCH", ISSUE, body=fields, owner=owner, repo=repo, index=index)

    def list_issue_comments(self, owner: str, repo: str, index: int, *, since: str | None = None,
                            before: str | None = None) -> Page:
        """GET .../issues/{index}/comments: Gitea returns them all in one page."""
        comments = self._json("GET", ISSUE + "/comments", query=present(since=since, before=before),
                              owner=owner, repo=repo, index=index) or []
        return Page(comments, len(comments), False, 1, len(comments))

    def create_comment(self, owner: str, repo: str, index: int, body: str) -> JSON:
        """POST .../issues/{index}/comments (201)."""
        return self._object("POST", ISSUE + "/comments", body={"body": body}, owner=owner, repo=repo, index=index)

    def edit_comment(self, owner: str, repo: str, comment_id: int, body: str) -> JSON:
        """PATCH .../issues/comments/{id}."""
        return self._object("PATCH", ISSUES + "/comments/{id}", body={"body": body},
                            owner=owner, repo=repo, id=comment_id)

    def add_issue_labels(self, owner: str, repo: str, index: int, labels: list[int] | list[str]) -> list[JSON]:
        """POST .../issues/{index}/labels: all ids or all names; returns the issue's labels."""
        return self._labels("POST", owner, repo, index, labels)

    def replace_issue_labels(self, owner: str, repo: str, index: int, labels: list[int] | list[str]) -> list[JSON]:
        """PUT .../issues/{index}/labels: the issue ends with exactly these labels."""
        return self._labels("PUT", owner, repo, index, labels)

    def _labels(self, method: str, owner: str, repo: str, index: int, labels: list[Any]) -> list[JSON]:
        found = self._json(method, ISSUE + "/labels", body={"labels": list(labels)},
                           owner=owner, repo=repo, index=index)
        return list(found or [])

    def add_assignees(self, owner: str, repo: str, index: int, assignees: list[str]) -> JSON:
        """POST .../issues/{index}/assignees (201): returns the issue."""
        return self._object("POST", ISSUE + "/assignees", body={"assignees": list(assignees)},
                            owner=owner, repo=repo, index=index)


def comma(values: list[str] | None) -> str | None:
    """Join names the way Gitea's issue filters read them."""
    return ",".join(values) if values else None
