"""Rate limits: per client IP, per credential, and a lockout after repeated authentication failures.

Counters live in the shared store's backend (memory, or Redis when REDIS_URL is set, which makes
limits exact across workers and hosts). If Redis stops answering, each worker falls back to
in-memory counters (limits become per worker) and checks Redis again with a growing back-off;
a storage error never turns into a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.limits.breaches import report_breach
from app.limits.keys import client_address, credential_key, is_rejected_credential, sends_no_credential
from app.limits.limiter import AegisLimiter
from app.limits.memory import limiter_storage_uri
from app.limits.proxy import LOCAL_PROXY_PEERS, ForwardedFor
from app.limits.responses import refusal
from app.outcomes import http_error
from app.store import EXTENSION as STORE

__all__ = ["EXTENSION", "init_app"]
EXTENSION = "aegis.limits"
KEY_PREFIX = "aegis"
REDIS_TIMEOUT_SECONDS = 1.0


def application_limits(settings: Any) -> list[ApplicationLimit]:
    """Each limit counts every route together (shared scope), keyed by IP or by credential."""
    return [
        ApplicationLimit(
            f"{settings.rate_limit_per_minute}/minute", key_function=client_address, scope="ip",
            error_message=f"per-IP limit of {settings.rate_limit_per_minute} requests per minute",
        ),
        ApplicationLimit(
            f"{settings.token_rate_limit_per_minute}/minute", key_function=credential_key, scope="credential",
            exempt_when=sends_no_credential,
            error_message=f"per-credential limit of {settings.token_rate_limit_per_minute} requests per minute",
        ),
        ApplicationLimit(
            f"{settings.max_auth_failures}/{settings.auth_failure_window} seconds", key_function=client_address,
            scope="auth-failures", deduct_when=is_rejected_credential,
            error_message=f"{settings.max_auth_failures} failed authentications from this address",
        ),
    ]


def storage_options(storage_uri: str) -> dict[str, Any]:
    """Fail fast when Redis is down, as the store does: no client retries, short socket timeouts."""
    if not storage_uri.startswith("redis"):  # redis, rediss, redis+unix
        return {}
    return {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "retry": Retry(NoBackoff(), 0),
    }


def build_limiter(settings: Any, storage_uri: str) -> Limiter:
    return AegisLimiter(
        client_address,
        application_limits=application_limits(settings),  # type: ignore[arg-type]
        storage_uri=storage_uri,
        storage_options=storage_options(storage_uri),
        key_prefix=KEY_PREFIX,
        on_breach=report_breach,
        in_memory_fallback_enabled=True,  # Redis down: per-worker limits instead of none
        swallow_errors=True,  # and never a 500 from the limiter itself
    )


def trusted_proxy_peers(settings: Any) -> tuple[str, ...]:
    """Addresses the proxy connects from: TRUSTED_PROXY_IPS, or the loopback peers when it is set empty."""
    return tuple(settings.trusted_proxy_ips or LOCAL_PROXY_PEERS)


def init_app(app: Flask) -> None:
    """Bind the limiter to the store's backend; behind a proxy, count the forwarded client address."""
    settings = app.config["SETTINGS"]
    if settings.trusted_proxy_count:
        app.wsgi_app = ForwardedFor(app.wsgi_app, settings.trusted_proxy_count, trusted_proxy_peers(settings))  # type: ignore[method-assign]
    limiter = build_limiter(settings, limiter_storage_uri(app.extensions[STORE].storage_uri()))
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, lambda exc: http_error(refusal(limiter, exc)))
