"""OAuth-mode principals: sealed tokens (always) and raw Gitea tokens (opt-in, non-conforming)."""

from __future__ import annotations

import logging

from flask import current_app

from app.auth.pat_mode import SERVICE_PAT_KIND
from app.auth.principal import Principal, service_credentials
from app.auth.sealed import InvalidSealedToken, SealedAccess, looks_sealed
from app.config import Settings
from app.gitea.credentials import GiteaCredentials
from app.logging import log_event
from app.oauth.facade import EXTENSION as FACADE_EXTENSION

log = logging.getLogger("aegis.oauth")
OAUTH_KIND = "oauth"  # Gitea is called with the user's own token: a Gitea 401 means re-authenticate


def principal_from(settings: Settings, login: str, scopes: frozenset[str], client_id: str | None,
                   gitea_token: str) -> Principal:
    """The principal of a validated user token; service-PAT mode swaps in GITEA_TOKEN upstream."""
    if settings.gitea_token:
        return Principal(login, scopes, client_id, SERVICE_PAT_KIND, service_credentials(settings.gitea_token))
    return Principal(login, scopes, client_id, OAUTH_KIND, GiteaCredentials("bearer", gitea_token))


def resolve_sealed_token(settings: Settings, token: str) -> Principal | None:
    """A sealed access token of ours → its principal, with no upstream call; None when invalid."""
    if not looks_sealed(token):
        return None
    facade = current_app.extensions.get(FACADE_EXTENSION)
    if facade is None:
        return None
    try:
        access: SealedAccess = facade.codec.open_access(token)
    except InvalidSealedToken:
        return None
    if facade.revocations.is_revoked_recently(access.family):  # a reused refresh token or replayed code
        return None
    # spec/Troubleshooting.md: every authenticated request shows up in oauth_auth_summary. At INFO that
    # is once per token per worker (its first sighting); the repeats are DEBUG, so the sealed-token path
    # stays a dictionary lookup unless DEBUG is on.
    level = logging.INFO if facade.sightings.first(access.token_id) else logging.DEBUG
    if log.isEnabledFor(level):
        auth_summary(level, kind="sealed", scopes=access.scopes, api_probe="skip:cached",
                     login=access.login, client_id=access.client_id)
    return principal_from(settings, access.login, access.scopes, access.client_id, access.gitea_token)


def resolve_gitea_token(settings: Settings, token: str) -> Principal | None:
    """OAUTH_ACCEPT_GITEA_TOKENS only: a Gitea OAuth access token issued to our Gitea client id."""
    if not settings.oauth_accept_gitea_tokens or token.count(".") != 2:
        return None
    facade = current_app.extensions.get(FACADE_EXTENSION)
    validator = facade.gitea_tokens if facade is not None else None
    if validator is None:
        return None
    found = validator.resolve(token)
    if found is None:
        return None
    login, scopes = found
    return principal_from(settings, login, scopes, f"gitea:{settings.gitea_oauth_client_id}", token)


def auth_summary(level: int, *, kind: str, scopes: frozenset[str], api_probe: str, login: str | None,
                 client_id: str | None = None) -> None:
    """The `oauth_auth_summary` line of spec/Troubleshooting.md (token_type: sealed, jwt)."""
    log_event(log, level, "oauth_auth_summary", token_type=kind, scopes_observed=sorted(scopes),
              scopes_effective=sorted(scopes), api_probe=api_probe, login=login, client_id=client_id)


RESOLVERS = (resolve_sealed_token, resolve_gitea_token)


def install() -> None:
    """Fill the OAuth extension point of app.auth.principal (resolvers_for reads it per request)."""
    from app.auth import principal

    principal.OAUTH_RESOLVERS = RESOLVERS
