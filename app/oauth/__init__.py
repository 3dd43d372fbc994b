"""The OAuth 2.1 authorization-server facade in front of Gitea (DESIGN.md "Authentication")."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.auth.principal import Principal
from app.oauth.facade import EXTENSION, OAuthFacade, current_facade, record_security_event
from app.oauth.options import OAuthOptions, options_from
from app.store import EXTENSION as STORE_EXTENSION

__all__ = ["EXTENSION", "OAuthFacade", "OAuthOptions", "current_facade", "init_app"]
GITEA_EXTENSION, TOOLS_EXTENSION = "aegis.gitea", "aegis.tools"


def init_app(app: Flask) -> None:
    """In OAuth mode: build the facade, fill the resolver hook, and in service-PAT mode the permission seam."""
    settings = app.config["SETTINGS"]
    if not settings.oauth_mode:
        return
    from app.auth import oauth_principal

    facade = OAuthFacade.build(options_from(settings), app.extensions[STORE_EXTENSION],
                               app.extensions[GITEA_EXTENSION])
    if settings.oauth_accept_gitea_tokens:
        facade.gitea_tokens = _gitea_token_validator(facade.options)
    app.extensions[EXTENSION] = facade
    oauth_principal.install()
    if settings.gitea_token:
        _guard_service_token(app, settings)


def _gitea_token_validator(options: OAuthOptions) -> Any:
    from app.auth.gitea_tokens import GiteaTokenValidator

    return GiteaTokenValidator(options.gitea_url, options.gitea_client_id, options.gitea_client_secret.reveal(),
                               options.cache_ttl, options.request_timeout, extra_audience=options.expected_audience)


def _guard_service_token(app: Flask, settings: Any) -> None:
    from app.auth.pat_mode import RepositoryPermissions
    from app.auth.principal import service_credentials

    credentials = service_credentials(settings.gitea_token)
    assert credentials is not None  # only called when GITEA_TOKEN is set
    runtime = app.extensions[TOOLS_EXTENSION]
    runtime.repository_permission = RepositoryPermissions(
        app.extensions[GITEA_EXTENSION], credentials, app.extensions[STORE_EXTENSION],
        settings.repo_authz_cache_ttl_seconds, _audit_denial)


def _audit_denial(principal: Principal, tool: str, repository: str, needed: str, permission: str) -> None:
    record_security_event("repository_permission_denied", login=principal.login, client_id=principal.client_id,
                          tool=tool, repository=repository, needed=needed, permission=permission)
