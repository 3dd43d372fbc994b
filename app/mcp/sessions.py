"""Legacy session ids: HMAC-signed, bound to the principal, verifiable by any worker, ended ones remembered."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from app.store import Store

SESSION_MAX_AGE_SECONDS = 24 * 3600
SECRET_KEY = "mcp:session-secret"  # noqa: S105 - a store key name, not a secret
ENDED_PREFIX = "mcp:session:ended:"


@dataclass(frozen=True)
class Session:
    """A verified session: its id, the revision `initialize` settled on, and its nonce."""

    id: str
    version: str
    nonce: str


class SessionSeal:
    """Mints and opens `<version>.<issued>.<nonce>.<mac>` ids; the mac covers the principal too."""

    def __init__(self, secret: bytes, store: Store, max_age: float = SESSION_MAX_AGE_SECONDS) -> None:
        self._secret = secret
        self._store = store
        self._max_age = max_age

    def mint(self, principal: Any, version: str) -> str:
        body = f"{version}.{int(time.time())}.{secrets.token_hex(16)}"
        return f"{body}.{self._mac(body, principal)}"

    def open(self, session_id: str, principal: Any) -> Session | None:
        """The session when the id is ours, unexpired, not ended, and issued to this principal."""
        parts = session_id.split(".")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        body = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], self._mac(body, principal)):
            return None
        if time.time() - int(parts[1]) > self._max_age or self._store.get(ENDED_PREFIX + parts[2]):
            return None
        return Session(session_id, parts[0], parts[2])

    def end(self, session: Session) -> None:
        """Remember the ended id until it would have expired anyway."""
        self._store.set(ENDED_PREFIX + session.nonce, b"1", ttl=self._max_age)

    def _mac(self, body: str, principal: Any) -> str:
        message = f"{body}|{principal.identity}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]


def session_secret(settings: Any, store: Store) -> bytes:
    """MCP_SESSION_SECRET when set; else one random secret shared by every worker through the store."""
    configured: Any = getattr(settings, "mcp_session_secret", None)
    value = configured.reveal() if hasattr(configured, "reveal") else configured
    if value:
        return str(value).encode()
    store.set_if_absent(SECRET_KEY, secrets.token_bytes(32))
    shared = store.get(SECRET_KEY)
    if shared is None:  # evicted between the two calls: extremely unlikely, retry once
        store.set_if_absent(SECRET_KEY, secrets.token_bytes(32))
        shared = store.get(SECRET_KEY) or b""
    return shared
