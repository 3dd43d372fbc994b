"""The facade as Gitea's OAuth client: authorize URL, code and refresh exchanges, and the API probe."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from app.gitea.credentials import GiteaCredentials
from app.gitea.errors import GiteaAuthError, GiteaError, GiteaNotFound, GiteaPermissionError, GiteaScopeError
from app.logging import log_event
from app.oauth.codes import s256
from app.oauth.options import OAuthOptions

log = logging.getLogger("aegis.oauth")


class UpstreamRefused(Exception):
    """Gitea refused a code or refresh token (revoked grant, expired, replayed)."""


class UpstreamUnavailable(Exception):
    """Gitea could not be reached or answered something unexpected."""


@dataclass(frozen=True)
class GiteaTokens:
    """What Gitea's token endpoint returned."""

    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class Probe:
    """Who the Gitea token belongs to and how the probe went: pass, fail:401, fail:403, skip:error."""

    login: str | None
    result: str


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge, for our own leg to Gitea."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


class GiteaOAuth:
    """Calls to Gitea's /login/oauth endpoints with our confidential client credentials."""

    def __init__(self, options: OAuthOptions, gitea: Any) -> None:
        self.options = options
        self.gitea = gitea  # app.gitea.GiteaClient, for the /api/v1/user probe
        self.session = requests.Session()

    def authorize_url(self, state: str, scope: str, challenge: str) -> str:
        query = {"client_id": self.options.gitea_client_id, "redirect_uri": self.options.callback_url,
                 "response_type": "code", "scope": scope, "state": state,
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        return f"{self.options.gitea_url}/login/oauth/authorize?{urlencode(query)}"

    def redeem_code(self, code: str, verifier: str) -> GiteaTokens:
        return self._token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                            "redirect_uri": self.options.callback_url})

    def refresh(self, refresh_token: str) -> GiteaTokens:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token(self, form: dict[str, str]) -> GiteaTokens:
        credentials = {"client_id": self.options.gitea_client_id,
                       "client_secret": self.options.gitea_client_secret.reveal()}
        try:
            response = self.session.post(f"{self.options.gitea_url}/login/oauth/access_token",
                                         data={**form, **credentials}, headers={"Accept": "application/json"},
                                         timeout=self.options.request_timeout)
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise UpstreamUnavailable(f"Gitea's token endpoint failed: {type(exc).__name__}") from exc
        if response.status_code == 400 and isinstance(body, dict):
            log_event(log, logging.INFO, "gitea_token_refused", grant_type=form["grant_type"],
                      error=body.get("error"), error_description=body.get("error_description"))
            raise UpstreamRefused(str(body.get("error_description") or body.get("error") or "refused"))
        return tokens_from(response.status_code, body)

    def probe(self, access_token: str) -> Probe:
        """GET /api/v1/user with the new token: the login, and whether the token works for the API."""
        try:
            user = self.gitea.bind(GiteaCredentials("bearer", access_token)).current_user()
        except GiteaAuthError:
            return Probe(None, "fail:401")
        except (GiteaScopeError, GiteaPermissionError, GiteaNotFound):
            return Probe(None, "fail:403")
        except GiteaError:
            return Probe(None, "skip:error")
        login = user.get("login")
        return Probe(login if isinstance(login, str) and login else None, "pass")


def tokens_from(status: int, body: Any) -> GiteaTokens:
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise UpstreamUnavailable(f"Gitea's token endpoint answered {status} without tokens")
    expires_in = body.get("expires_in")
    return GiteaTokens(body["access_token"], str(body.get("refresh_token") or ""),
                       expires_in if isinstance(expires_in, int) and expires_in > 0 else 3600)
