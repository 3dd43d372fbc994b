"""JSON-lines logging, request ids and secret-safe structured events."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
SENSITIVE_CONTEXT_KEYS = frozenset(
    {
        "token", "access_token", "refresh_token", "id_token", "authorization", "password",
        "secret", "client_secret", "code", "code_verifier", "api_key", "api_keys", "cookie",
        "gitea_token", "mcp_api_keys", "oauth_state_secret", "gitea_oauth_client_secret",
    }
)
MASK = "***"
access_log = logging.getLogger("aegis.access")


def sanitize_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Mask values whose key names a secret, recursively."""
    return {key: _sanitize(key, value) for key, value in context.items()}


def _sanitize(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_CONTEXT_KEYS:
        return MASK
    if isinstance(value, Mapping):
        return sanitize_context(value)
    if isinstance(value, list | tuple):
        return [_sanitize("", item) for item in value]
    return value


def log_event(logger: logging.Logger, level: int, event: str, **context: Any) -> None:
    """Emit a named event with a masked `context` mapping."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={"event": event, "context": sanitize_context(context)})


def log_nullable_field(logger: logging.Logger, event: str, field: str, value: Any) -> None:
    """Record whether a parsed field is None and its type, never its content."""
    log_event(logger, logging.DEBUG, event, field=field, is_null=value is None, type=type(value).__name__)


def logging_config(level: str, secret_mode: str = "mask") -> dict[str, Any]:  # noqa: S107 - a mode name
    """dictConfig for JSON lines on stdout; also used for gunicorn's own logs. Secrets are masked."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # Handler filters also see records propagated from child loggers (gunicorn, werkzeug, urllib3).
        # The access line carries no free text (method, route template, status), so it skips the scan.
        "filters": {"secrets": {"()": "app.safety.logs.SecretLogFilter", "mode": secret_mode}},
        "formatters": {
            "preformatted": {"format": "%(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger", "process": "pid"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout",
                "filters": ["secrets"],
            },
            "access": {"class": "logging.StreamHandler", "formatter": "preformatted", "stream": "ext://sys.stdout"},
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            # The app logs each request itself, with request id and route template (app/logging.py).
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "aegis.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "werkzeug": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
        },
    }


def new_request_id() -> str:
    return uuid.uuid4().hex


def _begin_request() -> None:
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if REQUEST_ID_PATTERN.match(supplied) else new_request_id()
    g.request_started = time.perf_counter()


def route_template() -> str:
    """The matched route rule, never the raw path (bounded label and log cardinality)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or new_request_id()
    response.headers["X-Request-ID"] = request_id
    if access_log.isEnabledFor(logging.INFO):
        started = g.get("request_started") or time.perf_counter()
        access_log.info(_access_line(request_id, response.status_code, time.perf_counter() - started))
    return response


def _access_line(request_id: str, status: int, duration: float) -> str:
    """The access-log record, serialised once: this runs on every request (see bench/)."""
    return json.dumps(
        {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "aegis.access",
            "pid": os.getpid(),
            "message": "request",
            "request_id": request_id,
            "method": request.method,
            "route": route_template(),
            "status": status,
            "duration_ms": round(duration * 1000, 3),
            "remote_addr": request.remote_addr,
        }
    )


def init_app(app: Flask, level: str, secret_mode: str = "mask") -> None:  # noqa: S107 - a mode name
    """Configure JSON logging and the request-id / access-log hooks."""
    logging.config.dictConfig(logging_config(level, secret_mode))
    app.before_request(_begin_request)
    app.after_request(_finish_request)
