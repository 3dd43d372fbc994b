"""Per-application MCP state: engine, session seal, stream slots, SSE bus and origin policy."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.auth.principal import Principal
from app.logging import log_event
from app.mcp.admission import OriginPolicy
from app.mcp.bus import SseBus
from app.mcp.engine import Engine
from app.mcp.inflight import InFlight
from app.mcp.renewals import StreamRenewals
from app.mcp.sessions import SessionSeal, session_secret
from app.mcp.stream_caps import StreamCaps, stream_owner
from app.mcp.streaming import StreamSlots
from app.mcp.tool_surface import CoreToolSurface
from app.store import Store, StoreUnavailable
from app.tools.call import ToolRuntime

log = logging.getLogger("aegis.mcp")
EXTENSION = "aegis.mcp"


@dataclass(frozen=True)
class StreamHold:
    """An admitted stream: `beat` on every keep-alive or message (False: end the stream, its place was taken;
    it reads a flag, this worker's StreamRenewals talks to the store), `release` when it ends."""

    beat: Callable[[], bool]
    release: Callable[[], None]


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
        # One timer renews every stream of this worker each keep-alive: a lease outlives two missed renewals,
        # and a dead worker's places come free within 3 keep-alives.
        self.renewals = StreamRenewals(store, period=self.keepalive, lease_ttl=3 * self.keepalive + 5.0,
                                       mark_ttl=max(3 * self.keepalive, 30.0))
        self.bus = SseBus(store, self.renewals)
        self.caps = StreamCaps(store, settings.mcp_max_streams_per_credential, settings.mcp_max_streams_per_address,
                               self.renewals)
        self._seal: SessionSeal | None = None
        self._lock = threading.Lock()

    @property
    def seal(self) -> SessionSeal:
        with self._lock:
            if self._seal is None:
                self._seal = SessionSeal(session_secret(self.settings, self.store), self.store)
            return self._seal

    def admit_stream(self, transport: str, principal: Principal, address: str, asking: bool = False) -> StreamHold:
        """A new long-lived stream: the caller's caps first (429), then this worker's slots (503); `asking`: a
        write that may wait for the user's confirmation (elicitation)."""
        lease = self.caps.take(stream_owner(principal), address, asking)
        try:
            release_slot = self.slots.acquire(transport)
        except BaseException:
            self.caps.give_back(lease)
            raise

        def release() -> None:
            release_slot()
            with contextlib.suppress(StoreUnavailable):  # the lease then expires by itself
                self.caps.give_back(lease)

        return StreamHold(lambda: not lease.lost.is_set(), release)


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
