"""Gitea's JSON shapes (GG:services/convert), nulls included as FACTS §5 lists them."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.emulator.gitrepo import CommitInfo
from tests.emulator.model import (
    Comment,
    CommitStatus,
    Issue,
    Label,
    Milestone,
    Organization,
    Release,
    Repository,
    Store,
    User,
    iso,
)

ZERO_TIME = "1970-01-01T00:00:00Z"
NO_SIGNATURE = {"verified": False, "reason": "gpg.error.not_signed_commit", "signature": "", "signer": None,
                "payload": ""}


class Renderer:
    """Builds API objects; knows ROOT_URL and the store to link users and repositories."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.root = store.root_url

    def avatar(self, email: str) -> str:
        """Return a stable avatar URL."""
        return f"{self.root}avatars/{hashlib.md5(email.lower().encode()).hexdigest()}"

    def user(self, login: str) -> dict[str, Any]:
        """Render a user (an organization renders as a user where Gitea does so)."""
        user = self.store.user(login)
        if user is None:
            org = self.store.org(login)
            return self._org_as_user(org) if org else self._ghost()
        return self._user(user)

    def _user(self, user: User) -> dict[str, Any]:
        """Render an existing user account."""
        return {
            "id": user.id, "login": user.login, "login_name": "", "source_id": 0, "full_name": user.full_name,
            "email": user.email, "avatar_url": self.avatar(user.email), "html_url": self.root + user.login,
            "language": "en-US", "is_admin": user.is_admin, "last_login": iso(user.created),
            "created": iso(user.created), "restricted": False, "active": True, "prohibit_login": False,
            "location": "", "website": "", "description": "", "visibility": "public",
            "followers_count": 0, "following_count": 0, "starred_repos_count": 0,
        }

    def _org_as_user(self, org: Organization) -> dict[str, Any]:
        """Render an organization in a User field (repository owner)."""
        email = f"{org.name}@noreply.example"
        return {**self._user(User(org.id, org.name, "", "", org.full_name)), "email": "",
                "avatar_url": self.avatar(email), "last_login": ZERO_TIME}

    def _ghost(self) -> dict[str, Any]:
        """Render Gitea's placeholder for a deleted user."""
        return {**self._user(User(-1, "Ghost", "", "", "")), "avatar_url": self.root + "assets/img/avatar_default.png"}

    def org(self, org: Organization) -> dict[str, Any]:
        """Render an organization."""
        return {
            "id": org.id, "name": org.name, "username": org.name, "full_name": org.full_name,
            "email": "", "avatar_url": self.avatar(f"{org.name}@noreply.example"), "description": org.description,
            "website": "", "location": "", "visibility": "public", "repo_admin_change_team_access": False,
        }

    def repo(self, repo: Repository, viewer: str | None) -> dict[str, Any]:
        """Render a repository as `viewer` sees it (permissions depend on the caller)."""
        access = self.store.access(repo, viewer)
        html = self.root + repo.full_name
        heads = repo.git.refs("refs/heads")
        open_issues = [i for i in repo.issues.values() if i.state == "open"]
        return {
            "id": repo.id, "owner": self.user(repo.owner), "name": repo.name, "full_name": repo.full_name,
            "description": repo.description, "empty": not heads, "private": repo.private,
            "fork": repo.parent is not None, "template": False, "parent": self.parent(repo, viewer),
            "mirror": False, "size": 0, "language": "", "languages_url":
            f"{self.root}api/v1/repos/{repo.full_name}/languages", "html_url": html, "url":
            f"{self.root}api/v1/repos/{repo.full_name}", "link": "", "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
            "clone_url": html + ".git", "original_url": "", "website": repo.website, "stars_count": 0,
            "forks_count": 0, "watchers_count": 1, "open_issues_count": sum(1 for i in open_issues if not i.pull),
            "open_pr_counter": sum(1 for i in open_issues if i.pull), "release_counter":
            sum(1 for r in repo.releases if not r.draft), "default_branch": repo.default_branch,
            "default_target_branch": repo.default_branch, "archived": False, "created_at": iso(repo.created),
            "updated_at": iso(repo.created), "archived_at": ZERO_TIME, "permissions": {
                "admin": access in ("admin", "owner"), "push": access in ("write", "admin", "owner"),
                "pull": access != "none"},
            "has_code": True, "has_issues": True, "internal_tracker": {
                "enable_time_tracker": True, "allow_only_contributors_to_track_time": True,
                "enable_issue_dependencies": True},
            "has_wiki": True, "has_pull_requests": True, "has_projects": False, "projects_mode": "all",
            "has_releases": True, "has_packages": False, "has_actions": False, "ignore_whitespace_conflicts": False,
            "allow_merge_commits": True, "allow_rebase": True, "allow_rebase_explicit": True,
            "allow_squash_merge": True, "allow_fast_forward_only_merge": True, "allow_rebase_update": True,
            "allow_manual_merge": False, "autodetect_manual_merge": False, "allow_merge_update": True,
            "default_delete_branch_after_merge": False, "default_merge_style": "merge",
            "default_update_style": "merge", "default_allow_maintainer_edit": False, "avatar_url": "",
            "internal": repo.internal, "mirror_interval": "", "object_format_name": "sha1",
            "mirror_updated": ZERO_TIME, "repo_transfer": None, "topics": list(repo.topics),
            "licenses": [], "branch_count": len(heads),
        }

    def parent(self, repo: Repository, viewer: str | None) -> dict[str, Any] | None:
        """The repository a fork was made from, as `viewer` sees it (null when not a fork or not visible)."""
        parent = self.store.repo(*repo.parent.split("/", 1)) if repo.parent else None
        return self.repo(parent, viewer) if parent and self.store.can(parent, viewer, "read") else None

    def label(self, label: Label, repo: Repository | None = None) -> dict[str, Any]:
        """Render a label; the colour goes out without '#'."""
        owner = f"orgs/{label.org}" if label.org else f"repos/{repo.full_name if repo else ''}"
        return {
            "id": label.id, "name": label.name, "exclusive": label.exclusive, "is_archived": label.is_archived,
            "color": label.color.lstrip("#"), "description": label.description,
            "url": f"{self.root}api/v1/{owner}/labels/{label.id}",
        }

    def milestone(self, repo: Repository, milestone: Milestone) -> dict[str, Any]:
        """Render a milestone with its issue counters; no deadline gives `due_on: null`."""
        linked = [i for i in repo.issues.values() if i.milestone == milestone.id]
        return {
            "id": milestone.id, "title": milestone.title, "description": milestone.description,
            "state": milestone.state, "open_issues": sum(1 for i in linked if i.state == "open"),
            "closed_issues": sum(1 for i in linked if i.state == "closed"), "created_at": iso(milestone.created),
            "updated_at": iso(milestone.updated), "closed_at": iso(milestone.closed_at),
            "due_on": iso(milestone.due_on),
        }

    def issue_labels(self, repo: Repository, issue: Issue) -> list[dict[str, Any]]:
        """Render the labels of an issue (repo and org labels)."""
        org = self.store.org(repo.owner)
        known = {label.id: label for label in repo.labels + (org.labels if org else [])}
        return [self.label(known[i], repo) for i in issue.labels if i in known]

    def _people(self, logins: list[str]) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
        """Return (assignee, assignees): both null when nobody is assigned."""
        people = [self.user(login) for login in logins]
        return (people[0], people) if people else (None, None)

    def issue(self, repo: Repository, issue: Issue) -> dict[str, Any]:
        """Render an issue (a PR renders here too, with `pull_request` set)."""
        assignee, assignees = self._people(issue.assignees)
        milestone = next((m for m in repo.milestones if m.id == issue.milestone), None)
        kind = "pulls" if issue.pull else "issues"
        return {
            "id": issue.id, "url": f"{self.root}api/v1/repos/{repo.full_name}/issues/{issue.number}",
            "html_url": f"{self.root}{repo.full_name}/{kind}/{issue.number}", "number": issue.number,
            "user": self.user(issue.user), "original_author": "", "original_author_id": 0,
            "title": issue.title, "body": issue.body, "ref": issue.ref, "assets": [],
            "labels": self.issue_labels(repo, issue),
            "milestone": self.milestone(repo, milestone) if milestone else None,
            "assignee": assignee, "assignees": assignees, "state": issue.state, "is_locked": False,
            "comments": len(issue.comments), "created_at": iso(issue.created), "updated_at": iso(issue.updated),
            "closed_at": iso(issue.closed_at), "due_date": iso(issue.due_date), "time_estimate": 0,
            "pull_request": self._pull_meta(repo, issue), "repository": {
                "id": repo.id, "name": repo.name, "owner": repo.owner, "full_name": repo.full_name},
            "pin_order": 0, "content_version": 0,
        }

    def _pull_meta(self, repo: Repository, issue: Issue) -> dict[str, Any] | None:
        """Render the `pull_request` stub of an issue (null for plain issues)."""
        if issue.pull is None:
            return None
        return {"merged": issue.pull.merged, "merged_at": iso(issue.pull.merged_at), "draft": False,
                "html_url": f"{self.root}{repo.full_name}/pulls/{issue.number}"}

    def pull(self, repo: Repository, issue: Issue, viewer: str | None, single: bool) -> dict[str, Any]:
        """Render a pull request; list responses carry the nulls FACTS §5 describes."""
        pull = issue.pull
        assert pull is not None
        base = self.issue(repo, issue)
        html = base["html_url"]
        head_sha = repo.git.resolve(f"refs/heads/{pull.head_branch}") or ""
        base_sha = repo.git.resolve(f"refs/heads/{pull.base_branch}") or ""
        changes = repo.git.diff_files(base_sha, head_sha) if single and head_sha and base_sha else None
        reviewers: list[Any] | None = [] if single else None
        return {
            **{k: base[k] for k in ("id", "number", "user", "title", "body", "labels", "milestone", "assignee",
                                    "assignees", "state", "is_locked", "comments", "html_url", "created_at",
                                    "updated_at", "closed_at", "due_date", "pin_order", "content_version")},
            "url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "draft": False,
            "review_comments": 0, "requested_reviewers": reviewers, "requested_reviewers_teams": reviewers,
            "additions": sum(c.additions for c in changes) if changes is not None else None,
            "deletions": sum(c.deletions for c in changes) if changes is not None else None,
            "changed_files": len(changes) if changes is not None else None,
            "mergeable": issue.state == "open", "merged": pull.merged, "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "merged_by": self.user(pull.merged_by) if pull.merged_by else None,
            "allow_maintainer_edit": False, "merge_base": repo.git.merge_base(base_sha, head_sha) or "" if
            head_sha and base_sha else "",
            "base": self._branch_info(repo, pull.base_branch, base_sha, viewer),
            "head": self._branch_info(repo, pull.head_branch, head_sha, viewer),
        }

    def _branch_info(self, repo: Repository, branch: str, sha: str, viewer: str | None) -> dict[str, Any]:
        """Render one side (base or head) of a pull request."""
        return {"label": branch, "ref": branch, "sha": sha, "repo_id": repo.id, "repo": self.repo(repo, viewer)}

    def comment(self, repo: Repository, issue: Issue, comment: Comment) -> dict[str, Any]:
        """Render a comment; exactly one of issue_url / pull_request_url is set."""
        kind = "pulls" if issue.pull else "issues"
        link = f"{self.root}{repo.full_name}/{kind}/{issue.number}"
        return {
            "id": comment.id, "html_url": f"{link}#issuecomment-{comment.id}",
            "pull_request_url": link if issue.pull else "", "issue_url": "" if issue.pull else link,
            "user": self.user(comment.user), "original_author": "", "original_author_id": 0,
            "body": comment.body, "assets": [], "created_at": iso(comment.created),
            "updated_at": iso(comment.updated),
        }

    def commit_user(self, email: str) -> dict[str, Any] | None:
        """Return the Gitea user owning a commit email, or None (FACTS §5)."""
        user = self.store.user_by_email(email)
        return self._user(user) if user else None

    def commit(self, repo: Repository, info: CommitInfo, stat: bool = True, files: bool = True) -> dict[str, Any]:
        """Render a commit; `stats`/`files` are omitted when their flags are false."""
        api = f"{self.root}api/v1/repos/{repo.full_name}/git/commits/{info.sha}"
        out: dict[str, Any] = {
            "url": api, "sha": info.sha, "created": info.committer_date,
            "html_url": f"{self.root}{repo.full_name}/commit/{info.sha}",
            "commit": {
                "url": api, "message": info.message,
                "author": {"name": info.author_name, "email": info.author_email, "date": info.author_date},
                "committer": {"name": info.committer_name, "email": info.committer_email,
                              "date": info.committer_date},
                "tree": {"url": f"{self.root}api/v1/repos/{repo.full_name}/git/trees/{info.tree}",
                         "sha": info.tree, "created": info.committer_date},
                "verification": NO_SIGNATURE,
            },
            "author": self.commit_user(info.author_email), "committer": self.commit_user(info.committer_email),
            "parents": [{"url": f"{self.root}api/v1/repos/{repo.full_name}/git/commits/{p}", "sha": p,
                         "created": info.committer_date} for p in info.parents],
        }
        if files:
            out["files"] = [{"filename": f.path, "status": _FILE_STATUS[f.status]} for f in info.files]
        if stat:
            added, deleted = sum(f.additions for f in info.files), sum(f.deletions for f in info.files)
            out["stats"] = {"total": added + deleted, "additions": added, "deletions": deleted}
        return out

    def payload_commit(self, repo: Repository, info: CommitInfo) -> dict[str, Any]:
        """Render a commit the way branches and webhooks do (PayloadCommit)."""
        return {
            "id": info.sha, "message": info.message, "url": f"{self.root}{repo.full_name}/commit/{info.sha}",
            "author": self._payload_user(info.author_name, info.author_email),
            "committer": self._payload_user(info.committer_name, info.committer_email),
            "verification": NO_SIGNATURE, "timestamp": info.committer_date,
            "added": [f.path for f in info.files if f.status == "A"],
            "removed": [f.path for f in info.files if f.status == "D"],
            "modified": [f.path for f in info.files if f.status == "M"],
        }

    def _payload_user(self, name: str, email: str) -> dict[str, Any]:
        """Render a git identity with the login of its owner, if any."""
        user = self.store.user_by_email(email)
        return {"name": name, "email": email, "username": user.login if user else ""}

    def release(self, repo: Repository, release: Release) -> dict[str, Any]:
        """Render a release."""
        base = f"{self.root}{repo.full_name}"
        return {
            "id": release.id, "tag_name": release.tag_name, "target_commitish": release.target,
            "name": release.name, "body": release.body, "url": f"{self.root}api/v1/repos/{repo.full_name}/releases/"
            f"{release.id}", "html_url": f"{base}/releases/tag/{release.tag_name}",
            "tarball_url": f"{base}/archive/{release.tag_name}.tar.gz",
            "zipball_url": f"{base}/archive/{release.tag_name}.zip",
            "upload_url": f"{self.root}api/v1/repos/{repo.full_name}/releases/{release.id}/assets",
            "draft": release.draft, "prerelease": release.prerelease, "created_at": iso(release.created),
            "published_at": iso(release.created), "author": self.user(release.author), "assets": [],
        }

    def status(self, repo: Repository, status: CommitStatus) -> dict[str, Any]:
        """Render one commit status."""
        return {
            "id": status.id, "status": status.state, "target_url": status.target_url,
            "description": status.description, "context": status.context, "creator": self.user(status.creator),
            "url": f"{self.root}api/v1/repos/{repo.full_name}/statuses/{status.sha}",
            "created_at": iso(status.created), "updated_at": iso(status.created),
        }


_FILE_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "T": "modified", "C": "copied"}
