"""Raw Gitea OAuth tokens (OAUTH_ACCEPT_GITEA_TOKENS=true): a non-conforming compatibility mode.

Gitea's access tokens carry no audience, so a token is accepted only when its RS256
signature verifies against Gitea's JWKS and Gitea's introspection says it is active and
issued to our Gitea client id. Both answers are cached (OAUTH_CACHE_TTL_SECONDS), so a
known token costs no upstream call.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.auth.principal import READ_SCOPE, WRITE_SCOPE
from app.oauth.summary import auth_summary

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"]
MAX_CACHED_TOKENS = 10000
log = logging.getLogger("aegis.oauth")


def mcp_scopes(gitea_scope: str) -> frozenset[str]:
    """MCP scopes of a Gitea grant scope; no API scope at all means Gitea grants `all` (FACTS §1.9)."""
    names = {name for name in gitea_scope.replace(",", " ").split() if ":" in name or name == "all"}
    if not names or "all" in names or "write:repository" in names:
        return frozenset({READ_SCOPE, WRITE_SCOPE})
    return frozenset({READ_SCOPE}) if "read:repository" in names else frozenset()


class GiteaTokenValidator:
    """JWKS signature + introspection `aud` == our Gitea client id (or OAUTH_EXPECTED_AUDIENCE), cached."""

    def __init__(self, gitea_url: str, client_id: str, client_secret: str, cache_ttl: int, timeout: float, *,
                 extra_audience: str = "") -> None:
        self.gitea_url, self.client_id = gitea_url, client_id
        self.audiences = frozenset(a for a in (client_id, extra_audience) if a)
        self._secret, self.cache_ttl, self.timeout = client_secret, max(cache_ttl, 1), timeout
        self.session = requests.Session()
        self._lock = threading.Lock()
        self._keys: tuple[float, KeySet] | None = None
        self._tokens: dict[str, tuple[float, tuple[str, frozenset[str]] | None]] = {}

    def resolve(self, token: str) -> tuple[str, frozenset[str]] | None:
        """(login, MCP scopes) of a valid token, else None."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._tokens.get(digest)
        if cached is not None and cached[0] > time.time():
            return cached[1]
        claims = self._verified_claims(token)
        found = self._introspect(token) if claims is not None else None
        until = min(time.time() + self.cache_ttl, float(claims["exp"])) if claims else time.time() + self.cache_ttl
        self._remember(digest, until, found)
        if found is not None:
            auth_summary(logging.INFO, kind="jwt", scopes=found[1], api_probe="pass", login=found[0])
        return found

    def _remember(self, digest: str, until: float, found: tuple[str, frozenset[str]] | None) -> None:
        with self._lock:
            if len(self._tokens) >= MAX_CACHED_TOKENS:
                self._tokens.clear()
            self._tokens[digest] = (until, found)

    def _verified_claims(self, token: str) -> dict[str, Any] | None:
        try:
            claims = dict(jwt.decode(token, self._key_set(), algorithms=ALGORITHMS).claims)
        except (JoseError, ValueError, TypeError, requests.RequestException):
            return None
        live = isinstance(claims.get("exp"), int) and claims["exp"] > time.time()
        return claims if live and claims.get("tt") == 0 else None

    def _key_set(self) -> KeySet:
        if self._keys is None or self._keys[0] < time.time():
            response = self.session.get(f"{self.gitea_url}/login/oauth/keys", timeout=self.timeout)
            response.raise_for_status()
            self._keys = (time.time() + self.cache_ttl, KeySet.import_key_set(response.json()))
        return self._keys[1]

    def _introspect(self, token: str) -> tuple[str, frozenset[str]] | None:
        try:
            response = self.session.post(f"{self.gitea_url}/login/oauth/introspect", data={"token": token},
                                         auth=(self.client_id, self._secret), timeout=self.timeout)
            body = response.json() if response.status_code == 200 else {}
        except (requests.RequestException, ValueError):
            return None
        audience = body.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if body.get("active") is not True or not self.audiences & set(audiences) or not body.get("username"):
            return None
        return str(body["username"]), mcp_scopes(str(body.get("scope", "")))
