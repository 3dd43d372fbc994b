"""Sealed tokens: what /oauth/token hands out instead of Gitea's tokens.

A sealed token is a JWE (`dir` + `A256GCM`, compact form) whose plaintext is a JWT naming
who (sub), what (scope), for which client and resource (cid, aud), until when (exp) and
carrying the user's Gitea token. Only this server can open it, so checking one needs no
upstream call. Keys come from OAUTH_TOKEN_KEYS (`kid:base64url-32-bytes,...`, the first
seals, all open: rotation), else one key derived from OAUTH_STATE_SECRET with HKDF.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import OctKey

from app import json_codec

ALGORITHM, ENCRYPTION = "dir", "A256GCM"
ACCESS_TYPE, REFRESH_TYPE = "at+jwt", "rt+jwt"
KEY_BYTES = 32
CLOCK_SKEW_SECONDS = 60
_REGISTRY = JWERegistry(algorithms=[ALGORITHM, ENCRYPTION])


class InvalidSealedToken(Exception):
    """Not a sealed token of ours, or one that is tampered with, expired or meant for something else."""


class ExpiredSealedToken(InvalidSealedToken):
    """A sealed token of ours whose lifetime is over (or has not begun)."""


@dataclass(frozen=True)
class SealedAccess:
    """The content of a sealed access token."""

    login: str
    scopes: frozenset[str]
    client_id: str
    gitea_token: str
    expires_at: int
    token_id: str
    family: str = ""  # the grant family (see SealedRefresh); empty in tokens sealed before it was added


@dataclass(frozen=True)
class SealedRefresh:
    """The content of a sealed refresh token; `family` ties every rotation of one grant together."""

    login: str
    scopes: frozenset[str]
    client_id: str
    resource: str
    gitea_refresh_token: str
    family: str
    expires_at: int
    token_id: str


def derived_key(state_secret: str) -> tuple[str, bytes]:
    """One sealing key derived from OAUTH_STATE_SECRET (used when OAUTH_TOKEN_KEYS is unset)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b"aegis-mcp", info=b"sealed-token-key/v1")
    key = hkdf.derive(state_secret.encode())
    return "d-" + hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:12], key


def parse_token_keys(raw: str) -> list[tuple[str, bytes]]:
    """Parse OAUTH_TOKEN_KEYS: `kid:base64url(32 bytes)` entries, comma separated."""
    keys = []
    for entry in (item.strip() for item in raw.split(",") if item.strip()):
        kid, sep, encoded = entry.partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if not sep or not kid or len(key) != KEY_BYTES:
            raise ValueError(f"OAUTH_TOKEN_KEYS entry for {kid or '?'!r} is not kid:<base64url of 32 bytes>")
        keys.append((kid, key))
    return keys


