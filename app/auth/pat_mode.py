"""Service-PAT mode (OAUTH_MODE=true + GITEA_TOKEN): the PAT acts only where the user may act.

Before a tool touches a repository with the service token, Gitea is asked for the signed-in
user's permission on it (GET .../collaborators/{login}/permission, with the PAT); read tools
need read, write tools need write. Answers are cached for REPO_AUTHZ_CACHE_TTL_SECONDS;
denials are audited as `repository_permission_denied`.

Tools on no one repository (list_repositories, list_organizations, list_org_repositories) see
what the PAT's owner sees; `visible` tells which of those entries the signed-in user may see:
public repositories, private ones where their own permission is at least read, organizations
they belong to (GET /users/{login}/orgs). Filtering is chosen over calling Gitea as the user
because this mode has no user token to call with: the sealed token's Gitea token is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.auth.principal import Principal
from app.gitea.credentials import GiteaCredentials
from app.gitea.endpoints.base import Endpoints
from app.gitea.errors import GiteaError, GiteaNotFound
from app.gitea.pagination import Page, all_items
from app.store import Store

LEVELS = ("none", "read", "write", "admin", "owner")
CACHE_PREFIX = "oauth:repo-authz:"
MEMBERSHIP_PREFIX = "oauth:org-members:"
SERVICE_PAT_KIND = "service_pat"  # identity from the user's token, Gitea called with GITEA_TOKEN
REPOSITORIES, ORGANIZATIONS = "repositories", "organizations"  # what a repository-less tool lists
MEMBERSHIP_PAGES = 10  # 500 organizations: past that, further memberships are not shown (fail closed)


def permission_rank(permission: str) -> int:
    return LEVELS.index(permission) if permission in LEVELS else 0


class RepositoryPermissions:
    """The ToolRuntime.repository_permission seam: a reason to refuse, or None."""

    def __init__(self, gitea: Any, service: GiteaCredentials, store: Store, ttl: int, on_denied: Any) -> None:
        self.gitea, self.service, self.store, self.ttl = gitea, service, store, ttl
        self.on_denied = on_denied  # (principal, tool name, repository, needed, permission) -> None

    def __call__(self, principal: Principal, tool: Any, repository: str) -> str | None:
        if not self.acts_for(principal):
            return None  # API keys are the operator's own credential; raw user tokens are checked by Gitea
        needed = "write" if tool.is_write else "read"
        permission = self.permission(principal.login, repository)
        if permission is None:
            self.on_denied(principal, tool.name, repository, needed, "unknown")
            return (f"The permission of {principal.login} on {repository} could not be checked at Gitea; "
                    "try again, or ask the operator to check the service token.")
        if permission_rank(permission) >= permission_rank(needed):
            return None
        self.on_denied(principal, tool.name, repository, needed, permission)
        return f"{principal.login} has {permission} access to {repository}; {tool.name} needs {needed} access."

    def acts_for(self, principal: Principal) -> bool:
        """True when Gitea is called with the PAT on this principal's behalf."""
        return principal.kind == SERVICE_PAT_KIND

    def visible(self, login: str, listing: str, entry: Mapping[str, Any]) -> bool:
        """May `login` see this entry of a repository or organization list the PAT produced?"""
        if listing == REPOSITORIES:
            return self.may_read(login, entry)
        if listing == ORGANIZATIONS:
            return str(entry.get("name", "")).lower() in self.organizations(login)
        return False

    def may_read(self, login: str, repository: Mapping[str, Any]) -> bool:
        """Public repositories are readable by every signed-in user; a private one needs read or more."""
        if repository.get("private") is False:
            return True
        permission = self.permission(login, str(repository.get("full_name", "")))
        return permission is not None and permission_rank(permission) >= permission_rank("read")

    def organizations(self, login: str) -> frozenset[str]:
        """The (lower-cased) organizations `login` belongs to, as the PAT can see them; cached."""
        key = f"{MEMBERSHIP_PREFIX}{login.lower()}"
        cached = self.store.get(key)
        if cached is not None:
            return frozenset(json.loads(cached))
        names = self._ask_memberships(login)
        if names is not None and self.ttl > 0:
            self.store.set(key, json.dumps(sorted(names)).encode(), ttl=self.ttl)
        return names or frozenset()

    def _ask_memberships(self, login: str) -> frozenset[str] | None:
        calls = MembershipCalls(self.gitea, self.service)
        try:
            found = list(all_items(lambda page: calls.user_orgs(login, page), MEMBERSHIP_PAGES))
        except GiteaNotFound:
            return frozenset()
        except GiteaError:
            return None
        return frozenset(str(org.get("name") or org.get("username") or "").lower()
                         for org in found if isinstance(org, Mapping))

    def permission(self, login: str, repository: str) -> str | None:
        """none|read|write|admin|owner, cached; None when Gitea could not tell."""
        key = f"{CACHE_PREFIX}{login.lower()}:{repository.lower()}"
        cached = self.store.get(key)
        if cached is not None:
            return cached.decode()
        permission = self._ask_gitea(login, repository)
        if permission is not None and self.ttl > 0:
            self.store.set(key, permission.encode(), ttl=self.ttl)
        return permission

    def _ask_gitea(self, login: str, repository: str) -> str | None:
        owner, _, repo = repository.partition("/")
        try:
            body = self.gitea.bind(self.service).get_collaborator_permission(owner, repo, login)
        except GiteaNotFound:
            return "none"  # the repository is invisible to the service token, or the user is unknown
        except GiteaError:
            return None
        permission = body.get("permission")
        return permission if isinstance(permission, str) else None


class MembershipCalls(Endpoints):
    """The one Gitea route this mode needs beyond the tools' own: a user's organizations."""

    def user_orgs(self, login: str, page: int) -> Page:
        """GET /users/{username}/orgs."""
        return self._page("/users/{username}/orgs", page=page, limit=50, username=login)
