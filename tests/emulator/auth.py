"""Who is calling, and may their token use this route (FACTS §1.9, §2.1)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from flask import g, request

from tests.emulator.errors import GiteaError
from tests.emulator.model import Store

SCOPE_PREFIX = "token does not have at least one of required scope(s)"
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Principal:
    """The signed-in user; `scopes` is None for password logins (no scope limits)."""

    login: str
    scopes: list[str] | None


def current_login() -> str | None:
    """Return the signed-in login, or None for anonymous requests."""
    principal: Principal | None = g.get("principal")
    return principal.login if principal else None


def require_login() -> str:
    """Return the signed-in login or fail like Gitea's reqToken()."""
    login = current_login()
    if login is None:
        raise GiteaError(401, "token is required")
    return login


def authenticate(store: Store, oauth: Any) -> Principal | None:
    """Resolve the request's credentials; bad credentials on any route are a 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in ("token", "bearer") and value:
        return _from_token(store, oauth, value)
    if scheme.lower() == "basic" and value:
        return _from_basic(store, value)
    query_token = request.args.get("token") or request.args.get("access_token")
    return _from_token(store, oauth, query_token) if query_token else None


def _from_token(store: Store, oauth: Any, value: str) -> Principal:
    """Accept a personal access token, or an OAuth access JWT (any value with a dot)."""
    if "." in value:
        resolved = oauth.resolve_access_token(value) if oauth is not None else None
        if resolved is None:
            raise GiteaError(401, "invalid username, password or token")
        return Principal(resolved[0], list(resolved[1]))
    token = store.tokens.get(value)
    if token is None or token.revoked:
        raise GiteaError(401, "invalid username, password or token")
    return Principal(token.login, token.scopes)


def _from_basic(store: Store, value: str) -> Principal:
    """Accept Basic user:password or user:token."""
    try:
        login, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise GiteaError(401, "invalid username, password or token") from error
    user = store.user(login)
    token = store.tokens.get(secret)
    if user and token and not token.revoked and token.login == user.login:
        return Principal(user.login, token.scopes)
    if user and secret and user.password == secret:
        return Principal(user.login, None)
    raise GiteaError(401, "invalid username, password or token")


def route_scopes(template: str) -> list[list[str]]:
    """Return the scope categories Gitea's route groups demand, outermost check first."""
    parts = template.strip("/").split("/")
    if template == "/version" or not parts[0]:
        return []
    if parts[0] == "repos":
        issue_group = len(parts) > 3 and parts[3] in ("issues", "labels", "milestones")
        return [["issue"]] if issue_group else [["repository"]]
    if template == "/user/orgs" or template.startswith("/users/{username}/orgs"):
        return [["user", "organization"]]
    if template in ("/user/repos", "/users/{username}/repos"):
        return [["user"], ["repository"]]
    return [["organization"]] if parts[0] == "orgs" else [["user"]]


def check_scopes(principal: Principal | None, template: str, method: str) -> None:
    """Refuse a token that lacks the scope of the route group (403, Gitea's message)."""
    if principal is None or principal.scopes is None:
        return
    level = "write" if method in _WRITE_METHODS else "read"
    for categories in route_scopes(template):
        required = [f"{level}:{category}" for category in categories]
        if not all(has_scope(principal.scopes, scope) for scope in required):
            raise GiteaError(403, f"{SCOPE_PREFIX}, required=[{' '.join(required)}], "
                                  f"token scope={','.join(principal.scopes)}")


def has_scope(scopes: list[str], wanted: str) -> bool:
    """Tell whether granted scopes cover `wanted` (`all` covers everything; write implies read)."""
    level, _, category = wanted.partition(":")
    return "all" in scopes or wanted in scopes or (level == "read" and f"write:{category}" in scopes)


def public_only() -> bool:
    """Tell whether the caller's token is limited to public resources."""
    principal: Principal | None = g.get("principal")
    return bool(principal and principal.scopes and "public-only" in principal.scopes)
