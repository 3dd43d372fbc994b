"""Turn a declarative seed into git repositories on disk and rows in the Store."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.emulator.actions import build_runs
from tests.emulator.api_reviews import hunk_around
from tests.emulator.gitrepo import GitRepository
from tests.emulator.model import (
    AccessToken,
    Comment,
    CommitStatus,
    Issue,
    Label,
    Milestone,
    Organization,
    PullInfo,
    Release,
    Repository,
    Review,
    ReviewComment,
    Store,
    User,
    normalize_color,
)

# Seed history starts here so commit shas are the same on every run.
_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def build_world(store: Store, seed: dict[str, Any]) -> None:
    """Create users, tokens, orgs and repositories of a seed."""
    for spec in seed.get("users", []):
        _add_user(store, spec)
    for spec in seed.get("orgs", []):
        _add_org(store, spec)
    for spec in seed.get("repos", []):
        _add_repo(store, spec)


def _add_user(store: Store, spec: dict[str, Any]) -> None:
    """Create one user and its access tokens (random 40-hex values, like Gitea)."""
    login = spec["login"]
    store.users[login.lower()] = User(
        store.next_id("user"), login, spec["password"], spec.get("email", f"{login}@example.com"),
        spec.get("full_name", ""), spec.get("is_admin", False),
    )
    for token in spec.get("tokens", []):
        value = secrets.token_hex(20)
        store.tokens[value] = AccessToken(value, login, token["name"], list(token["scopes"]))


def _add_org(store: Store, spec: dict[str, Any]) -> None:
    """Create an organization with its owners, members and org-level labels."""
    org = Organization(
        store.next_id("user"), spec["name"], spec.get("full_name", ""), spec.get("description", ""),
        list(spec.get("owners", [])), list(spec.get("members", [])),
    )
    org.labels = [_label(store, item, org=org.name) for item in spec.get("labels", [])]
    store.orgs[org.name.lower()] = org


def _label(store: Store, spec: dict[str, Any], org: str = "") -> Label:
    """Build a label, normalizing its colour."""
    color = normalize_color(spec["color"])
    if color is None:
        raise ValueError(f"seed label {spec['name']!r} has a bad colour")
    return Label(store.next_id("label"), spec["name"], color, spec.get("description", ""),
                 spec.get("exclusive", False), spec.get("is_archived", False), org)


def _add_repo(store: Store, spec: dict[str, Any]) -> None:
    """Create the git repository and its database rows."""
    default_branch = spec.get("default_branch", "main")
    git = GitRepository(os.path.join(store.state_dir, "repositories", spec["owner"], spec["name"] + ".git"))
    git.init(default_branch)
    if spec.get("commits"):
        git.fast_import(fast_import_stream(spec["commits"]))
    for tag in spec.get("tags", []):
        _add_tag(git, tag)
    repo = Repository(
        store.next_id("repo"), spec["owner"], spec["name"], git, spec.get("private", False),
        spec.get("description", ""), spec.get("website", ""), default_branch, list(spec.get("topics", [])),
        dict(spec.get("collaborators", {})),
    )
    repo.internal, repo.parent = spec.get("internal", False), spec.get("parent")
    store.repos[(repo.owner.lower(), repo.name.lower())] = repo
    _add_metadata(store, repo, spec)
    if spec.get("wiki"):
        repo.wiki = _wiki(store, spec)


def _wiki(store: Store, spec: dict[str, Any]) -> GitRepository:
    """The repository's wiki: its own git repository, pages committed on `main` as git paths ("Home.md")."""
    wiki = GitRepository(os.path.join(store.state_dir, "repositories", spec["owner"], spec["name"] + ".wiki.git"))
    wiki.init("main")
    wiki.fast_import(fast_import_stream([{**commit, "branch": "main"} for commit in spec["wiki"]]))
    return wiki


def _add_metadata(store: Store, repo: Repository, spec: dict[str, Any]) -> None:
    """Fill labels, milestones, issues, pulls, releases and statuses of a repository."""
    repo.labels = [_label(store, item) for item in spec.get("labels", [])]
    repo.milestones = [_milestone(store, item) for item in spec.get("milestones", [])]
    for position, item in enumerate(spec.get("issues", [])):
        _add_issue(store, repo, item, _EPOCH + timedelta(days=30 + position))
    for position, item in enumerate(spec.get("releases", [])):
        _add_release(store, repo, item, _EPOCH + timedelta(days=60 + position))
    for item in spec.get("statuses", []):
        sha = repo.git.resolve(item["ref"])
        if sha is None:
            raise ValueError(f"seed status ref {item['ref']!r} not found")
        repo.statuses.append(CommitStatus(
            store.next_id("status"), sha, item["state"], item.get("context", "default"),
            item.get("description", ""), item.get("target_url", ""), item["creator"],
        ))
    repo.runs = build_runs(store.next_id, spec.get("runs", []), lambda ref: repo.git.resolve(ref) or "")


def _milestone(store: Store, spec: dict[str, Any]) -> Milestone:
    """Build a milestone from its seed entry."""
    due = datetime.fromisoformat(spec["due_on"].replace("Z", "+00:00")) if spec.get("due_on") else None
    milestone = Milestone(store.next_id("milestone"), spec["title"], spec.get("description", ""),
                          spec.get("state", "open"), due)
    if milestone.state == "closed":
        milestone.closed_at = milestone.created
    return milestone


