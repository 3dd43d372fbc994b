"""What Gitea keeps in its database, held in emulator memory."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.emulator.gitrepo import GitRepository

ACCESS_LEVELS = ["none", "read", "write", "admin", "owner"]
_COLOR = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def now() -> datetime:
    """Return the current UTC time without microseconds (Gitea stores unix seconds)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    """Format a time the way Go marshals time.Time in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def normalize_color(value: str) -> str | None:
    """Turn #rrggbb, rrggbb, #rgb or rgb into lowercase #rrggbb; None if it is not a colour."""
    match = _COLOR.fullmatch(value.strip())
    if not match:
        return None
    digits = match.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


@dataclass
class User:
    """A Gitea user account."""

    id: int
    login: str
    password: str
    email: str
    full_name: str = ""
    is_admin: bool = False
    created: datetime = field(default_factory=now)


@dataclass
class Organization:
    """An organization; owners act as repository owners on its repositories."""

    id: int
    name: str
    full_name: str = ""
    description: str = ""
    owners: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass
class AccessToken:
    """A personal access token with its scopes."""

    value: str
    login: str
    name: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class Label:
    """A repository or organization label; colour stored as lowercase #rrggbb."""

    id: int
    name: str
    color: str
    description: str = ""
    exclusive: bool = False
    is_archived: bool = False
    org: str = ""


@dataclass
class Milestone:
    """A repository milestone; `due_on` None means no deadline."""

    id: int
    title: str
    description: str = ""
    state: str = "open"
    due_on: datetime | None = None
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    closed_at: datetime | None = None


@dataclass
class Comment:
    """A comment on an issue or pull request."""

    id: int
    issue_number: int
    user: str
    body: str
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)


@dataclass
class ReviewComment:
    """An inline (code) comment of a review; `line` is Gitea's signed line: > 0 new side, < 0 old side."""

    id: int
    path: str
    line: int
    body: str
    user: str
    commit_id: str
    diff_hunk: str  # "" when the line is in no hunk of the diff: Gitea stores such a comment anyway
    created: datetime = field(default_factory=now)


@dataclass
class Review:
    """A pull request review: state APPROVED, REQUEST_CHANGES, COMMENT or PENDING (seen by its author only)."""

    id: int
    user: str
    state: str
    body: str
    commit_id: str
    official: bool = False
    comments: list[ReviewComment] = field(default_factory=list)
    dismissed: bool = False
    created: datetime = field(default_factory=now)


@dataclass
class PullInfo:
    """The pull-request half of an issue."""

    id: int
    head_branch: str
    base_branch: str
    merged: bool = False
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None
    reviews: list[Review] = field(default_factory=list)


@dataclass
class Issue:
    """An issue or (when `pull` is set) a pull request."""

    id: int
    number: int
    title: str
    user: str
    body: str = ""
    state: str = "open"
    labels: list[int] = field(default_factory=list)
    milestone: int | None = None
    assignees: list[str] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    closed_at: datetime | None = None
    due_date: datetime | None = None
    ref: str = ""
    pull: PullInfo | None = None
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Release:
    """A release attached to a tag."""

    id: int
    tag_name: str
    target: str
    name: str
    body: str
    author: str
    draft: bool = False
    prerelease: bool = False
    created: datetime = field(default_factory=now)


@dataclass
class CommitStatus:
    """A CI status posted on a commit."""

    id: int
    sha: str
    state: str
    context: str
    description: str
    target_url: str
    creator: str
    created: datetime = field(default_factory=now)


@dataclass
class Repository:
    """A repository: git data on disk, everything else here."""

    id: int
    owner: str
    name: str
    git: GitRepository
    private: bool = False
    description: str = ""
    website: str = ""
    default_branch: str = "main"
    topics: list[str] = field(default_factory=list)
    collaborators: dict[str, str] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: list[Label] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    statuses: list[CommitStatus] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    runs: list[Any] = field(default_factory=list)  # Gitea Actions runs (tests/emulator/actions.py)
    internal: bool = False  # visible to every signed-in user, not to anonymous callers
    parent: str | None = None  # owner/name of the repository this one is a fork of
    wiki: GitRepository | None = None  # `<name>.wiki.git`, made by the seed or the first page written

    @property
    def full_name(self) -> str:
        """Return owner/name."""
        return f"{self.owner}/{self.name}"


class Store:
    """Every database row of the emulated Gitea, guarded by one lock for writes."""

    def __init__(self, root_url: str, state_dir: str) -> None:
        self.root_url = root_url.rstrip("/") + "/"
        self.state_dir = state_dir
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.orgs: dict[str, Organization] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.repos: dict[tuple[str, str], Repository] = {}
        self._ids: dict[str, int] = {}

    def next_id(self, kind: str) -> int:
        """Return the next auto-increment id of a table."""
        with self.lock:
            self._ids[kind] = self._ids.get(kind, 0) + 1
            return self._ids[kind]

    def user(self, login: str) -> User | None:
        """Find a user case-insensitively."""
        return self.users.get(login.lower())

    def org(self, name: str) -> Organization | None:
        """Find an organization case-insensitively."""
        return self.orgs.get(name.lower())

    def repo(self, owner: str, name: str) -> Repository | None:
        """Find a repository case-insensitively."""
        return self.repos.get((owner.lower(), name.lower()))

    def user_by_email(self, email: str) -> User | None:
        """Find the user owning a commit email (None means a commit shows no Gitea user)."""
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def access(self, repo: Repository, login: str | None) -> str:
        """Return none/read/write/admin/owner for a user (None = anonymous) on a repository."""
        user = self.user(login) if login else None
        public = "none" if repo.private or (repo.internal and user is None) else "read"
        if user is None:
            return public
        org = self.org(repo.owner)
        if user.is_admin or repo.owner.lower() == user.login.lower() or (org and user.login in org.owners):
            return "owner"
        granted = repo.collaborators.get(user.login, "none")
        return max(granted, public, key=ACCESS_LEVELS.index)

    def can(self, repo: Repository, login: str | None, level: str) -> bool:
        """Tell whether a user has at least `level` access to a repository."""
        return ACCESS_LEVELS.index(self.access(repo, login)) >= ACCESS_LEVELS.index(level)

    def visible_repos(self, login: str | None) -> list[Repository]:
        """Return the repositories a user may see, ordered by id."""
        return sorted((r for r in self.repos.values() if self.can(r, login, "read")), key=lambda r: r.id)
