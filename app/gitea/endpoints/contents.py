"""Trees, file contents, raw files and archives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.gitea.download import Download
from app.gitea.endpoints.base import Endpoints, present
from app.gitea.pagination import Page

REPO = "/repos/{owner}/{repo}"
TREE_PAGE_SIZE = 1000  # Gitea's DEFAULT_GIT_TREES_PER_PAGE, default and maximum
ARCHIVE_FORMATS = ("zip", "tar.gz", "bundle")


class ContentEndpoints(Endpoints):
    """What is in a repository at a ref."""

    def get_tree(self, owner: str, repo: str, sha: str, *, recursive: bool = False,
                 page: int = 1, per_page: int = TREE_PAGE_SIZE) -> Page:
        """GET .../git/trees/{sha}; the tree's own sha is in `meta`."""
        tree = self._object("GET", REPO + "/git/trees/{sha}",
                            query={"recursive": recursive, "page": page, "per_page": per_page},
                            owner=owner, repo=repo, sha=sha)
        entries = tree.get("tree") or []  # a page past the end is "tree": null
        meta = {"sha": tree.get("sha"), "url": tree.get("url")}
        return Page(entries, tree.get("total_count"), bool(tree.get("truncated")), page, per_page, meta)

    def get_contents(self, owner: str, repo: str, path: str = "", ref: str | None = None) -> Any:
        """GET .../contents[/{filepath}]: an object for a file, a list for a directory."""
        query = present(ref=ref)
        if not path.strip("/"):
            return self._json("GET", REPO + "/contents", query=query, owner=owner, repo=repo)
        return self._json("GET", REPO + "/contents/{filepath}", query=query,
                          owner=owner, repo=repo, filepath=path.strip("/"))

    def get_raw_file(self, owner: str, repo: str, path: str, ref: str | None = None,
                     *, cap: int | None = None, enough: Callable[[bytes], bool] | None = None) -> Download:
        """GET .../raw/{filepath}, keeping at most `cap` bytes (default MAX_FILE_SIZE_BYTES).

        `enough` sees each chunk as it arrives and may end the read early (see read_capped)."""
        return self._download(REPO + "/raw/{filepath}", cap=cap, query=present(ref=ref), enough=enough,
                              owner=owner, repo=repo, filepath=path.strip("/"))

    def download_archive(self, owner: str, repo: str, ref: str, archive_format: str = "zip",
                         *, cap: int | None = None) -> Download:
        """GET .../archive/{ref}.{format}, keeping at most `cap` bytes."""
        if archive_format not in ARCHIVE_FORMATS:
            raise ValueError(f"archive_format must be one of {ARCHIVE_FORMATS}")
        return self._download(REPO + "/archive/{archive}", cap=cap,
                              owner=owner, repo=repo, archive=f"{ref}.{archive_format}")

