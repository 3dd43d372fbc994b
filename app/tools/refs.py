"""Refs before paths: repository content is read at a full commit SHA, so the path the policy checked
is exactly the path Gitea serves.

Gitea's raw route (`/raw/{filepath}`) reads a ref out of the path: it joins `?ref=` and the path and
takes the shortest branch prefix of the whole string, then the shortest tag prefix, then a leading
full-length commit id, and otherwise the default branch (GG:services/context/repo.go
getRefNameLegacy, used by RepoRefForAPI). So `filepath="main/src/secrets/x"` with no ref, or
`ref="main/src"` with `filepath="secrets/x"`, both read `src/secrets/x` of main while a policy looked
at something else. With `?ref=<full sha>` the joined string starts with the SHA: no branch or tag
matches it (create_branch and create_release refuse names that start with a full commit id:
schemas.common.check_new_ref_name), so Gitea reads the tree path exactly as sent.

A tree SHA is not a commit: it is refused, because the entries of a subtree carry paths relative
to it, and `secrets/canary.txt` under the tree of `src` would escape a `src/secrets/*` rule.
"""

from __future__ import annotations

import re

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict, GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.expiring import ExpiringCache

READ_REFS = "read_refs"
READ_REF_SECONDS = 5.0  # a file read sees a push at most this late; a burst of reads resolves once

FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def commit_of(gitea: BoundGiteaClient, owner: str, repo: str, ref: str | None) -> str:
    """The full SHA of the commit `ref` names (a branch, tag or commit; the default branch when None).

    Raises ToolFailure for an empty repository and for a ref that names no commit (a tree SHA among them)."""
    try:
        page = gitea.list_commits(owner, repo, sha=ref, page=1, limit=1)
    except GiteaConflict:  # Gitea answers 409 for a repository without commits
        raise ToolFailure(f"The repository {owner}/{repo} is empty: it has no files yet.", "not_found") from None
    except GiteaNotFound:
        raise ToolFailure(no_commit_message(owner, repo, ref), "not_found") from None
    sha = p.text(page.items[0], "sha").lower() if page.items else ""
    if not FULL_SHA.fullmatch(sha):
        raise ToolFailure(no_commit_message(owner, repo, ref), "not_found")
    return sha


def commit_for_read(gitea: BoundGiteaClient, call: ToolCall, owner: str, repo: str, ref: str | None) -> str:
    """commit_of, remembered per credential for READ_REF_SECONDS: an agent reading several files of one
    ref resolves it once (what one credential resolved is never served to another)."""
    cache: ExpiringCache = call.shared(READ_REFS, lambda: ExpiringCache(READ_REF_SECONDS, 10000))
    key = (call.credential_digest, f"{owner}/{repo}".lower(), ref or "")  # git refs are case-sensitive
    commit: str | None = cache.get(key)
    if commit is None:
        commit = commit_of(gitea, owner, repo, ref)
        cache.put(key, commit)
    return commit


def no_commit_message(owner: str, repo: str, ref: str | None) -> str:
    if ref is None:
        return f"{owner}/{repo} does not exist or is not visible to you."
    return (f"No branch, tag or commit named {ref!r} in {owner}/{repo} (or the repository is not visible to "
            "you). A ref must name a commit: tree and blob SHAs are not accepted; to list a directory, "
            "pass its path instead.")

