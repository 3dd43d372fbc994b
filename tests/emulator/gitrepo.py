"""Read and write one bare git repository through the `git` command."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field

# Fixed identity and no user config: the emulator must behave the same on every machine.
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}
_FIELD = "\x1f"
_RECORD = "\x1e"
_LOG_FORMAT = _RECORD + _FIELD.join(["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"]) + _FIELD


class GitError(Exception):
    """A git command failed (unknown ref, bad object, ...)."""


@dataclass
class TreeEntry:
    """One line of `git ls-tree -l`."""

    mode: str
    type: str
    sha: str
    size: int
    path: str


@dataclass
class ChangedPath:
    """One file touched by a commit or a diff."""

    path: str
    status: str  # A, M, D, R
    additions: int = 0
    deletions: int = 0
    previous_path: str = ""


@dataclass
class CommitInfo:
    """A commit as git reports it, with its changed files."""

    sha: str
    tree: str
    parents: list[str]
    author_name: str
    author_email: str
    author_date: str
    committer_name: str
    committer_email: str
    committer_date: str
    message: str
    files: list[ChangedPath] = field(default_factory=list)


class GitRepository:
    """A bare repository on disk; every read goes through git itself."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._blob_cache: dict[str, bytes] = {}

    def run(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Run git in this repository and return stdout, raising GitError on failure."""
        env = {**os.environ, **_GIT_ENV}
        done = subprocess.run(
            ["git", "--git-dir", self.path, *args], input=stdin, capture_output=True, env=env, check=False
        )
        if done.returncode != 0:
            raise GitError(done.stderr.decode("utf-8", "replace").strip())
        return done.stdout

    def init(self, default_branch: str) -> None:
        """Create the bare repository."""
        os.makedirs(self.path, exist_ok=True)
        self.run("init", "--quiet", "--bare", f"--initial-branch={default_branch}")

    def fast_import(self, stream: bytes) -> None:
        """Feed a `git fast-import` stream (how seeds make many commits quickly)."""
        self.run("fast-import", "--quiet", "--done", stdin=stream)

    def is_empty(self) -> bool:
        """Tell whether the repository has no refs at all."""
        return not self.run("for-each-ref", "--count=1").strip()

    def resolve(self, ref: str, kind: str = "commit") -> str | None:
        """Resolve a branch, tag or sha to an object id of `kind`, or None."""
        if not ref or ref.startswith("-"):
            return None
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{{kind}}}").decode().strip() or None
        except GitError:
            return None

    def object_type(self, sha: str) -> str | None:
        """Return blob/tree/commit/tag for an object id, or None."""
        try:
            return self.run("cat-file", "-t", sha).decode().strip()
        except GitError:
            return None

    def refs(self, prefix: str) -> list[tuple[str, str]]:
        """List (short name, target commit) under refs/heads or refs/tags, sorted by name."""
        out = self.run("for-each-ref", "--format=%(refname)%09%(*objectname)%09%(objectname)", prefix)
        refs = []
        for line in out.decode().splitlines():
            name, peeled, target = line.split("\t")
            refs.append((name[len(prefix) + 1 :], peeled or target))
        return refs

    def ref_names(self) -> set[str]:
        """Short names of every branch and tag (one git call)."""
        return {name for prefix in ("refs/heads", "refs/tags") for name, _ in self.refs(prefix)}

    def tag_object(self, name: str) -> tuple[str, str] | None:
        """Return (tag object id, message) for an annotated tag, or None if lightweight."""
        sha = self.resolve(f"refs/tags/{name}", "object")
        if sha is None or self.object_type(sha) != "tag":
            return None
        message = self.run("cat-file", "tag", sha).decode("utf-8", "replace").split("\n\n", 1)[-1]
        return sha, message

    def ls_tree(self, treeish: str, path: str = "", recursive: bool = False) -> list[TreeEntry]:
        """List a tree (optionally a sub-path, optionally recursive with the trees themselves)."""
        args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else []) + [treeish]
        if path:
            args += ["--", path.rstrip("/") + "/"]
        entries = []
        for line in self.run(*args).decode("utf-8", "replace").split("\0"):
            if line:
                meta, name = line.split("\t", 1)
                mode, kind, sha, size = meta.split()
                entries.append(TreeEntry(mode, kind, sha, int(size) if size != "-" else 0, name))
        return entries

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """Return the tree entry at `path` in `commit` (the root tree for "")."""
        if not path:
            tree = self.resolve(commit, "tree")
            return TreeEntry("040000", "tree", tree, 0, "") if tree else None
        found = self.run("ls-tree", "-l", "-z", commit, "--", path).decode("utf-8", "replace").split("\0")
        for line in found:
            if line:
                meta, name = line.split("\t", 1)
                mode, kind, sha, size = meta.split()
                if name == path:
                    return TreeEntry(mode, kind, sha, int(size) if size != "-" else 0, name)
        return None

    def blob(self, sha: str) -> bytes:
        """Return blob bytes; blobs are immutable so they are cached by id."""
        if sha not in self._blob_cache:
            self._blob_cache[sha] = self.run("cat-file", "blob", sha)
        return self._blob_cache[sha]

    def log(self, revs: Iterable[str], path: str = "", skip: int = 0, limit: int | None = None) -> list[CommitInfo]:
        """Return commits newest first with their changed files (`git log --raw --numstat`)."""
        args = ["log", f"--format={_LOG_FORMAT}", "--raw", "--numstat", "--no-renames", f"--skip={skip}"]
        if limit is not None:
            args.append(f"--max-count={limit}")
        args += [*revs, "--"] + ([path] if path else [])
        return [_parse_commit(chunk) for chunk in self.run(*args).decode("utf-8", "replace").split(_RECORD)[1:]]

    def count(self, revs: Iterable[str], path: str = "") -> int:
        """Count commits reachable from revs (optionally touching path)."""
        return int(self.run("rev-list", "--count", *revs, "--", *([path] if path else [])).decode())

    def commit(self, sha: str) -> CommitInfo | None:
        """Return one commit with its changed files, or None."""
        resolved = self.resolve(sha)
        return self.log([resolved, "-1"])[0] if resolved else None

    def merge_base(self, base: str, head: str) -> str | None:
        """Return the merge base of two commits, or None if unrelated."""
        try:
            return self.run("merge-base", base, head).decode().strip()
        except GitError:
            return None

    def diff_files(self, base: str, head: str) -> list[ChangedPath]:
        """Return the files changed between two commits with line counts."""
        raw = self.run("diff", "--raw", "--numstat", "--no-renames", base, head).decode("utf-8", "replace")
        return _parse_changes(raw.splitlines())

    def diff_text(self, base: str, head: str) -> bytes:
        """Return a unified diff between two commits."""
        return self.run("diff", "-M", "--full-index", "--binary", base, head)

    def commit_diff(self, sha: str) -> bytes:
        """Return the diff a commit introduces (root commits diff against nothing)."""
        return self.run("diff-tree", "-p", "-M", "--full-index", "--binary", "--root", "--no-commit-id", sha)

    def format_patch(self, revs: list[str]) -> bytes:
        """Return commits as mbox patches, oldest first."""
        return self.run("format-patch", "--stdout", "--full-index", "--binary", *revs)

    def archive(self, commit: str, fmt: str, prefix: str, paths: list[str]) -> bytes:
        """Return a tar.gz or zip archive of a commit."""
        return self.run("archive", f"--format={fmt}", f"--prefix={prefix}", commit, "--", *paths)

    def update_ref(self, ref: str, sha: str) -> None:
        """Point a ref at a commit."""
        self.run("update-ref", ref, sha)


def _parse_commit(chunk: str) -> CommitInfo:
    """Parse one `_LOG_FORMAT` record followed by its raw + numstat lines."""
    fields = chunk.split(_FIELD)
    sha, tree, parents, an, ae, ad, cn, ce, cd, message = fields[:10]
    info = CommitInfo(sha, tree, parents.split(), an, ae, ad, cn, ce, cd, message.rstrip("\n") + "\n")
    info.files = _parse_changes(fields[10].splitlines())
    return info


def _parse_changes(lines: list[str]) -> list[ChangedPath]:
    """Merge `--raw` lines (status) with `--numstat` lines (line counts)."""
    changes: dict[str, ChangedPath] = {}
    for line in lines:
        if line.startswith(":"):
            meta, path = line.split("\t", 1)
            changes[path] = ChangedPath(path, meta.split()[-1][0])
        elif "\t" in line:
            added, deleted, path = line.split("\t", 2)
            if path in changes:
                changes[path].additions = int(added) if added != "-" else 0
                changes[path].deletions = int(deleted) if deleted != "-" else 0
    return list(changes.values())
