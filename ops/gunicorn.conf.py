"""gunicorn settings for AegisGitea MCP: gthread worker, secure bind, JSON logs, multiprocess metrics.

Settings come from the environment and `.env` (app/config.py). Any configuration problem stops the
server here, before a worker starts, with every problem listed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Prometheus multiprocess mode: every worker writes its samples here and /metrics sums them. This must
# be set before anything imports prometheus_client, which picks its value class at import time.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="aegis-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]

from gunicorn.glogging import Logger

from app.config import Settings, SettingsError, bind_host, is_unspecified
from app.logging import logging_config

try:
    _settings = Settings.from_env()
except SettingsError as _exc:
    sys.stderr.write(f"aegis-mcp: refusing to start.\n{_exc.render()}\n")
    sys.exit(1)

# Workers verify each other's legacy MCP session ids: give them one key unless the operator set one.
if not _settings.mcp_session_secret:
    import secrets

    os.environ["MCP_SESSION_SECRET"] = secrets.token_hex(32)

# An invalid policy file stops the server here, with every problem listed (fail closed).
if _settings.policy_file:
    from app.policy import Policy, PolicyError

    try:
        from app.tools import all_tools

        Policy.load(_settings.policy_file, known_tools=[tool.name for tool in all_tools()])
    except (PolicyError, OSError) as _exc:
        _problems = getattr(_exc, "errors", [str(_exc)])
        sys.stderr.write(f"aegis-mcp: refusing to start: invalid POLICY_FILE {_settings.policy_file}\n")
        sys.stderr.write("".join(f"  - {p}\n" for p in _problems))
        sys.exit(1)

# OAuth mode depends on Gitea's OIDC provider: check it once now rather than fail every sign-in later.
if _settings.oauth_mode and _settings.startup_validate_gitea:
    from app.health import check_gitea_oidc

    _oidc = check_gitea_oidc(_settings)
    if not _oidc["ok"]:
        sys.stderr.write(
            f"aegis-mcp: refusing to start: {_oidc['reason']} at {_settings.gitea_url}. Check GITEA_URL and "
            "Gitea's [oauth2] ENABLED, or set STARTUP_VALIDATE_GITEA=false to start anyway.\n"
        )
        sys.exit(1)

_host = f"[{_settings.mcp_host}]" if ":" in _settings.mcp_host else _settings.mcp_host
bind = [f"{_host}:{_settings.mcp_port}"]
worker_class = "gthread"
workers = _settings.gunicorn_workers
threads = _settings.gunicorn_threads
# gthread's timeout is a worker heartbeat, not a request deadline; streams bound their own lifetime.
timeout = 60
graceful_timeout = _settings.graceful_timeout
keepalive = 5
# gunicorn 27 otherwise opens one control socket per user, shared by every gunicorn of that user.
control_socket_disable = True
# The app writes the access log itself (one JSON line per request with request id and route template).
accesslog = None
logconfig_dict = logging_config(_settings.log_level, _settings.secret_detection_mode)


class AppWritesAccessLog(Logger):
    """gunicorn's logger without its own access line.

    With logconfig_dict set, gunicorn builds every request's access-log atoms (a dict of all headers
    and environ values) even though nothing prints them: ~2.5% of a tool call in py-spy samples.
    """

    def _compute_access_log_enabled(self) -> bool:
        return False


logger_class = AppWritesAccessLog
# X-Forwarded-Proto is honoured from the same proxies whose X-Forwarded-For the app trusts.
forwarded_allow_ips = ",".join(_settings.trusted_proxy_ips)



def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to listen on every interface without ALLOW_INSECURE_BIND, even if -b overrides bind."""
    insecure = [a for a in server.cfg.bind if (host := bind_host(a)) is not None and is_unspecified(host)]
    if insecure and not _settings.allow_insecure_bind:
        sys.stderr.write(
            f"aegis-mcp: refusing to bind {', '.join(insecure)}: that listens on every interface. "
            "Bind 127.0.0.1 behind a TLS reverse proxy, or set ALLOW_INSECURE_BIND=true to opt in.\n"
        )
        sys.exit(1)
    if _settings.gunicorn_workers > 1 and not _settings.redis_url:
        server.log.warning(
            "GUNICORN_WORKERS=%s without REDIS_URL: rate limits count per worker, and legacy SSE replies and "
            "ended MCP sessions are not shared between workers; set REDIS_URL for several workers",
            _settings.gunicorn_workers,
        )
    if _settings.oauth_mode and not _settings.redis_url:
        server.log.warning(
            "OAUTH_MODE without REDIS_URL: used refresh tokens, used authorization codes and revoked grants are "
            "kept in this process's memory only: a restart forgets them (a reused refresh token then works again "
            "until it expires) and another gateway process or host never sees them; set REDIS_URL to keep them"
        )
    # Samples from an earlier run would be summed into this one: remove prometheus_client's files only.
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        path = os.path.join(_metrics_dir, name)
        if name.endswith(".db") and os.path.isfile(path):
            os.unlink(path)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    if os.path.basename(_metrics_dir).startswith("aegis-metrics-"):
        shutil.rmtree(_metrics_dir, ignore_errors=True)
