"""Commits, single commits, their diffs and comparisons."""

from __future__ import annotations

from app.gitea.download import Download
from app.gitea.endpoints.base import DEFAULT_LIMIT, JSON, Endpoints, present
from app.gitea.pagination import Page

REPO = "/repos/{owner}/{repo}"
DIFF_TYPES = ("diff", "patch")


class CommitEndpoints(Endpoints):
    """History and changes."""

    def list_commits(self, owner: str, repo: str, *, sha: str | None = None, path: str | None = None,
                     since: str | None = None, until: str | None = None, stat: bool = False,
                     files: bool = False, verification: bool = False,
                     page: int = 1, limit: int = DEFAULT_LIMIT) -> Page:
        """GET .../commits; stat, files and verification are off unless asked (Gitea defaults them on)."""
        query = present(sha=sha, path=path, since=since, until=until,
                        stat=stat, files=files, verification=verification)
        return self._page(REPO + "/commits", page=page, limit=limit, query=query, owner=owner, repo=repo)

    def get_commit(self, owner: str, repo: str, sha: str, *, stat: bool = True,
                   files: bool = True, verification: bool = False) -> JSON:
        """GET .../git/commits/{sha}."""
        query = {"stat": stat, "files": files, "verification": verification}
        return self._object("GET", REPO + "/git/commits/{sha}", query=query, owner=owner, repo=repo, sha=sha)

    def get_commit_diff(self, owner: str, repo: str, sha: str, diff_type: str = "diff",
                        *, cap: int | None = None) -> Download:
        """GET .../git/commits/{sha}.{diffType} as text, capped."""
        check_diff_type(diff_type)
        return self._download(REPO + "/git/commits/{sha}.{diffType}", cap=cap,
                              owner=owner, repo=repo, sha=sha, diffType=diff_type)

    def compare(self, owner: str, repo: str, base: str, head: str) -> JSON:
        """GET .../compare/{base}...{head}: total_commits and commits."""
        return self._object("GET", REPO + "/compare/{basehead}", owner=owner, repo=repo,
                            basehead=f"{base}...{head}")

    def compare_diff(self, owner: str, repo: str, base: str, head: str, diff_type: str = "diff",
                     *, cap: int | None = None) -> Download:
        """GET .../compare/{base}...{head}?output=diff as text, capped."""
        check_diff_type(diff_type)
        return self._download(REPO + "/compare/{basehead}", cap=cap, query={"output": diff_type},
                              owner=owner, repo=repo, basehead=f"{base}...{head}")


def check_diff_type(diff_type: str) -> None:
    """Refuse anything but the two formats Gitea renders."""
    if diff_type not in DIFF_TYPES:
        raise ValueError(f"diff_type must be one of {DIFF_TYPES}")
