"""The app's resource protector: an Authorization header in, a Principal out.

One object per app, built in create_app, with the token resolvers of the configured mode registered
explicitly (API keys; in OAuth mode the sealed-token and opt-in raw Gitea token resolvers), as
authlib's ResourceProtector registers its token validators. Nothing here reads Flask globals.
"""

from __future__ import annotations

from collections.abc import Callable

from app.auth.principal import Principal, anonymous_principal, bearer_token, unauthorized
from app.config import Settings

EXTENSION = "aegis.auth"
TokenResolver = Callable[[str], "Principal | None"]  # a bearer token -> its principal, or None: not mine


class Authenticator:
    """Tries each registered resolver in order; the first that knows the token decides."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._resolvers: list[TokenResolver] = []

    def register(self, resolver: TokenResolver) -> None:
        self._resolvers.append(resolver)

    @property
    def resolvers(self) -> tuple[TokenResolver, ...]:
        return tuple(self._resolvers)

    def authenticate(self, authorization_header: str | None) -> Principal:
        """The caller of one request; raises Unauthorized (with WWW-Authenticate) when that fails."""
        if not self.settings.auth_enabled:
            return anonymous_principal(self.settings)
        token = bearer_token(authorization_header)
        if token is None:
            raise unauthorized(self.settings, token_sent=False)
        for resolve in self._resolvers:
            principal = resolve(token)
            if principal is not None:
                return principal
        raise unauthorized(self.settings, token_sent=True)
