"""The caller of a tool, resolved from the Authorization header."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.config import Secret, Settings
from app.errors import Unauthorized
from app.gitea.credentials import GiteaCredentials

READ_SCOPE = "read:repository"
WRITE_SCOPE = "write:repository"
PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource/mcp"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: who, which MCP scopes, and the credential used upstream at Gitea."""

    login: str
    scopes: frozenset[str]
    client_id: str | None
    kind: str  # "api_key" | "oauth" | "anonymous"
    upstream: GiteaCredentials | None = field(default=None, repr=False, compare=False)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def identity(self) -> str:
        """The user and their client, whatever token they hold: what a session is bound to, what a flow window
        and a stream cap count under.

        An API key is its own identity: its display login changes from `api-key-N` to GITEA_TOKEN's user
        once that lookup succeeds, and what was bound or counted before must hold afterwards."""
        if self.kind == "api_key":
            return f"api_key:{self.client_id}"
        return f"{self.kind}:{self.client_id or ''}:{self.login}"


def service_credentials(token: Secret) -> GiteaCredentials | None:
    """GITEA_TOKEN as upstream credentials (None when unset: tool calls then say so)."""
    return GiteaCredentials("token", token.reveal()) if token else None


def granted_scopes(settings: Settings) -> frozenset[str]:
    """Scopes of a service credential: read always, write only in write mode."""
    return frozenset({READ_SCOPE, WRITE_SCOPE} if settings.write_mode else {READ_SCOPE})


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization_header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def www_authenticate(settings: Settings, *, error: str | None = None, scope: str = READ_SCOPE) -> str:
    """The RFC 6750 / RFC 9728 challenge that tells an MCP client where to authenticate."""
    parts = [f'resource_metadata="{settings.public_url}{PROTECTED_RESOURCE_PATH}"', f'scope="{scope}"']
    if error:
        parts.append(f'error="{error}"')
    return "Bearer " + ", ".join(parts)


def unauthorized(settings: Settings, token_sent: bool) -> Unauthorized:
    """401 with the challenge; `invalid_token` only when a token was sent."""
    message = "The bearer token is not valid." if token_sent else "Send Authorization: Bearer <token>."
    challenge = www_authenticate(settings, error="invalid_token" if token_sent else None)
    return Unauthorized(message, headers={"WWW-Authenticate": challenge})


def anonymous_principal(settings: Settings) -> Principal:
    """The caller when AUTH_ENABLED=false (loopback only, enforced by Settings)."""
    upstream = service_credentials(settings.gitea_token)
    return Principal("anonymous", granted_scopes(settings), None, "anonymous", upstream)
