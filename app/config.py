"""Settings: every variable of the configuration reference, typed, validated, fail-fast."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SECRET_MODES = ("off", "mask", "block")
AUDIT_FAIL_MODES = ("closed", "open")
DEPLOY_TARGETS = ("server", "paas")
FLOW_GUARD_MODES = ("off", "warn", "enforce")


class Secret:
    """A configured secret: its repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


class SettingsError(Exception):
    """Every configuration problem found at start-up, reported together."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"  - {p}" for p in self.problems]
        return "Invalid configuration ({} problem{}):\n{}".format(
            len(self.problems), "" if len(self.problems) == 1 else "s", "\n".join(lines)
        )


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {value}")
        return value

    return parse


def positive_float(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"must be greater than 0, got {value}")
    return value


def choice(options: tuple[str, ...], upper: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return value

    return parse


def url(schemes: tuple[str, ...] = ("http", "https")) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError(
                f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}, got {raw!r}"
            )
        return value

    return parse


def csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def cidr_list(raw: str) -> tuple[str, ...]:
    items = csv(raw)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR range") from None
    return items


def secret(raw: str) -> Secret:
    return Secret(raw.strip())


def secret_list(raw: str) -> tuple[Secret, ...]:
    return tuple(Secret(item) for item in csv(raw))


def text(raw: str) -> str:
    return raw.strip()


def optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse_optional(raw: str) -> Any:
        return parse(raw) if raw.strip() else None

    return parse_optional


def setting(default: Any, parse: Callable[[str], Any], doc: str) -> Any:
    return dataclasses.field(default=default, metadata={"parse": parse, "doc": doc})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Typed view of the environment; field names are the variable names in lower case."""

    # Gitea and OAuth
    gitea_url: str | None = setting(None, optional(url()), "Base URL of your Gitea instance")
    oauth_mode: bool = setting(False, parse_bool, "Authenticate users with OAuth through Gitea")
    gitea_oauth_client_id: str = setting("", text, "Gitea OAuth2 application client id")
    gitea_oauth_client_secret: Secret = setting(Secret(""), secret, "Gitea OAuth2 client secret")
    oauth_expected_audience: str = setting("", text, "Additional accepted JWT audience")
    oauth_cache_ttl_seconds: int = setting(300, int_in(0), "OIDC discovery/JWKS cache TTL")
    oauth_state_secret: Secret = setting(Secret(""), secret, "HMAC secret for OAuth state (>= 32 chars)")
    oauth_redirect_allowlist: tuple[str, ...] = setting((), csv, "Extra allowed OAuth redirect URIs")
    oauth_accept_gitea_tokens: bool = setting(False, parse_bool, "Accept raw Gitea tokens (non-conforming)")
    oauth_token_keys: Secret = setting(
        Secret(""), secret, "Sealed-token keys kid:base64url(32 bytes),... first seals, all open (default: derived)"
    )
    oauth_access_token_ttl_seconds: int = setting(3600, int_in(60), "Lifetime of issued access tokens")
    oauth_refresh_token_ttl_seconds: int = setting(2592000, int_in(300), "Lifetime of issued refresh tokens")
    oauth_cimd_allow_loopback: bool = setting(
        False, parse_bool, "Tests only: fetch client metadata documents from loopback over http"
    )
    # Server
    mcp_host: str = setting(
        "127.0.0.1", text, "Interface to bind to (default with DEPLOY_TARGET=paas: 0.0.0.0, every interface)"
    )
    mcp_port: int = setting(
        8080, int_in(1, 65535), "Port to listen on (unset: the platform's PORT when set, else 8080)"
    )
    deploy_target: str = setting(
        "server",
        choice(DEPLOY_TARGETS),
        "server (behind your TLS proxy) or paas: listen on every interface on the platform's PORT, TLS at its router",
    )
    public_base_url: str | None = setting(None, optional(url()), "Public base URL (behind a proxy)")
    allow_insecure_bind: bool = setting(False, parse_bool, "Explicit opt-in to bind all interfaces")
    log_level: str = setting("INFO", choice(LOG_LEVELS, upper=True), "Log level")
    startup_validate_gitea: bool = setting(True, parse_bool, "Validate Gitea OIDC discovery at start")
    dcr_enabled: bool = setting(True, parse_bool, "Dynamic client registration at /register")
    dcr_storage_path: str = setting(
        "/var/lib/aegis-mcp/dcr_clients.json", text, "Persisted OAuth client registry"
    )
    dcr_max_clients: int = setting(1000, int_in(1), "Most dynamically registered clients kept")
    dcr_registrations_per_hour: int = setting(10, int_in(1), "Client registrations per address and hour")
    gunicorn_workers: int = setting(1, int_in(1, 64), "gunicorn worker processes")
    gunicorn_threads: int = setting(32, int_in(1, 1024), "Threads per gunicorn worker")
    gunicorn_reuse_port: bool = setting(
        False, parse_bool, "Each worker listens on its own (reuse-port) socket: the kernel spreads connections evenly"
    )
    graceful_timeout: int = setting(30, int_in(1), "Seconds a worker gets to finish on shutdown")
    trusted_proxy_count: int = setting(0, int_in(0, 10), "Reverse proxies in front (X-Forwarded-For)")
    trusted_proxy_ips: tuple[str, ...] = setting(
        ("127.0.0.1", "::1"), cidr_list, "Addresses (or CIDRs) of those proxies; others' X-Forwarded-For is ignored"
    )
    allowed_origins: tuple[str, ...] = setting((), csv, "Browser origins allowed to call /mcp, answered with CORS")
    max_request_bytes: int = setting(1048576, int_in(1024), "Largest accepted request body")
    metrics_enabled: bool = setting(True, parse_bool, "Serve Prometheus metrics at /metrics")
    mcp_session_secret: Secret = setting(
        Secret(""), secret, "HMAC key for legacy MCP session ids; required with REDIS_URL, the same on every host"
    )
    mcp_max_streams_per_worker: int | None = setting(
        None, optional(int_in(1, 1024)), "Open SSE/WebSocket streams per worker (default: 3/4 of the threads)"
    )
    mcp_max_streams_per_credential: int = setting(
        20, int_in(1, 100000), "Open SSE/WebSocket streams one credential may hold on all workers and hosts (429)"
    )
    mcp_max_streams_per_address: int = setting(
        100, int_in(1, 100000), "Open SSE/WebSocket streams one client address may hold on all workers and hosts (429)"
    )
    sse_keepalive_seconds: float = setting(15.0, positive_float, "Keep-alive comment interval on streams")
    sse_max_lifetime_seconds: float = setting(3600.0, positive_float, "Longest life of one stream")
    redis_url: str | None = setting(
        None, optional(url(("redis", "rediss", "unix"))), "Redis for shared state across workers"
    )
    # Security and limits
    max_auth_failures: int = setting(5, int_in(1), "Failed auth attempts before rate limiting")
    auth_failure_window: int = setting(300, int_in(1), "Window in seconds for auth failures")
    auth_failure_audit_per_minute: int = setting(
        20, int_in(1), "Failed authentications audited one by one per address and minute; the rest summarised"
    )
    rate_limit_per_minute: int = setting(60, int_in(1), "Per-IP request limit")
    token_rate_limit_per_minute: int = setting(120, int_in(1), "Per-token request limit")
    max_file_size_bytes: int = setting(1048576, int_in(1), "Max file payload returned by read tools")
    max_tool_response_items: int = setting(200, int_in(1), "Max list items in tool responses")
    max_tool_response_chars: int = setting(20000, int_in(100), "Max chars in text fields")
    request_timeout_seconds: float = setting(30.0, positive_float, "Upstream timeout for Gitea")
    secret_detection_mode: str = setting("mask", choice(SECRET_MODES), "off, mask or block")
    strip_html_comments: bool = setting(True, parse_bool, "Drop HTML comments from markdown bodies")
    repo_authz_cache_ttl_seconds: int = setting(60, int_in(0), "TTL of per-user permission checks")
    # Policy and audit
    policy_file: str | None = setting(None, optional(text), "YAML policy file")
    audit_log_path: str = setting("/var/log/aegis-mcp/audit.log", text, "Audit log file")
    audit_fail_mode: str = setting("closed", choice(AUDIT_FAIL_MODES), "Reads when audit fails")
    # Tools served
    mcp_toolsets: tuple[str, ...] = setting(
        (), csv, "Toolsets served, e.g. repos,files,issues; `default` (the unset value) or `all` (adds the opt-in ones)"
    )
    mcp_tools: tuple[str, ...] = setting(
        (), csv, "Single tools served in addition to MCP_TOOLSETS (with it unset: only these)"
    )
    mcp_output_schemas: str = setting(
        "compact", choice(("full", "compact", "off")),
        "outputSchema in tools/list: full, compact (top-level field names) or off; results are the same",
    )
    # Write mode
    write_mode: bool = setting(False, parse_bool, "Enable write tools")
    write_repository_whitelist: tuple[str, ...] = setting((), csv, "owner/repo allowed to write")
    write_allow_all_token_repos: bool = setting(False, parse_bool, "Allow writes to every repo")
    flow_guard: str = setting(
        "enforce", choice(FLOW_GUARD_MODES),
        "Toxic-flow guard on writes: off, warn (allow, audit) or enforce (refuse writes to a less confidential sink)",
    )
    flow_guard_window_seconds: int = setting(
        3600, int_in(60, 604800), "How long a read of a private or internal repository restricts later writes",
    )
    # Automation
    automation_enabled: bool = setting(False, parse_bool, "Enable automation endpoints")
    automation_scheduler_enabled: bool = setting(False, parse_bool, "Enable the scheduler loop")
    automation_stale_days: int = setting(30, int_in(1), "Age threshold for stale issues")
    automation_webhook_secret: Secret = setting(
        Secret(""), secret, "Gitea webhook secret (>= 32 chars; required with AUTOMATION_ENABLED=true)"
    )
    automation_webhook_max_bytes: int = setting(
        262144, int_in(1024), "Largest accepted webhook body (also bounded by MAX_REQUEST_BYTES)"
    )
    automation_delivery_ttl_seconds: int = setting(
        604800, int_in(60), "How long a webhook delivery id is remembered against replays"
    )
    automation_schedule_file: str | None = setting(
        None, optional(text), "YAML file of scheduled jobs (job, repository, every)"
    )
    automation_scheduler_tick_seconds: float = setting(5.0, positive_float, "Scheduler tick interval")
    automation_leader_ttl_seconds: float = setting(
        15.0, positive_float, "Scheduler leader lock TTL; a dead leader is replaced within it"
    )
    automation_job_timeout_seconds: float = setting(120.0, positive_float, "Time budget of one job run")
    automation_runs_kept: int = setting(50, int_in(1, 10000), "Job runs kept per repository")
    # Legacy compatibility
    gitea_token: Secret = setting(Secret(""), secret, "Service token for Gitea (API-key/PAT mode)")
    mcp_api_keys: tuple[Secret, ...] = setting((), secret_list, "API keys (>= 32 chars each)")
    auth_enabled: bool = setting(True, parse_bool, "Require authentication (loopback only if off)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv_path: str | None = None) -> Settings:
        """Read settings from `.env` (or AEGIS_ENV_FILE) overlaid by the environment; raise on any problem."""
        environ = os.environ if environ is None else environ
        if dotenv_path is None:
            dotenv_path = environ.get("AEGIS_ENV_FILE", ".env")
        source: dict[str, str] = {}
        if dotenv_path and os.path.isfile(dotenv_path):
            source.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        source.update(environ)
        return cls.from_mapping(source)

    @classmethod
    def from_mapping(cls, source: Mapping[str, Any]) -> Settings:
        values, problems = {}, []
        for field in dataclasses.fields(cls):
            raw = source.get(field.name.upper())
            if raw is None:
                continue
            try:
                values[field.name] = field.metadata["parse"](str(raw))
            except ValueError as exc:
                problems.append(f"{field.name.upper()}: {exc}")
        problems.extend(_platform_defaults(source, values))
        settings = cls(**values)
        named = {p.split(":", 1)[0] for p in problems}
        problems.extend(p for p in settings.problems() if p.split(":", 1)[0] not in named)
        if problems:
            raise SettingsError(problems)
        return settings

    def problems(self) -> list[str]:
        """Cross-field rules; each message says what to set."""
        return [p for check in _CROSS_CHECKS for p in check(self)]

    @property
    def public_url(self) -> str:
        return self.public_base_url or f"http://{self.mcp_host}:{self.mcp_port}"

    @property
    def allows_every_interface(self) -> bool:
        """The operator opted in to listening on every interface (ALLOW_INSECURE_BIND or DEPLOY_TARGET=paas)."""
        return self.allow_insecure_bind or self.deploy_target == "paas"

    @property
    def binds_loopback(self) -> bool:
        return is_loopback(self.mcp_host)


def _platform_defaults(source: Mapping[str, Any], values: dict[str, Any]) -> list[str]:
    """A platform's PORT (Heroku, Dokku, Procfile runners) when MCP_PORT is unset; PaaS listens on every interface.

    A platform start (PORT set, MCP_PORT and MCP_HOST not) must say where to listen: the router cannot reach
    127.0.0.1, and every interface is never a silent default.
    """
    port, host = source.get("PORT"), source.get("MCP_HOST")
    paas = values.get("deploy_target") == "paas"
    if paas and host is None:
        values["mcp_host"] = "0.0.0.0"  # noqa: S104 - the documented, explicit PaaS opt-in
    if source.get("MCP_PORT") is not None or port is None or not str(port).strip():
        return []
    try:
        values["mcp_port"] = int_in(1, 65535)(str(port))
    except ValueError as exc:
        return [f"PORT: {exc} (the platform's port, used because MCP_PORT is unset)"]
    if not paas and host is None and source.get("DEPLOY_TARGET") is None:
        return [
            f"DEPLOY_TARGET: PORT={values['mcp_port']} is set (a PaaS or Procfile runner) but MCP_HOST is not: "
            "set DEPLOY_TARGET=paas to listen on every interface behind the platform's TLS router, "
            "or MCP_HOST=127.0.0.1 to keep a loopback listener"
        ]
    return []


def is_unspecified(host: str) -> bool:
    """Any spelling of "every interface": '', 0.0.0.0, 0, 0.0, ::, ::0, [::], 0:0:0:0:0:0:0:0."""
    host = host.strip().strip("[]")
    if host in ("", "*"):
        return True
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        pass
    try:  # the IPv4 shorthands the socket layer accepts ("0", "0.0", "0.0.0")
        return socket.inet_aton(host) == b"\0\0\0\0"
    except OSError:
        return False


def bind_host(address: str) -> str | None:
    """The host part of a gunicorn bind ('127.0.0.1:8080', '[::]:80', 'tcp://0:80'); None for unix/fd binds."""
    address = address.strip()
    if address.startswith(("unix:", "fd://")):
        return None
    address = address.removeprefix("tcp://")
    if address.startswith("["):
        return address[1 : address.find("]")] if "]" in address else address[1:]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_bind(s: Settings) -> list[str]:
    if is_unspecified(s.mcp_host) and not s.allows_every_interface:
        return [
            f"MCP_HOST={s.mcp_host or '(empty)'} would listen on every interface; bind 127.0.0.1 behind "
            "a TLS reverse proxy, or set ALLOW_INSECURE_BIND=true (DEPLOY_TARGET=paas on a platform) to opt in"
        ]
    return []


def _check_session_secret(s: Settings) -> list[str]:
    if s.redis_url and not s.mcp_session_secret:
        return [
            "MCP_SESSION_SECRET: required with REDIS_URL: every host sharing that Redis verifies the others' "
            "legacy MCP session ids with it, so set the same value on each (e.g. openssl rand -hex 32)"
        ]
    return []


def _check_gitea(s: Settings) -> list[str]:
    return [] if s.gitea_url else ["GITEA_URL: required, e.g. https://gitea.example.com"]


def _check_oauth(s: Settings) -> list[str]:
    if not s.oauth_mode:
        return []
    problems = []
    if not s.gitea_oauth_client_id:
        problems.append("GITEA_OAUTH_CLIENT_ID: required when OAUTH_MODE=true")
    if not s.gitea_oauth_client_secret:
        problems.append("GITEA_OAUTH_CLIENT_SECRET: required when OAUTH_MODE=true")
    if len(s.oauth_state_secret.reveal()) < 32:
        problems.append(
            "OAUTH_STATE_SECRET: required when OAUTH_MODE=true, at least 32 characters "
            "(e.g. openssl rand -hex 32)"
        )
    return problems


def _check_shared_state(s: Settings) -> list[str]:
    if s.oauth_mode and s.gunicorn_workers > 1 and not s.redis_url:
        return [
            f"REDIS_URL: required with OAUTH_MODE=true and GUNICORN_WORKERS={s.gunicorn_workers}: consent, state "
            "and codes must be visible to every worker (or set GUNICORN_WORKERS=1)"
        ]
    return []


def _check_api_keys(s: Settings) -> list[str]:
    short = [i + 1 for i, key in enumerate(s.mcp_api_keys) if len(key.reveal()) < 32]
    problems = [f"MCP_API_KEYS: key #{i} is shorter than 32 characters (make generate-key)" for i in short]
    if not s.oauth_mode and s.auth_enabled and not s.mcp_api_keys:
        problems.append(
            "MCP_API_KEYS: required in API-key mode (OAUTH_MODE=false); generate one with make generate-key, "
            "or set OAUTH_MODE=true"
        )
    return problems


def _check_auth_disabled(s: Settings) -> list[str]:
    if not s.auth_enabled and not s.binds_loopback:
        return ["AUTH_ENABLED=false is only allowed when MCP_HOST is a loopback address (127.0.0.1)"]
    return []


def _check_write_mode(s: Settings) -> list[str]:
    if s.write_mode and not s.write_repository_whitelist and not s.write_allow_all_token_repos:
        return [
            "WRITE_MODE=true needs WRITE_REPOSITORY_WHITELIST=owner/repo,... (recommended) "
            "or WRITE_ALLOW_ALL_TOKEN_REPOS=true"
        ]
    bad = [r for r in s.write_repository_whitelist if r.count("/") != 1 or r.startswith("/") or r.endswith("/")]
    return [f"WRITE_REPOSITORY_WHITELIST: {r!r} is not owner/repo" for r in bad]


def _check_streams(s: Settings) -> list[str]:
    if s.mcp_max_streams_per_worker and s.mcp_max_streams_per_worker >= s.gunicorn_threads:
        return [
            f"MCP_MAX_STREAMS_PER_WORKER={s.mcp_max_streams_per_worker} must be below GUNICORN_THREADS="
            f"{s.gunicorn_threads}: an open stream holds a thread, and tool calls need the rest"
        ]
    return []


def _check_automation(s: Settings) -> list[str]:
    problems = []
    if s.automation_enabled and len(s.automation_webhook_secret.reveal()) < 32:
        problems.append(
            "AUTOMATION_WEBHOOK_SECRET: required when AUTOMATION_ENABLED=true, at least 32 characters "
            "(e.g. openssl rand -hex 32); set the same value as the webhook's secret in Gitea"
        )
    if s.automation_scheduler_enabled and not s.automation_enabled:
        problems.append("AUTOMATION_SCHEDULER_ENABLED=true needs AUTOMATION_ENABLED=true")
    if s.automation_leader_ttl_seconds <= s.automation_scheduler_tick_seconds:
        problems.append(
            f"AUTOMATION_LEADER_TTL_SECONDS={s.automation_leader_ttl_seconds} must be longer than "
            f"AUTOMATION_SCHEDULER_TICK_SECONDS={s.automation_scheduler_tick_seconds}: the leader renews once a tick"
        )
    return problems


_CROSS_CHECKS = (
    _check_automation, _check_streams, _check_gitea, _check_bind, _check_oauth, _check_shared_state,
    _check_api_keys, _check_auth_disabled, _check_write_mode, _check_session_secret,
)


def settings_table() -> list[tuple[str, Any, str]]:
    """(VARIABLE, default, description) for every setting, for docs and .env.example."""
    return [
        (f.name.upper(), f.default, f.metadata["doc"]) for f in dataclasses.fields(Settings)
    ]
