"""API-key mode: MCP_API_KEYS authenticate callers, Gitea is called with GITEA_TOKEN."""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable

from app.auth.principal import Principal, granted_scopes, service_credentials
from app.config import Settings
from app.logging import log_event

log = logging.getLogger("aegis.auth")
KEY_BYTES = 32  # 64 hex characters
RETRY_LOOKUP_AFTER_SECONDS = 60.0


def new_api_key() -> str:
    """A fresh 64-character key for MCP_API_KEYS."""
    return secrets.token_hex(KEY_BYTES)


def matching_key_index(settings: Settings, token: str) -> int | None:
    """1-based index of the configured key equal to `token`; compares against every key, no early exit."""
    presented = token.encode()
    found = None
    for index, key in enumerate(settings.mcp_api_keys, start=1):
        if hmac.compare_digest(presented, key.reveal().encode()):
            found = index
    return found


class ApiKeyResolver:
    """MCP_API_KEYS as a token resolver: a valid key is `api-key-N`, shown with GITEA_TOKEN's Gitea login."""

    def __init__(self, settings: Settings, service_login: ServiceLogin | None = None) -> None:
        self.settings = settings
        self.service_login = service_login

    def __call__(self, token: str) -> Principal | None:
        index = matching_key_index(self.settings, token)
        if index is None:
            return None
        client_id = f"api-key-{index}"
        login = (self.service_login.get() if self.service_login else None) or client_id
        upstream = service_credentials(self.settings.gitea_token)
        return Principal(login, granted_scopes(self.settings), client_id, "api_key", upstream)


class ServiceLogin:
    """The Gitea login behind GITEA_TOKEN, looked up once per process and cached."""

    def __init__(self, lookup: Callable[[], str]) -> None:
        self._lookup = lookup
        self._lock = threading.Lock()
        self._login: str | None = None
        self._failed_at: float | None = None

    def get(self) -> str | None:
        """The login, or None while unknown. One thread looks it up; the others do not wait for Gitea
        (a slow or unreachable Gitea must not hold up calls that never need it, like tools/list)."""
        if self._login is not None or self._recently_failed():
            return self._login
        if self._lock.acquire(blocking=False):
            try:
                if self._login is None and not self._recently_failed():
                    self._try_lookup()
            finally:
                self._lock.release()
        return self._login

    def _recently_failed(self) -> bool:
        return self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_LOOKUP_AFTER_SECONDS

    def _try_lookup(self) -> None:
        try:
            self._login = self._lookup()
        except Exception as exc:  # noqa: BLE001 - any upstream failure only costs us the nicer login name
            self._failed_at = time.monotonic()
            log_event(log, logging.WARNING, "service_login_lookup_failed", error=type(exc).__name__)
