"""Our consent step: pending requests, CSRF, the remembered-consent cookie and the Gitea `state`.

Gitea skips its own consent for a confidential app that already has a grant, so without
this step any registered client could get a code for a signed-in user (confused deputy,
SPEC-NOTES §6). Consent is remembered per browser in a signed cookie bound to client_id
and redirect URI. The `state` sent to Gitea is random, HMAC-signed, expires, is stored
server-side for single use, and is also set as a cookie right before the redirect, so
only the browser that approved can complete the callback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.oauth.authorize import AuthorizationRequest
from app.store import Store

CSRF_COOKIE = "__Host-aegis_csrf"
CONSENT_COOKIE = "__Host-aegis_consent"
STATE_COOKIE = "__Host-aegis_oauth_state"
PENDING_PREFIX = "oauth:pending:"
STATE_PREFIX = "oauth:gitea-state:"
CONSENT_MAX_AGE = 30 * 24 * 3600
REMEMBERED_CLIENTS = 10


class FlowError(Exception):
    """A consent post or callback that must stop here, with an error page."""


def purpose_key(secret: str, purpose: str) -> bytes:
    """A separate HMAC key per use of OAUTH_STATE_SECRET."""
    return hmac.new(secret.encode(), f"aegis-oauth/{purpose}".encode(), hashlib.sha256).digest()


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class PendingConsents:
    """Authorization requests waiting on the consent page: single use, 10 minutes."""

    def __init__(self, store: Store, secret: str, ttl: int) -> None:
        self.store, self.ttl = store, ttl
        self._csrf_key = purpose_key(secret, "csrf")

    def hold(self, request: AuthorizationRequest) -> str:
        pending_id = secrets.token_urlsafe(24)
        self.store.set(PENDING_PREFIX + pending_id, json.dumps(request.to_dict()).encode(), ttl=self.ttl)
        return pending_id

    def take(self, pending_id: str) -> AuthorizationRequest | None:
        """The request, once: a second take (a replayed form) finds nothing."""
        raw = self.store.get(PENDING_PREFIX + pending_id)
        if raw is None or not self.store.delete(PENDING_PREFIX + pending_id):
            return None
        return AuthorizationRequest.from_dict(json.loads(raw))

    def csrf_token(self, pending_id: str, browser_secret: str) -> str:
        return _mac(self._csrf_key, f"{pending_id}:{browser_secret}")

    def csrf_ok(self, pending_id: str, browser_secret: str, token: str) -> bool:
        if not pending_id or not browser_secret or not token:
            return False
        return hmac.compare_digest(self.csrf_token(pending_id, browser_secret), token)


class ConsentMemory:
    """The signed `__Host-` cookie listing the clients this browser approved, with their redirects and scopes."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="aegis-oauth-consent")

    def approved(self, cookie: str | None) -> dict[str, dict[str, list[str]]]:
        if not cookie:
            return {}
        try:
            value = self._serializer.loads(cookie, max_age=CONSENT_MAX_AGE)
        except BadSignature:
            return {}
        return value if isinstance(value, dict) else {}

    def covers(self, cookie: str | None, request: AuthorizationRequest) -> bool:
        entry = self.approved(cookie).get(request.client_id)
        if not isinstance(entry, dict):
            return False
        return request.redirect_uri in entry.get("r", []) and request.scopes <= set(entry.get("s", []))

    def remember(self, cookie: str | None, request: AuthorizationRequest) -> str:
        approved = self.approved(cookie)
        entry = approved.pop(request.client_id, {"r": [], "s": []})
        entry = {"r": sorted({*entry.get("r", []), request.redirect_uri}), "s": sorted(request.scopes)}
        kept = dict(list(approved.items())[-(REMEMBERED_CLIENTS - 1):])
        return self._serializer.dumps({**kept, request.client_id: entry})


@dataclass(frozen=True)
class UpstreamLeg:
    """What the callback needs once Gitea answers: the client's request and our PKCE verifier."""

    request: AuthorizationRequest
    verifier: str


class GiteaStates:
    """The `state` toward Gitea: signed, expiring, single-use, and bound to the approving browser."""

    def __init__(self, store: Store, secret: str, ttl: int) -> None:
        self.store, self.ttl = store, ttl
        self._key = purpose_key(secret, "gitea-state")

    def issue(self, leg: UpstreamLeg) -> str:
        nonce, expires = secrets.token_urlsafe(24), int(time.time()) + self.ttl
        record = {"request": leg.request.to_dict(), "verifier": leg.verifier}
        self.store.set(STATE_PREFIX + nonce, json.dumps(record).encode(), ttl=self.ttl)
        return f"{nonce}.{expires}.{_mac(self._key, f'{nonce}.{expires}')}"

    def redeem(self, state: str, browser_state: str | None) -> UpstreamLeg:
        """The leg this state started, once; FlowError when tampered, expired, replayed or another browser's."""
        nonce, expires = self._verified(state)
        if int(expires) < time.time():
            raise FlowError("The sign-in took longer than 10 minutes; start again from your MCP client.")
        if not browser_state or not hmac.compare_digest(browser_state, state):
            raise FlowError("This sign-in was started in another browser; start again from your MCP client.")
        raw = self.store.get(STATE_PREFIX + nonce)
        if raw is None or not self.store.delete(STATE_PREFIX + nonce):
            raise FlowError("This sign-in response was already used; start again from your MCP client.")
        record = json.loads(raw)
        return UpstreamLeg(AuthorizationRequest.from_dict(record["request"]), record["verifier"])

    def _verified(self, state: str) -> tuple[str, str]:
        parts = state.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise FlowError("The sign-in response is not one this server started.")
        nonce, expires, signature = parts
        if not hmac.compare_digest(_mac(self._key, f"{nonce}.{expires}"), signature):
            raise FlowError("The sign-in response is not one this server started.")
        return nonce, expires
