"""Our authorization codes: one-time, short-lived, bound to client, redirect URI, PKCE challenge and resource."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from app.oauth.authorize import AuthorizationRequest
from app.store import Store

CODE_PREFIX = "oauth:code:"
USED_PREFIX = "oauth:code-used:"


@dataclass(frozen=True)
class IssuedCode:
    """What a code stands for: the client's request and Gitea's code (redeemed at /oauth/token)."""

    request: AuthorizationRequest
    gitea_code: str
    gitea_verifier: str


def _key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()  # the store never holds a usable code


def s256(verifier: str) -> str:
    """RFC 7636 S256 challenge of a verifier: BASE64URL(SHA256(verifier)), unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: s256(verifier) == challenge, in constant time."""
    if not 43 <= len(verifier) <= 128:
        return False
    return hmac.compare_digest(s256(verifier), challenge)


class AuthorizationCodes:
    """Issue and redeem codes through the shared store (any worker may redeem)."""

    def __init__(self, store: Store, ttl: int) -> None:
        self.store, self.ttl = store, ttl

    def issue(self, code: IssuedCode) -> str:
        value = secrets.token_urlsafe(32)
        record = {"request": code.request.to_dict(), "gitea_code": code.gitea_code,
                  "gitea_verifier": code.gitea_verifier}
        self.store.set(CODE_PREFIX + _key(value), json.dumps(record).encode(), ttl=self.ttl)
        return value

    def redeem(self, value: str, family: str) -> IssuedCode | None:
        """The code's record, once; concurrent redemptions race on delete and only one wins.

        The winner's grant `family` is remembered, so a later replay can revoke what it was issued."""
        key = _key(value)
        raw = self.store.get(CODE_PREFIX + key)
        if raw is None or not self.store.delete(CODE_PREFIX + key):
            return None
        self.store.set(USED_PREFIX + key, family.encode(), ttl=self.ttl * 2)
        record = json.loads(raw)
        return IssuedCode(AuthorizationRequest.from_dict(record["request"]), record["gitea_code"],
                          record["gitea_verifier"])

    def family_of(self, value: str) -> str | None:
        """The grant family a used code was redeemed into, or None when the code was never used."""
        family = self.store.get(USED_PREFIX + _key(value))
        return None if family is None else family.decode()
