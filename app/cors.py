"""CORS for browser-based MCP clients: the origins the Origin check admits, on the routes such a client calls.

A browser client (the MCP Inspector's web UI, an in-page agent) sends `Authorization`, `Content-Type:
application/json` and the MCP headers, so every call is preceded by a preflight, and it can read a reply
header (`Mcp-Session-Id`, `WWW-Authenticate`) only when the server exposes it.

One rule for every route below, the same as the Origin check of the MCP routes (app/mcp/admission.py
`OriginPolicy.origin_allowed`): an origin in `ALLOWED_ORIGINS`, `PUBLIC_BASE_URL`'s own origin, and,
while the server binds loopback only, any loopback origin. Such an origin gets its own value echoed in
`Access-Control-Allow-Origin` (never `*`, never credentials: clients send bearer tokens, not cookies).
Any other origin gets no CORS header at all: its preflight is refused with 403, and the real request is
refused by the Origin check (MCP routes) or cannot be read by the page (OAuth routes).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from app.hosts import EXTENSION as HOSTS_EXTENSION
from app.mcp.admission import OriginPolicy

CORS_PATHS = frozenset({"/mcp", "/mcp/sse", "/mcp/tools", "/mcp/tool/call", "/register", "/oauth/token"})
METADATA_PREFIX = "/.well-known/oauth-"  # oauth-protected-resource[/mcp[/sse]], oauth-authorization-server
ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOW_HEADERS = ", ".join((
    "Authorization", "Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-ID",
    "Mcp-Method", "Mcp-Name", "X-Correlation-ID", "X-Request-ID",
))
EXPOSE_HEADERS = ", ".join((
    "Mcp-Session-Id", "WWW-Authenticate", "Mcp-Protocol-Version", "Retry-After", "X-Correlation-ID", "X-Request-ID",
))
PREFLIGHT_MAX_AGE = "600"  # seconds a browser may reuse a preflight (Chromium caps it at 7200)


def is_cors_path(path: str) -> bool:
    return path in CORS_PATHS or path.startswith(METADATA_PREFIX)


def _origins() -> OriginPolicy:
    policy: OriginPolicy = current_app.extensions[HOSTS_EXTENSION]
    return policy


def answer_preflight() -> Response | None:
    """before_request: a preflight on a CORS route is answered here (204), or refused (403, no CORS header)."""
    if request.method != "OPTIONS" or not is_cors_path(request.path):
        return None
    origin = request.headers.get("Origin")
    if origin is None or "Access-Control-Request-Method" not in request.headers:
        return None  # not a preflight: Flask's own OPTIONS answer
    _origins().check_origin(request.headers)  # Forbidden → 403 through app/outcomes.py, no CORS header
    response = Response(status=204)
    response.headers.update({
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    })
    return response


def add_cors_headers(response: Response) -> Response:
    """after_request: echo an admitted Origin on CORS routes; `Vary: Origin` there either way (caches)."""
    if not is_cors_path(request.path):
        return response
    vary_on_origin(response)
    origin = request.headers.get("Origin")
    if origin is not None and _origins().origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


def vary_on_origin(response: Response) -> None:
    """Add Origin to Vary, written directly: `response.vary` parses the header into a set and back."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in {value.strip().lower() for value in vary.split(",")}:
        response.headers["Vary"] = f"{vary}, Origin"


def init_app(app: Flask) -> None:
    """After the Host check and the rate limits (a preflight counts as a request like any other)."""
    app.before_request(answer_preflight)
    app.after_request(add_cors_headers)
