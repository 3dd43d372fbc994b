"""Revoked grants, kept in the shared store: used refresh tokens and revoked grant families.

Every token of one sign-in (its access tokens and each rotation of its refresh token) carries the
same grant family id. Reusing a refresh token or replaying an authorization code revokes the family,
and validation asks the store about it, so the revocation holds in every worker at once. The memory
store keeps this for one process until it stops; Redis keeps it for every worker and host, and
across restarts (docs/Security.md, "Revocation").

Validating an access token asks at most once per CHECK_SECONDS per family and process: a Redis round
trip (~0.2 ms) would be most of a sealed-token check (~35 us), and a revocation made in another worker
or host is then seen within CHECK_SECONDS. The token endpoint always asks the store.
"""

from __future__ import annotations

import time

from app.store import Store

FAMILY_REVOKED_PREFIX = "oauth:family-revoked:"
REFRESH_USED_PREFIX = "oauth:refresh-used:"
# A refresh or code exchange that passed its checks just before the revocation still issues tokens
# (Gitea answers first); they must die with the family, so the mark outlives them by this much.
IN_FLIGHT_MARGIN = 600
CHECK_SECONDS = 2.0
CHECKED_FAMILIES = 10_000  # per process; past this the remembered answers are dropped and asked again


class GrantRevocations:
    """Which grant families are revoked and which refresh tokens were used, as every worker sees it."""

    def __init__(self, store: Store, longest_token_ttl: int) -> None:
        self.store = store
        self.ttl = longest_token_ttl + IN_FLIGHT_MARGIN  # no token of the family outlives the mark
        self._checked: dict[str, tuple[float, bool]] = {}  # family -> (monotonic time asked, revoked)

    def revoke(self, family: str) -> None:
        self.store.set(FAMILY_REVOKED_PREFIX + family, b"1", ttl=self.ttl)
        self._checked.pop(family, None)  # this process sees its own revocation at once

    def is_revoked(self, family: str) -> bool:
        """The store's answer. A token sealed without a family (before families were sealed in) has none."""
        return bool(family) and self.store.get(FAMILY_REVOKED_PREFIX + family) is not None

    def is_revoked_recently(self, family: str) -> bool:
        """The store's answer, at most CHECK_SECONDS old: for validating access tokens on every request."""
        now = time.monotonic()
        asked_at, revoked = self._checked.get(family, (-CHECK_SECONDS, False))
        if now - asked_at < CHECK_SECONDS:
            return revoked
        revoked = self.is_revoked(family)
        if len(self._checked) >= CHECKED_FAMILIES:
            self._checked = {}
        self._checked[family] = (now, revoked)
        return revoked

    def first_use(self, refresh_token_id: str, expires_at: int) -> bool:
        """Mark a refresh token used until it expires; False when it already was."""
        ttl = max(expires_at - int(time.time()), 1)
        return self.store.set_if_absent(REFRESH_USED_PREFIX + refresh_token_id, b"1", ttl=ttl)
