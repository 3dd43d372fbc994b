"""Who a request counts against: the client address, and a hash of the credential it presents."""

from __future__ import annotations

import hashlib

from flask import request

from app.auth.principal import bearer_token

# Domain separation: the same token hashed for another purpose gives another value.
CREDENTIAL_HASH_CONTEXT = b"aegis-mcp/rate-limit/v1\0"


def client_address() -> str:
    """The client IP: the TCP peer, or the forwarded address when ProxyFix trusted the proxy."""
    return request.remote_addr or "unknown"


def credential_fingerprint(token: str) -> str:
    """A stable, non-reversible bucket name for a bearer token: the raw token is never a key."""
    digest = hashlib.sha256(CREDENTIAL_HASH_CONTEXT + token.encode()).hexdigest()
    return f"tok-{digest[:32]}"


def credential_key() -> str:
    """The per-credential bucket of this request ('' when it sent none: the limit is then exempt)."""
    token = bearer_token(request.headers.get("Authorization"))
    return credential_fingerprint(token) if token else ""


def sends_no_credential() -> bool:
    """Requests without a bearer token have no per-credential bucket; the per-IP limit still applies."""
    return bearer_token(request.headers.get("Authorization")) is None


def is_rejected_credential(response: object) -> bool:
    """An authentication failure: a credential was presented and the answer is 401.

    A request without any credential is the normal first step of MCP authorization discovery
    (401 + WWW-Authenticate), so it does not count towards the lockout.
    """
    return getattr(response, "status_code", None) == 401 and not sends_no_credential()
