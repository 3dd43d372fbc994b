"""DNS-rebinding protection on every route: the Host header must name this server (403 otherwise).

A page on another site can point its own DNS name at this server (or at 127.0.0.1) and read the
answers with the victim's network position; only the Host header still shows the name it used.
Probes are exempt: load balancers and orchestrators send the address they dialled, and liveness
and readiness answers tell nothing worth stealing.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from app.mcp.admission import OriginPolicy

EXTENSION = "aegis.hosts"
PROBE_PATHS = frozenset({"/health", "/ready"})


def check_host() -> None:
    """before_request: Forbidden unless the Host header names this server (probes excepted)."""
    if request.path not in PROBE_PATHS:
        current_app.extensions[EXTENSION].check_host(request.headers)


def init_app(app: Flask) -> None:
    """Check Host before anything else counts or reads the request."""
    app.extensions[EXTENSION] = OriginPolicy(app.config["SETTINGS"])
    app.before_request(check_host)