class TokenKeys:
    """The keys that open sealed tokens; the first one seals."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("at least one sealing key is needed")
        self._keys = {kid: OctKey.import_key(key, {"kid": kid}) for kid, key in keys}
        self.current_kid = keys[0][0]

    @classmethod
    def from_secrets(cls, token_keys: str, state_secret: str) -> TokenKeys:
        return cls(parse_token_keys(token_keys) if token_keys.strip() else [derived_key(state_secret)])

    @property
    def current(self) -> OctKey:
        return self._keys[self.current_kid]

    def knows(self, kid: Any) -> bool:
        return isinstance(kid, str) and kid in self._keys

    def get(self, kid: str) -> OctKey:
        return self._keys[kid]


MAX_HEADER_CHARS = 1024


def compact_header(token: str) -> dict[str, Any]:
    """The protected header of a 5-part compact JWE, or InvalidSealedToken."""
    if token.count(".") != 4:
        raise InvalidSealedToken("not a compact JWE")
    encoded = token.split(".", 1)[0]
    if len(encoded) > MAX_HEADER_CHARS:  # ours are ~150 characters; anything long is not one of ours
        raise InvalidSealedToken("header too long")
    try:
        # json_codec caps nesting: a deeply nested header would otherwise raise RecursionError (a 500).
        header = json_codec.decode(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSealedToken("unreadable header") from exc
    if not isinstance(header, dict):
        raise InvalidSealedToken("unreadable header")
    return header


def looks_sealed(token: str) -> bool:
    """Cheap shape test: five dot-separated parts, as only a compact JWE has."""
    return token.count(".") == 4


class SealedTokenCodec:
    """Seal and open this server's access and refresh tokens."""

    def __init__(self, keys: TokenKeys, issuer: str, resource: str, token_endpoint: str) -> None:
        self.keys = keys
        self.issuer = issuer
        self.resource = resource
        self.refresh_audience = token_endpoint  # a refresh token is never valid at /mcp

    def seal_access(self, access: SealedAccess) -> str:
        claims = {"sub": access.login, "scope": " ".join(sorted(access.scopes)), "cid": access.client_id,
                  "gt": access.gitea_token, "exp": access.expires_at, "jti": access.token_id, "fam": access.family}
        return self._seal(ACCESS_TYPE, self.resource, claims)

    def seal_refresh(self, refresh: SealedRefresh) -> str:
        claims = {"sub": refresh.login, "scope": " ".join(sorted(refresh.scopes)), "cid": refresh.client_id,
                  "res": refresh.resource, "grt": refresh.gitea_refresh_token, "fam": refresh.family,
                  "exp": refresh.expires_at, "jti": refresh.token_id}
        return self._seal(REFRESH_TYPE, self.refresh_audience, claims)

    def open_access(self, token: str) -> SealedAccess:
        claims = self._open(token, ACCESS_TYPE, self.resource)
        return SealedAccess(claims["sub"], _scopes(claims), claims["cid"], claims["gt"], claims["exp"], claims["jti"],
                            str(claims.get("fam") or ""))

    def open_refresh(self, token: str) -> SealedRefresh:
        claims = self._open(token, REFRESH_TYPE, self.refresh_audience)
        return SealedRefresh(claims["sub"], _scopes(claims), claims["cid"], claims["res"], claims["grt"],
                             claims["fam"], claims["exp"], claims["jti"])

    def _seal(self, typ: str, audience: str, claims: dict[str, Any]) -> str:
        header = {"alg": ALGORITHM, "enc": ENCRYPTION, "kid": self.keys.current_kid, "typ": typ}
        body = {"iss": self.issuer, "aud": audience, "iat": int(time.time()), **claims}
        return jwt.encode(header, body, self.keys.current, algorithms=[ALGORITHM, ENCRYPTION], registry=_REGISTRY)

    def _open(self, token: str, typ: str, audience: str) -> dict[str, Any]:
        header = compact_header(token)
        # Decide the algorithm ourselves, before any crypto runs: alg=none, a JWS or another
        # JWE algorithm never reaches a key (no algorithm confusion).
        if (header.get("alg"), header.get("enc"), header.get("typ")) != (ALGORITHM, ENCRYPTION, typ):
            raise InvalidSealedToken("unexpected token type or algorithm")
        if not self.keys.knows(header.get("kid")):
            raise InvalidSealedToken("unknown key id")
        try:
            claims = jwt.decode(token, self.keys.get(header["kid"]), algorithms=[ALGORITHM, ENCRYPTION],
                                registry=_REGISTRY).claims
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidSealedToken("cannot be decrypted") from exc
        check_claims(claims, self.issuer, audience)
        return claims


REQUIRED_CLAIMS = ("sub", "scope", "cid", "exp", "jti")


def check_claims(claims: dict[str, Any], issuer: str, audience: str, now: float | None = None) -> None:
    """Issuer, audience, lifetime and shape of an opened token."""
    now = time.time() if now is None else now
    if claims.get("iss") != issuer or claims.get("aud") != audience:
        raise InvalidSealedToken("issued for another server or resource")
    if any(name not in claims for name in REQUIRED_CLAIMS) or not isinstance(claims["exp"], int):
        raise InvalidSealedToken("missing claims")
    if claims["exp"] <= now or int(claims.get("iat", 0)) > now + CLOCK_SKEW_SECONDS:
        raise ExpiredSealedToken("expired or not yet valid")


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(claims["scope"]).split())


def new_token_id() -> str:
    return secrets.token_urlsafe(16)
