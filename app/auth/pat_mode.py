"""Service-PAT mode (OAUTH_MODE=true + GITEA_TOKEN): the PAT acts only where the user may act.

Before a tool touches a repository with the service token, Gitea is asked for the signed-in
user's permission on it (GET .../collaborators/{login}/permission, with the PAT); read tools
need read, write tools need write. Answers are cached for REPO_AUTHZ_CACHE_TTL_SECONDS;
denials are audited as `repository_permission_denied`.
"""

from __future__ import annotations

from typing import Any

from app.auth.principal import Principal
from app.gitea.credentials import GiteaCredentials
from app.gitea.errors import GiteaError, GiteaNotFound
from app.store import Store

LEVELS = ("none", "read", "write", "admin", "owner")
CACHE_PREFIX = "oauth:repo-authz:"
SERVICE_PAT_KIND = "service_pat"


def permission_rank(permission: str) -> int:
    return LEVELS.index(permission) if permission in LEVELS else 0


class RepositoryPermissions:
    """The ToolRuntime.repository_permission seam: a reason to refuse, or None."""

    def __init__(self, gitea: Any, service: GiteaCredentials, store: Store, ttl: int, on_denied: Any) -> None:
        self.gitea, self.service, self.store, self.ttl = gitea, service, store, ttl
        self.on_denied = on_denied  # (principal, tool name, repository, needed, permission) -> None

    def __call__(self, principal: Principal, tool: Any, repository: str) -> str | None:
        if principal.kind != SERVICE_PAT_KIND:
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
