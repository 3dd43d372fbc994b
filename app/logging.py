"""JSON-lines logging, request ids and secret-safe structured events."""

from __future__ import annotations

import contextlib
import logging
import logging.config
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import flask
from flask import Flask, has_request_context, request
from werkzeug.routing import Rule

from app import json_codec

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


def trace_payload(logger: logging.Logger, tool: str, raw: Any, nullable_fields: tuple[str, ...]) -> None:
    """DEBUG instrumentation (spec/Observability.md): `<tool>.payload_shape`, then one `<tool>.field_check`
    per field Gitea may send as null; types and nullness only, never values."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    fields = raw if isinstance(raw, Mapping) else {}
    shape = {key: type(value).__name__ for key, value in fields.items()}
    log_event(logger, logging.DEBUG, f"{tool}.payload_shape", payload_type=type(raw).__name__, fields=shape)
    for field in nullable_fields:
        value = fields.get(field)
        log_event(logger, logging.DEBUG, f"{tool}.field_check", field=field, is_null=value is None,
                  type=type(value).__name__)


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
            "access": {"()": "app.logging.LineWriter", "formatter": "preformatted"},
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


class LineWriter(logging.Handler):
    """Write each record as one line with a single write(2) to a file descriptor (stdout by default).

    The access log runs on every request from every gunicorn thread: StreamHandler's lock and flush
    made threads queue behind each other's syscalls (bench/bench_foundation.py). One write of one
    line is atomic on pipes (up to PIPE_BUF) and on files, so no lock is needed."""

    def __init__(self, fd: int = 1) -> None:
        super().__init__()
        self.fd = fd

    def createLock(self) -> None:
        self.lock = None

    def acquire(self) -> None:
        """No lock: each record is one write(2)."""

    def release(self) -> None:
        """No lock to release."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write_line(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never raise into a request
            self.handleError(record)

    def write_line(self, line: str) -> None:
        with contextlib.suppress(OSError):  # stdout gone (closed pipe): losing a line must not fail a request
            os.write(self.fd, (line + "\n").encode("utf-8", "replace"))


def new_request_id() -> str:
    return secrets.token_hex(16)


REQUEST_ID_KEY = "aegis.request_id"
ROUTE_KEY = "aegis.route"  # the matched route template; Flask clears its request from environ on exit
Observer = Callable[[str, str, int, float], None]


class RequestLog:
    """WSGI middleware around the Flask app: request id in and out, one access line and the HTTP
    metrics per request. Plain WSGI on purpose: this runs on every request, and Flask's hooks and
    context-local proxies cost more than the work itself (bench/bench_foundation.py)."""

    def __init__(self, wsgi_app: Any, observe: Observer | None) -> None:
        self.wsgi_app = wsgi_app
        self.observe = observe

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        supplied = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = environ[REQUEST_ID_KEY] = supplied if REQUEST_ID_PATTERN.match(supplied) else new_request_id()
        started = time.perf_counter()
        status: list[int] = []

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(int(code[:3]))
            headers = [h for h in headers if h[0].lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            return start_response(code, headers, exc_info)

        body = self.wsgi_app(environ, start)
        self._finished(environ, request_id, status[-1] if status else 500, time.perf_counter() - started)
        return body

    def _finished(self, environ: dict[str, Any], request_id: str, status: int, duration: float) -> None:
        route = environ.get(ROUTE_KEY, "<unmatched>")
        method = environ.get("REQUEST_METHOD", "")
        if self.observe is not None:
            self.observe(method, route, status, duration)
        if access_log.isEnabledFor(logging.INFO):
            line = _access_line(environ, request_id, method=method, route=route, status=status, duration=duration)
            self._write(line)

    def _write(self, line: str) -> None:
        """The access line goes straight to the access handler when it is our LineWriter (no LogRecord:
        this runs on every request), else through logging as usual."""
        handlers = access_log.handlers
        if len(handlers) == 1 and type(handlers[0]) is LineWriter and not access_log.filters:
            handlers[0].write_line(line)
        else:
            access_log.info(line)


class RoutedRequest(flask.Request):
    """Flask's request, telling the middleware which route matched (Flask clears its request object from
    the environ when the request ends, before the access line is written)."""

    @property
    def url_rule(self) -> Rule | None:
        return self.__dict__.get("_url_rule")

    @url_rule.setter
    def url_rule(self, rule: Rule | None) -> None:
        self.__dict__["_url_rule"] = rule
        if rule is not None:
            self.environ[ROUTE_KEY] = rule.rule


def current_request_id() -> str | None:
    """The id of the request being served (set by RequestLog), or None outside a request."""
    return request.environ.get(REQUEST_ID_KEY) if has_request_context() else None


_stamp: tuple[int, str] = (0, "")


def _timestamp() -> str:
    """ISO-8601 local time, formatted once per second rather than once per request."""
    global _stamp  # noqa: PLW0603 - a one-entry cache; a race only formats the same second twice
    now = int(time.time())
    if _stamp[0] != now:
        _stamp = (now, time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)))
    return _stamp[1]


def _access_line(
    environ: dict[str, Any], request_id: str, *, method: str, route: str, status: int, duration: float
) -> str:
    """The access-log record, serialised once: this runs on every request (see bench/)."""
    return json_codec.encode(
        {
            "ts": _timestamp(),
            "level": "INFO",
            "logger": "aegis.access",
            "pid": os.getpid(),
            "message": "request",
            "request_id": request_id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration * 1000, 3),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
    ).decode()


def init_app(app: Flask, level: str, secret_mode: str = "mask", observe: Observer | None = None) -> None:  # noqa: S107
    """Configure JSON logging; wrap the app in the request-id / access-log / metrics middleware."""
    logging.config.dictConfig(logging_config(level, secret_mode))
    app.request_class = RoutedRequest
    app.wsgi_app = RequestLog(app.wsgi_app, observe)  # type: ignore[method-assign]
