"""gunicorn settings for AegisGitea MCP: gthread worker, secure bind, JSON logs, multiprocess metrics.

One implementation for both launchers: `gunicorn -c ops/gunicorn.conf.py wsgi:app` (the file copies
these settings into its namespace) and `aegis-mcp serve` (app/cli.py sets them through gunicorn's API).
Settings come from the environment and `.env` (app/config.py); any configuration problem stops the
server in the master, before a worker starts, with the message every launcher prints (app/startup.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from concurrent import futures
from typing import Any

# How long a worker waits at boot for its request threads to start (milliseconds on an idle machine).
THREADS_START_TIMEOUT = 10.0


def start_request_threads(worker: Any) -> None:
    """Start every one of gthread's request threads now, before the worker takes its first request.

    gthread's pool is a ThreadPoolExecutor, which adds a thread only when a request finds none idle: a
    worker's thread count would otherwise creep up towards GUNICORN_THREADS for hours, and each new thread
    is started inside some request. Every task waits at a barrier until all are running, so no thread is
    idle before the last one is created.
    """
    pool, size = getattr(worker, "tpool", None), worker.cfg.threads
    if pool is None:
        return
    everyone = threading.Barrier(size, timeout=THREADS_START_TIMEOUT)
    started = [pool.submit(everyone.wait) for _ in range(size)]
    futures.wait(started, timeout=THREADS_START_TIMEOUT)


def gunicorn_settings() -> dict[str, Any]:
    """gunicorn's settings and hooks; exits 1 with every problem listed when the configuration is bad."""
    # Prometheus multiprocess mode: every worker writes its samples here and /metrics sums them. This must
    # be set before anything imports prometheus_client, which picks its value class at import time.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="aegis-metrics-")
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]

    from gunicorn.glogging import Logger

    from app.config import Settings, SettingsError, bind_host, is_unspecified
    from app.logging import logging_config
    from app.startup import mark_checked, preflight, refusal

    # The same checks and message as every other launcher, made once in the master.
    try:
        settings = Settings.from_env()
        preflight(settings)
    except SettingsError as exc:
        sys.stderr.write(refusal(exc))
        sys.exit(1)
    mark_checked()

    # One host without Redis: this master's workers verify each other's legacy MCP session ids with one
    # key. (With REDIS_URL, MCP_SESSION_SECRET is required: a key per master would split the hosts.)
    if not settings.mcp_session_secret:
        import secrets

        os.environ["MCP_SESSION_SECRET"] = secrets.token_hex(32)

    class AppWritesAccessLog(Logger):
        """gunicorn's logger without its own access line.

        With logconfig_dict set, gunicorn builds every request's access-log atoms (a dict of all headers
        and environ values) even though nothing prints them: ~2.5% of a tool call in py-spy samples.
        """

        def _compute_access_log_enabled(self) -> bool:
            return False

    def on_starting(server: Any) -> None:
        """Refuse to listen on every interface without the opt-in, even if -b overrides bind."""
        insecure = [a for a in server.cfg.bind if (host := bind_host(a)) is not None and is_unspecified(host)]
        if insecure and not settings.allows_every_interface:
            sys.stderr.write(
                f"aegis-mcp: refusing to bind {', '.join(insecure)}: that listens on every interface. "
                "Bind 127.0.0.1 behind a TLS reverse proxy, or set ALLOW_INSECURE_BIND=true "
                "(DEPLOY_TARGET=paas on a platform) to opt in.\n"
            )
            sys.exit(1)
        if insecure:
            server.log.warning(
                "listening on every interface (%s) by explicit opt-in (%s)", ", ".join(insecure),
                "DEPLOY_TARGET=paas" if settings.deploy_target == "paas" else "ALLOW_INSECURE_BIND=true",
            )
        if settings.gunicorn_workers > 1 and not settings.redis_url:
            server.log.warning(
                "GUNICORN_WORKERS=%s without REDIS_URL: rate limits count per worker, and legacy SSE replies and "
                "ended MCP sessions are not shared between workers; set REDIS_URL for several workers",
                settings.gunicorn_workers,
            )
        if settings.oauth_mode and not settings.redis_url:
            server.log.warning(
                "OAUTH_MODE without REDIS_URL: used refresh tokens, used authorization codes and revoked grants "
                "are kept in this process's memory only: a restart forgets them (a reused refresh token then works "
                "again until it expires) and another gateway process or host never sees them; set REDIS_URL to "
                "keep them"
            )
        # Samples from an earlier run would be summed into this one: remove prometheus_client's files only.
        os.makedirs(metrics_dir, exist_ok=True)
        for name in os.listdir(metrics_dir):
            path = os.path.join(metrics_dir, name)
            if name.endswith(".db") and os.path.isfile(path):
                os.unlink(path)

    def child_exit(server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    def on_exit(server: Any) -> None:
        if os.path.basename(metrics_dir).startswith("aegis-metrics-"):
            shutil.rmtree(metrics_dir, ignore_errors=True)

    host = f"[{settings.mcp_host}]" if ":" in settings.mcp_host else settings.mcp_host
    return {
        "bind": [f"{host}:{settings.mcp_port}"],
        "worker_class": "gthread",
        "workers": settings.gunicorn_workers,
        "threads": settings.gunicorn_threads,
        # gthread's timeout is a worker heartbeat, not a request deadline; streams bound their own lifetime.
        "timeout": 60,
        "graceful_timeout": settings.graceful_timeout,
        # Long-lived streams stay on the worker that accepted them; with one shared socket whichever worker wakes
        # first takes the connection (measured 642/358 of 1,000 streams), with SO_REUSEPORT the kernel hashes.
        "reuse_port": settings.gunicorn_reuse_port,
        "keepalive": 5,
        # gunicorn 27 otherwise opens one control socket per user, shared by every gunicorn of that user.
        "control_socket_disable": True,
        # The app writes the access log itself (one JSON line per request with request id and route template).
        "accesslog": None,
        "logconfig_dict": logging_config(settings.log_level, settings.secret_detection_mode),
        "logger_class": AppWritesAccessLog,
        # X-Forwarded-Proto is honoured from the same proxies whose X-Forwarded-For the app trusts.
        "forwarded_allow_ips": ",".join(settings.trusted_proxy_ips),
        "on_starting": on_starting,
        "post_worker_init": start_request_threads,
        "child_exit": child_exit,
        "on_exit": on_exit,
    }
