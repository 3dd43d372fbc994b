"""Start-up checks every launcher makes, with one message: gunicorn's master, `flask run`, a Procfile
command, `aegis-mcp serve` and `aegis-mcp check-config`, and create_app in tests.

Settings problems come from app/config.py; these are the checks that read a file, the network or the
shared store: the policy file, Gitea's OIDC provider (OAuth mode) and, with Redis, that every host
shares one MCP_SESSION_SECRET.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

from flask import Flask

from app.config import Settings, SettingsError, is_unspecified
from app.logging import log_event
from app.store import Store, StoreUnavailable

log = logging.getLogger("aegis.startup")
# Every host sharing one Redis stores the same value here; the first host's value wins (SET NX).
SESSION_SECRET_CHECK_KEY = "mcp:session-secret-check"  # noqa: S105 - a store key name
_CHECK_MESSAGE = b"aegis-mcp session secret check v1"
# gunicorn's master runs the checks once and names itself here, so its workers (and workers it restarts
# later, perhaps while Gitea is briefly down) do not repeat them.
CHECKED_BY_ENV = "AEGIS_STARTUP_CHECKED_BY"


def refusal(exc: SettingsError) -> str:
    """The one message every launcher prints before exiting non-zero."""
    return f"aegis-mcp: refusing to start.\n{exc.render()}\n"


def policy_problems(settings: Settings) -> list[str]:
    """An invalid policy file stops the service with every problem listed (fail closed)."""
    if not settings.policy_file:
        return []
    from app.policy import Policy, PolicyError
    from app.tools import policy_names

    try:
        Policy.load(settings.policy_file, known_tools=policy_names())
    except PolicyError as exc:
        return [f"POLICY_FILE: invalid {settings.policy_file}: {problem}" for problem in exc.errors]
    except OSError as exc:
        return [f"POLICY_FILE: cannot read {settings.policy_file}: {exc.strerror or exc}"]
    return []


def oidc_problems(settings: Settings) -> list[str]:
    """OAuth mode depends on Gitea's OIDC provider: check it once now rather than fail every sign-in later."""
    if not (settings.oauth_mode and settings.startup_validate_gitea):
        return []
    from app.health import check_gitea_oidc

    result = check_gitea_oidc(settings)
    if result["ok"]:
        return []
    return [
        f"GITEA_URL: {result['reason']} at {settings.gitea_url}. Check GITEA_URL and Gitea's [oauth2] ENABLED, "
        "or set STARTUP_VALIDATE_GITEA=false to start anyway"
    ]


def session_secret_check_value(secret: str) -> bytes:
    """What a host records in Redis: an HMAC of a fixed string, which shows equality and not the secret."""
    return hmac.new(secret.encode(), _CHECK_MESSAGE, hashlib.sha256).hexdigest().encode()


def session_secret_problems(settings: Settings, store: Store) -> list[str]:
    """Hosts sharing REDIS_URL with different MCP_SESSION_SECRETs would reject each other's session ids."""
    if not settings.redis_url or not settings.mcp_session_secret:
        return []
    own = session_secret_check_value(settings.mcp_session_secret.reveal())
    try:
        store.set_if_absent(SESSION_SECRET_CHECK_KEY, own)
        recorded = store.get(SESSION_SECRET_CHECK_KEY)
    except StoreUnavailable:
        # Not fatal: /ready reports Redis, and the first request that needs it answers 503.
        log_event(log, logging.WARNING, "session_secret_unchecked", reason="Redis unreachable at start")
        return []
    if recorded is None or hmac.compare_digest(recorded, own):
        return []
    return [
        "MCP_SESSION_SECRET: differs from the one another host sharing REDIS_URL started with, so neither would "
        "accept the other's legacy MCP session ids: set the same MCP_SESSION_SECRET on every host. After "
        f"changing it on all of them, remove the recorded value: redis-cli DEL {SESSION_SECRET_CHECK_KEY}"
    ]


def toolset_problems(settings: Settings) -> list[str]:
    """MCP_TOOLSETS and MCP_TOOLS name only toolsets and tools that exist (the message lists the valid ones)."""
    from app.tools import all_tools
    from app.tools.registry import enabled_tools
    from app.tools.selection import SelectionError

    try:
        enabled_tools(all_tools(), settings.mcp_toolsets, settings.mcp_tools)
    except SelectionError as exc:
        return str(exc).splitlines()
    return []


def preflight(settings: Settings, store: Store | None = None) -> None:
    """Raise SettingsError listing every start-up problem; log the PaaS opt-in when it applies."""
    problems = [*toolset_problems(settings), *policy_problems(settings), *oidc_problems(settings)]
    if settings.redis_url:
        own_store = store is None
        if store is None:
            from app.store import create_store

            store = create_store(settings.redis_url)
        try:
            problems += session_secret_problems(settings, store)
        finally:
            if own_store:
                store.close()
    if problems:
        raise SettingsError(problems)
    if settings.deploy_target == "paas" and is_unspecified(settings.mcp_host):
        log_event(
            log, logging.WARNING, "paas_listens_on_every_interface", host=settings.mcp_host,
            port=settings.mcp_port, reason="DEPLOY_TARGET=paas: the platform's router must terminate TLS",
        )


def mark_checked() -> None:
    """gunicorn's master: the checks passed here; workers forked from this process skip them."""
    os.environ[CHECKED_BY_ENV] = str(os.getpid())


def checked_by_parent() -> bool:
    return os.environ.get(CHECKED_BY_ENV) == str(os.getppid())


def init_app(app: Flask, store: Store) -> None:
    """Run the checks unless this process is a worker of a gunicorn master that ran them."""
    if not checked_by_parent():
        preflight(app.config["SETTINGS"], store)
