"""Who is calling: bearer validation, principals, API keys (OAuth sealed tokens and PAT mode extend it)."""

from __future__ import annotations

from flask import Flask

from app.audit import AuditRecorder
from app.auth.api_keys import ApiKeyResolver, ServiceLogin
from app.auth.authenticator import EXTENSION, Authenticator
from app.auth.failures import AuthAttempt, FailedAuthAudit
from app.auth.principal import service_credentials
from app.gitea.client import GiteaClient
from app.store import Store

__all__ = ["EXTENSION", "AuthAttempt", "Authenticator", "init_app"]


def init_app(app: Flask, gitea: GiteaClient, store: Store, audit: AuditRecorder) -> Authenticator:
    """The app's authenticator; outside OAuth mode it knows the MCP_API_KEYS, shown with the Gitea login
    of GITEA_TOKEN (looked up once, lazily, on the first authenticated call). Every failure is audited
    (app/auth/failures.py), at most AUTH_FAILURE_AUDIT_PER_MINUTE entries per address and minute."""
    settings = app.config["SETTINGS"]
    authenticator = Authenticator(settings, FailedAuthAudit(store, audit, settings.auth_failure_audit_per_minute))
    if not settings.oauth_mode:
        credentials = service_credentials(settings.gitea_token)
        login = ServiceLogin(lambda: str(gitea.bind(credentials).current_user()["login"]))
        authenticator.register(ApiKeyResolver(settings, login))
    app.extensions[EXTENSION] = authenticator
    return authenticator
