"""Refs before paths: repository content is read at a full commit SHA, so the path the policy checked
is exactly the path Gitea serves.

Gitea's raw route (`/raw/{filepath}`) reads a ref out of the path: it joins `?ref=` and the path and
takes the shortest branch prefix of the whole string, then the shortest tag prefix, then a leading
full-length commit id, and otherwise the default branch (GG:services/context/repo.go
getRefNameLegacy, used by RepoRefForAPI). So `filepath="main/src/secrets/x"` with no ref, or
`ref="main/src"` with `filepath="secrets/x"`, both read `src/secrets/x` of main while a policy looked
at something else. With `?ref=<full sha>` the joined string starts with the SHA: no branch or tag
matches it, so Gitea reads the tree path exactly as sent: create_branch and create_release refuse
names that start with a full commit id (schemas.common.check_new_ref_name), and a read is refused
when such a ref exists anyway, pushed with git (refuse_shadowed).

A tree SHA is not a commit: it is refused, because the entries of a subtree carry paths relative
to it, and `secrets/canary.txt` under the tree of `src` would escape a `src/secrets/*` rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict, GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.expiring import ExpiringCache

READ_REFS = "read_refs"
READ_REF_SECONDS = 5.0  # a file read sees a push at most this late; a burst of reads resolves once
SEARCH_REFS = "search_refs"
SEARCH_REF_SECONDS = 30.0  # a repeated search_code serves its cached index with no upstream call
MAX_REMEMBERED = 10000

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
    """commit_of, refused while a ref shadows the commit, remembered per credential for READ_REF_SECONDS:
    an agent reading several files of one ref resolves it once."""
    def resolve() -> str:
        commit = commit_of(gitea, owner, repo, ref)
        refuse_shadowed(gitea, owner, repo, commit)
        return commit

    return remembered(call, READ_REFS, READ_REF_SECONDS, (owner, repo, ref), resolve)


def commit_for_search(gitea: BoundGiteaClient, call: ToolCall, owner: str, repo: str, ref: str | None) -> str:
    """commit_of, remembered per credential for SEARCH_REF_SECONDS, so a repeated search_code makes no
    upstream call (it reads an archive of the whole commit: no path for a shadowing ref to redirect)."""
    return remembered(call, SEARCH_REFS, SEARCH_REF_SECONDS, (owner, repo, ref),
                      lambda: commit_of(gitea, owner, repo, ref))


def remembered(call: ToolCall, cache_name: str, seconds: float, where: tuple[str, str, str | None],
               resolve: Callable[[], str]) -> str:
    """A resolution kept `seconds` in the runtime cache `cache_name`, per credential (what one caller
    resolved, with the access it proved, is never served to another). Repository names are
    case-insensitive in Gitea; git refs are not."""
    cache: ExpiringCache = call.shared(cache_name, lambda: ExpiringCache(seconds, MAX_REMEMBERED))
    owner, repo, ref = where
    key = (call.credential_digest, f"{owner}/{repo}".lower(), ref or "")
    commit: str | None = cache.get(key)
    if commit is None:
        commit = resolve()
        cache.put(key, commit)
    return commit


def refuse_shadowed(gitea: BoundGiteaClient, owner: str, repo: str, commit: str) -> None:
    """Refuse to read at a commit that a branch or tag named after it shadows.

    Gitea's raw route takes the shortest branch (then tag) prefix of `<sha>/<path>`: a ref named
    `<sha>/docs`, pushed by anyone with write access, would make a read of `docs/src/secrets/x` serve
    `src/secrets/x` of that ref. Such a name has no legitimate use; its presence is refused, not routed
    around (two requests per resolution, remembered with it)."""
    shadows = [item.get("ref") for kind in ("heads", "tags")
               for item in gitea.list_refs(owner, repo, f"{kind}/{commit}")]
    if shadows:
        names = ", ".join(str(name) for name in shadows[:5])
        raise ToolFailure(
            f"Reads of {owner}/{repo} at commit {commit[:12]} are refused: the ref(s) {names} are named after "
            "that commit, which would make Gitea serve a different file than the one asked for. Ask a "
            "repository administrator to delete them.", "denied")


def no_commit_message(owner: str, repo: str, ref: str | None) -> str:
    if ref is None:
        return f"{owner}/{repo} does not exist or is not visible to you."
    return (f"No branch, tag or commit named {ref!r} in {owner}/{repo} (or the repository is not visible to "
            "you). A ref must name a commit: tree and blob SHAs are not accepted; to list a directory, "
            "pass its path instead.")

