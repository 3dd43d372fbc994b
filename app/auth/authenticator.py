"""The app's resource protector: an Authorization header in, a Principal out.

One object per app, built in create_app, with the token resolvers of the configured mode registered
explicitly (API keys; in OAuth mode the sealed-token and opt-in raw Gitea token resolvers), as
authlib's ResourceProtector registers its token validators. Nothing here reads Flask globals.
"""

from __future__ import annotations

from collections.abc import Callable

from app.auth.failures import (
    MALFORMED_AUTHORIZATION,
    MISSING_CREDENTIAL,
    UNKNOWN_API_KEY,
    UNKNOWN_TOKEN,
    AuthAttempt,
    TokenRejected,
)
from app.auth.principal import Principal, anonymous_principal, bearer_token, unauthorized
from app.config import Settings

EXTENSION = "aegis.auth"
# A bearer token -> its principal, or None: not mine. TokenRejected: mine, but refused (expired, revoked ...).
TokenResolver = Callable[[str], "Principal | None"]
FailureHook = Callable[[str, AuthAttempt], None]  # (reason code, the request) -> audit it


class Authenticator:
    """Tries each registered resolver in order; the first that knows the token decides."""

    def __init__(self, settings: Settings, on_failure: FailureHook | None = None) -> None:
        self.settings = settings
        self.on_failure = on_failure
        self._resolvers: list[TokenResolver] = []

    def register(self, resolver: TokenResolver) -> None:
        self._resolvers.append(resolver)

    @property
    def resolvers(self) -> tuple[TokenResolver, ...]:
        return tuple(self._resolvers)

    def authenticate(self, authorization_header: str | None, attempt: AuthAttempt | None = None) -> Principal:
        """The caller of one request; raises Unauthorized (with WWW-Authenticate) when that fails, after
        handing the failure's reason and `attempt` (never the credential) to the failure hook."""
        if not self.settings.auth_enabled:
            return anonymous_principal(self.settings)
        token = bearer_token(authorization_header)
        if token is None:
            self._failed(MALFORMED_AUTHORIZATION if authorization_header else MISSING_CREDENTIAL, attempt)
            raise unauthorized(self.settings, token_sent=False)
        for resolve in self._resolvers:
            try:
                principal = resolve(token)
            except TokenRejected as exc:
                self._failed(exc.reason, attempt)
                raise unauthorized(self.settings, token_sent=True) from None
            if principal is not None:
                return principal
        self._failed(UNKNOWN_TOKEN if self.settings.oauth_mode else UNKNOWN_API_KEY, attempt)
        raise unauthorized(self.settings, token_sent=True)

    def _failed(self, reason: str, attempt: AuthAttempt | None) -> None:
        if self.on_failure is not None:
            self.on_failure(reason, attempt or AuthAttempt())
