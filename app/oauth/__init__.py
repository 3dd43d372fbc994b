"""The OAuth 2.1 authorization-server facade in front of Gitea (DESIGN.md "Authentication")."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.auth.authenticator import Authenticator
from app.auth.pat_mode import RepositoryPermissions
from app.auth.principal import Principal, service_credentials
from app.gitea.client import GiteaClient
from app.oauth.facade import EXTENSION, OAuthFacade, current_facade, record_security_event
from app.oauth.gitea_tokens import GiteaTokenValidator
from app.oauth.options import OAuthOptions, options_from
from app.oauth.principals import GiteaTokenResolver, SealedTokenResolver
from app.store import Store

__all__ = ["EXTENSION", "OAuthFacade", "OAuthOptions", "current_facade", "init_app"]


def init_app(app: Flask, store: Store, gitea: GiteaClient,
             authenticator: Authenticator) -> RepositoryPermissions | None:
    """In OAuth mode: build the facade and register its token resolvers with the authenticator.

    Returns the service-PAT permission check the tool runtime must apply (OAuth mode with GITEA_TOKEN),
    else None."""
    settings = app.config["SETTINGS"]
    if not settings.oauth_mode:
        return None
    facade = OAuthFacade.build(options_from(settings), store, gitea)
    app.extensions[EXTENSION] = facade
    authenticator.register(SealedTokenResolver(settings, facade))
    if settings.oauth_accept_gitea_tokens:
        facade.gitea_tokens = gitea_token_validator(facade.options)
        authenticator.register(GiteaTokenResolver(settings, facade.gitea_tokens))
    return service_token_guard(settings, store, gitea) if settings.gitea_token else None


def gitea_token_validator(options: OAuthOptions) -> GiteaTokenValidator:
    return GiteaTokenValidator(options.gitea_url, options.gitea_client_id, options.gitea_client_secret.reveal(),
                               options.cache_ttl, options.request_timeout, extra_audience=options.expected_audience)


def service_token_guard(settings: Any, store: Store, gitea: GiteaClient) -> RepositoryPermissions:
    """Service-PAT mode: each call first asks Gitea for the signed-in user's own permission."""
    credentials = service_credentials(settings.gitea_token)
    assert credentials is not None  # only called when GITEA_TOKEN is set
    return RepositoryPermissions(gitea, credentials, store, settings.repo_authz_cache_ttl_seconds, _audit_denial)


def _audit_denial(principal: Principal, tool: str, repository: str, needed: str, permission: str) -> None:
    record_security_event("repository_permission_denied", login=principal.login, client_id=principal.client_id,
                          tool=tool, repository=repository, needed=needed, permission=permission)
