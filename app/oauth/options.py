"""The facade's view of the settings: URLs, secrets, lifetimes and limits in one object."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Secret, Settings

CALLBACK_PATH = "/oauth/callback"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
AUTHORIZE_PATH = "/oauth/authorize"
REGISTER_PATH = "/register"
RESOURCE_PATH = "/mcp"
# POST /register per client address and hour: enough for a person trying a few clients, not for filling
# the registry (DCR_REGISTRATIONS_PER_HOUR overrides it).
REGISTRATIONS_PER_HOUR = 10


@dataclass(frozen=True)
class OAuthOptions:
    """Everything the authorization-server facade needs to know, read once at start."""

    issuer: str
    gitea_url: str
    gitea_client_id: str
    gitea_client_secret: Secret
    state_secret: Secret
    token_keys: str = ""
    redirect_allowlist: tuple[str, ...] = ()
    dcr_enabled: bool = True
    dcr_storage_path: str = ""
    dcr_max_clients: int = 1000
    registrations_per_hour: int = REGISTRATIONS_PER_HOUR
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    code_ttl: int = 300
    state_ttl: int = 600
    cache_ttl: int = 300
    cimd_allow_loopback: bool = False  # tests only: lets CIMD fetch documents from 127.0.0.1 over http
    expected_audience: str = ""  # another Gitea OAuth client id whose raw tokens are also accepted
    service_pat: bool = False
    write_mode: bool = False
    request_timeout: float = 30.0

    @property
    def resource(self) -> str:
        return self.issuer + RESOURCE_PATH

    @property
    def callback_url(self) -> str:
        return self.issuer + CALLBACK_PATH

    @property
    def token_endpoint(self) -> str:
        return self.issuer + TOKEN_PATH


def options_from(settings: Settings) -> OAuthOptions:
    """The facade options of these settings."""
    return OAuthOptions(
        issuer=settings.public_url.rstrip("/"),
        gitea_url=(settings.gitea_url or "").rstrip("/"),
        gitea_client_id=settings.gitea_oauth_client_id,
        gitea_client_secret=settings.gitea_oauth_client_secret,
        state_secret=settings.oauth_state_secret,
        token_keys=settings.oauth_token_keys.reveal(),
        redirect_allowlist=settings.oauth_redirect_allowlist,
        dcr_enabled=settings.dcr_enabled,
        dcr_storage_path=settings.dcr_storage_path,
        dcr_max_clients=settings.dcr_max_clients,
        registrations_per_hour=settings.dcr_registrations_per_hour,
        access_token_ttl=settings.oauth_access_token_ttl_seconds,
        refresh_token_ttl=settings.oauth_refresh_token_ttl_seconds,
        cache_ttl=settings.oauth_cache_ttl_seconds,
        cimd_allow_loopback=settings.oauth_cimd_allow_loopback,
        service_pat=bool(settings.gitea_token),
        write_mode=settings.write_mode,
        request_timeout=settings.request_timeout_seconds,
        expected_audience=settings.oauth_expected_audience,
    )

