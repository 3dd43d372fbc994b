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
from app.store import EXTENSION as STORE_EXTENSION
from app.store import Store
from app.tools import CATALOG_EXTENSION

log = logging.getLogger("aegis.mcp")
EXTENSION = "aegis.mcp"


class McpRuntime:
    """Everything the MCP transports share inside one worker; built once per app."""

    def __init__(self, app: Flask, settings: Any, store: Store) -> None:
        self.app = app
        self.settings = settings
        self.store = store
        self.keepalive: float = settings.sse_keepalive_seconds
        self.lifetime: float = settings.sse_max_lifetime_seconds
        self.slots = StreamSlots(stream_limit(settings))
        self.origins = OriginPolicy(settings)
        self.inflight = InFlight()
        self.bus = SseBus(store, open_ttl=max(3 * self.keepalive, 30.0))
        self._engine: Engine | None = None
        self._seal: SessionSeal | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            # The catalog may be registered after this blueprint: look it up on first use.
            self._engine = Engine(CoreToolSurface(self.app.extensions[CATALOG_EXTENSION]))
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine

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


def init_app(app: Flask) -> McpRuntime:
    """Create the runtime on the store that app.store.init_app set up."""
    settings = app.config["SETTINGS"]
    runtime = McpRuntime(app, settings, app.extensions[STORE_EXTENSION])
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
