"""The `oauth_auth_summary` log line of spec/Troubleshooting.md: one per authenticated token."""

from __future__ import annotations

import logging

from app.logging import log_event

log = logging.getLogger("aegis.oauth")


def auth_summary(level: int, *, kind: str, scopes: frozenset[str], api_probe: str, login: str | None,
                 client_id: str | None = None) -> None:
    """The `oauth_auth_summary` line of spec/Troubleshooting.md (token_type: sealed, jwt)."""
    log_event(log, level, "oauth_auth_summary", token_type=kind, scopes_observed=sorted(scopes),
              scopes_effective=sorted(scopes), api_probe=api_probe, login=login, client_id=client_id)