def _add_issue(store: Store, repo: Repository, spec: dict[str, Any], created: datetime) -> None:
    """Create one issue, or a pull request when the entry names a head branch."""
    number = len(repo.issues) + 1
    labels = [label.id for name in spec.get("labels", []) if (label := find_label(store, repo, name))]
    milestone = next((m.id for m in repo.milestones if m.title == spec.get("milestone")), None)
    issue = Issue(store.next_id("issue"), number, spec["title"], spec["user"], spec.get("body", ""),
                  spec.get("state", "open"), labels, milestone, list(spec.get("assignees", [])), created, created)
    if issue.state == "closed":
        issue.closed_at = created + timedelta(hours=5)
        issue.updated = issue.closed_at
    if spec.get("head"):
        issue.pull = PullInfo(store.next_id("pull"), spec["head"], spec.get("base", repo.default_branch))
        issue.pull.reviews = [_review(store, repo, issue.pull, item, created) for item in spec.get("reviews", [])]
    for offset, comment in enumerate(spec.get("comments", []), start=1):
        at = created + timedelta(hours=offset)
        issue.comments.append(Comment(store.next_id("comment"), number, comment["user"], comment["body"], at, at))
    repo.issues[number] = issue


def _review(store: Store, repo: Repository, pull: PullInfo, spec: dict[str, Any], created: datetime) -> Review:
    """A submitted review of the pull request's head, its inline comments given as Gitea stores them."""
    head = repo.git.resolve(f"refs/heads/{pull.head_branch}") or ""
    base = repo.git.merge_base(repo.git.resolve(f"refs/heads/{pull.base_branch}") or "", head) or ""
    comments = [ReviewComment(store.next_id("comment"), item["path"], item["line"], item["body"], spec["user"], head,
                              hunk_around(repo.git.run("diff", "-M", base, head, "--", item["path"]).decode(),
                                          item["line"]), created)
                for item in spec.get("comments", [])]
    return Review(store.next_id("review"), spec["user"], spec["state"], spec.get("body", ""), head,
                  spec.get("official", False), comments, created=created + timedelta(hours=2))


def _add_release(store: Store, repo: Repository, spec: dict[str, Any], created: datetime) -> None:
    """Create a release on an existing tag."""
    repo.releases.append(Release(
        store.next_id("release"), spec["tag_name"], spec.get("target_commitish", repo.default_branch),
        spec.get("name", spec["tag_name"]), spec.get("body", ""), spec["author"],
        spec.get("draft", False), spec.get("prerelease", False), created,
    ))


def find_label(store: Store, repo: Repository, name: str) -> Label | None:
    """Find a label by name in the repository, then in its organization."""
    org = store.org(repo.owner)
    candidates = repo.labels + (org.labels if org else [])
    return next((label for label in candidates if label.name == name), None)


def _add_tag(git: GitRepository, spec: dict[str, Any]) -> None:
    """Create a lightweight tag, or an annotated one when the seed gives a message."""
    target = git.resolve(spec["target"])
    if target is None:
        raise ValueError(f"seed tag target {spec['target']!r} not found")
    if "message" not in spec:
        git.update_ref(f"refs/tags/{spec['name']}", target)
        return
    git.run("-c", "user.name=Alice Liddell", "-c", "user.email=alice@example.com",
            "tag", "-a", spec["name"], "-m", spec["message"], target)


def fast_import_stream(commits: list[dict[str, Any]]) -> bytes:
    """Render seed commits as a `git fast-import` stream (one hour apart, from a fixed epoch)."""
    out: list[bytes] = []
    started: set[str] = set()
    for position, commit in enumerate(commits):
        when = int((_EPOCH + timedelta(hours=position)).timestamp())
        who = commit["author"]
        message = commit["message"].encode() + b"\n"
        ident = f"{who['name']} <{who['email']}> {when} +0000"
        out.append(f"commit refs/heads/{commit['branch']}\nauthor {ident}\ncommitter {ident}\n".encode())
        out.append(b"data %d\n%s\n" % (len(message), message))
        if commit["branch"] not in started and commit.get("start"):
            out.append(f"from refs/heads/{commit['start']}\n".encode())
        started.add(commit["branch"])
        out.extend(_file_commands(commit["files"]))
    out.append(b"done\n")
    return b"".join(out)


def _file_commands(files: dict[str, Any]) -> list[bytes]:
    """Render file changes: text, bytes, {"base64": ...} or None (delete)."""
    commands = []
    for path, content in files.items():
        if content is None:
            commands.append(f"D {path}\n".encode())
            continue
        data = _content_bytes(content)
        mode = "100755" if path.endswith(".sh") else "100644"
        commands.append(f"M {mode} inline {path}\n".encode() + b"data %d\n" % len(data) + data + b"\n")
    return commands


def _content_bytes(content: Any) -> bytes:
    """Return file bytes from a seed value."""
    if isinstance(content, bytes):
        return content
    if isinstance(content, dict):
        return base64.b64decode(content["base64"])
    return str(content).encode()
