"""Per-application MCP state: engine, session seal, stream slots, SSE bus and origin policy."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app

from app.logging import log_event
from app.mcp.admission import OriginPolicy
from app.mcp.bus import SseBus
from app.mcp.engine import Engine
from app.mcp.inflight import InFlight
from app.mcp.sessions import SessionSeal, session_secret
from app.mcp.streaming import StreamSlots
from app.mcp.tool_surface import CoreToolSurface
from app.store import Store
from app.tools.call import ToolRuntime

log = logging.getLogger("aegis.mcp")
EXTENSION = "aegis.mcp"


class McpRuntime:
    """Everything the MCP transports share inside one worker; built once per app."""

    def __init__(self, settings: Any, store: Store, engine: Engine) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.keepalive: float = settings.sse_keepalive_seconds
        self.lifetime: float = settings.sse_max_lifetime_seconds
        self.slots = StreamSlots(stream_limit(settings))
        self.origins = OriginPolicy(settings)
        self.inflight = InFlight()
        self.bus = SseBus(store, open_ttl=max(3 * self.keepalive, 30.0))
        self._seal: SessionSeal | None = None
        self._lock = threading.Lock()

    @property
    def seal(self) -> SessionSeal:
        with self._lock:
            if self._seal is None:
                self._seal = SessionSeal(session_secret(self.settings, self.store), self.store)
            return self._seal


def stream_limit(settings: Any) -> int:
    """MCP_MAX_STREAMS_PER_WORKER, else three quarters of the threads: the rest always serve tool calls."""
    configured: int | None = settings.mcp_max_streams_per_worker
    return configured or max(1, settings.gunicorn_threads * 3 // 4)


def init_app(app: Flask, store: Store, tools: ToolRuntime) -> McpRuntime:
    """The MCP runtime of this app, its engine answering with the tool runtime create_app built."""
    settings = app.config["SETTINGS"]
    runtime = McpRuntime(settings, store, Engine(CoreToolSurface(tools)))
    app.extensions[EXTENSION] = runtime
    # WebSocket handshakes (flask-sock) offer the `mcp` subprotocol and share the body cap.
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS", {"subprotocols": ["mcp"], "max_message_size": settings.max_request_bytes}
    )
    if not settings.auth_enabled:
        log_event(log, logging.WARNING, "mcp_auth_disabled", detail="AUTH_ENABLED=false: anonymous read access")
    return runtime


def mcp_runtime() -> McpRuntime:
    runtime: McpRuntime = current_app.extensions[EXTENSION]
    return runtime
