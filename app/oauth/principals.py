"""OAuth-mode principals: sealed tokens (always) and raw Gitea tokens (opt-in, non-conforming)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.auth.failures import EXPIRED_TOKEN, INVALID_TOKEN, REVOKED_TOKEN, TokenRejected
from app.auth.pat_mode import SERVICE_PAT_KIND
from app.auth.principal import Principal, service_credentials
from app.auth.sealed import ExpiredSealedToken, InvalidSealedToken, SealedAccess, looks_sealed
from app.config import Settings
from app.gitea.credentials import GiteaCredentials
from app.oauth.summary import auth_summary

if TYPE_CHECKING:
    from app.oauth.facade import OAuthFacade
    from app.oauth.gitea_tokens import GiteaTokenValidator

log = logging.getLogger("aegis.oauth")
OAUTH_KIND = "oauth"  # Gitea is called with the user's own token: a Gitea 401 means re-authenticate


def principal_from(settings: Settings, login: str, scopes: frozenset[str], client_id: str | None,
                   gitea_token: str) -> Principal:
    """The principal of a validated user token; service-PAT mode swaps in GITEA_TOKEN upstream."""
    if settings.gitea_token:
        return Principal(login, scopes, client_id, SERVICE_PAT_KIND, service_credentials(settings.gitea_token))
    return Principal(login, scopes, client_id, OAUTH_KIND, GiteaCredentials("bearer", gitea_token))


class SealedTokenResolver:
    """Sealed access tokens of ours → their principal, with no upstream call (None when not sealed;
    TokenRejected when invalid, expired or revoked)."""

    def __init__(self, settings: Settings, facade: OAuthFacade) -> None:
        self.settings, self.facade = settings, facade

    def __call__(self, token: str) -> Principal | None:
        if not looks_sealed(token):
            return None
        try:
            access: SealedAccess = self.facade.codec.open_access(token)
        except ExpiredSealedToken:
            raise TokenRejected(EXPIRED_TOKEN) from None
        except InvalidSealedToken:
            raise TokenRejected(INVALID_TOKEN) from None
        if self.facade.revocations.is_revoked_recently(access.family):  # a reused refresh token or replayed code
            raise TokenRejected(REVOKED_TOKEN)
        # spec/Troubleshooting.md: every authenticated request shows up in oauth_auth_summary. At INFO that
        # is once per token per worker (its first sighting); the repeats are DEBUG, so the sealed-token path
        # stays a dictionary lookup unless DEBUG is on.
        level = logging.INFO if self.facade.sightings.first(access.token_id) else logging.DEBUG
        if log.isEnabledFor(level):
            auth_summary(level, kind="sealed", scopes=access.scopes, api_probe="skip:cached",
                         login=access.login, client_id=access.client_id)
        return principal_from(self.settings, access.login, access.scopes, access.client_id, access.gitea_token)


class GiteaTokenResolver:
    """OAUTH_ACCEPT_GITEA_TOKENS only: a Gitea OAuth access token issued to our Gitea client id."""

    def __init__(self, settings: Settings, validator: GiteaTokenValidator) -> None:
        self.settings, self.validator = settings, validator

    def __call__(self, token: str) -> Principal | None:
        if token.count(".") != 2:
            return None
        found = self.validator.resolve(token)
        if found is None:
            raise TokenRejected(INVALID_TOKEN)  # a JWT of the right form that Gitea's keys or introspection refuse
        login, scopes = found
        client_id = f"gitea:{self.settings.gitea_oauth_client_id}"
        return principal_from(self.settings, login, scopes, client_id, token)
