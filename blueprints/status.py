"""Core endpoints: server metadata, liveness and readiness."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from app.automation import features as automation_features
from app.health import run_readiness_checks
from app.store import EXTENSION as STORE
from app.tools import CATALOG_EXTENSION
from app.version import __version__

bp = Blueprint("core", __name__)


@bp.get("/")
def server_metadata() -> Response:
    """Name, version, endpoints and enabled features; nothing secret, no internal hostnames."""
    settings = current_app.config["SETTINGS"]
    base = settings.public_url
    return jsonify(
        name="AegisGitea MCP",
        version=__version__,
        endpoints={
            "mcp": f"{base}/mcp",
            "sse": f"{base}/mcp/sse",
            "tools": f"{base}/mcp/tools",
            "tool_call": f"{base}/mcp/tool/call",
            "health": f"{base}/health",
            "ready": f"{base}/ready",
            **({"metrics": f"{base}/metrics"} if settings.metrics_enabled else {}),
        },
        features={
            "auth": "oauth" if settings.oauth_mode else ("api_key" if settings.auth_enabled else "disabled"),
            "write_mode": settings.write_mode,
            "metrics": settings.metrics_enabled,
            "shared_state": "redis" if settings.redis_url else "memory",
            "automation": automation_features(settings),
        },
        # Toolsets served and their tool counts: narrow per connection with ?toolsets=a,b&readonly=1 on /mcp.
        toolsets=current_app.extensions[CATALOG_EXTENSION].served_toolsets(),
    )


@bp.get("/health")
def health() -> Response:
    """Liveness: the process answers. No upstream calls."""
    return jsonify(status="healthy")


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """Readiness: Gitea and every configured dependency answer; 503 names what failed."""
    checks = run_readiness_checks(current_app.config["SETTINGS"], current_app.extensions[STORE])
    failed = [name for name, check in checks.items() if not check["ok"]]
    body: dict[str, Any] = {"status": "ready" if not failed else "not_ready", "checks": checks}
    if failed:
        body["failed"] = failed
    return jsonify(body), 503 if failed else 200
