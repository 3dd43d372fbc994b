"""Server-Sent Events: framing, keep-alives, the per-worker stream cap and tool calls that stream progress."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Gauge

from app import json_codec
from app.errors import ServiceUnavailable

log = logging.getLogger("aegis.mcp")
KEEPALIVE = ": keep-alive\n\n"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
ACTIVE_STREAMS = Gauge(
    "aegis_mcp_active_streams",
    "Open long-lived MCP streams (SSE and WebSocket), summed over live workers",
    ["transport"],
    multiprocess_mode="livesum",
)


def sse_event(data: Any, event: str = "message") -> str:
    """One SSE event; JSON text has no raw newlines, so one data line is enough."""
    payload = data if isinstance(data, str) else json_codec.encode(data).decode()
    return f"event: {event}\ndata: {payload}\n\n"


class StreamsExhausted(ServiceUnavailable):
    """Every stream slot of this worker is taken; the client retries later."""


class StreamSlots:
    """A per-worker cap on open streams: an open stream holds a gthread thread for its whole life."""

    def __init__(self, limit: int, retry_after: int = 5) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self._open = 0
        self._lock = threading.Lock()

    def acquire(self, transport: str) -> Callable[[], None]:
        """Take a slot or raise StreamsExhausted (503 + Retry-After); return the release function."""
        with self._lock:
            if self._open >= self.limit:
                raise StreamsExhausted(
                    "Too many open MCP streams on this worker; retry shortly.",
                    headers={"Retry-After": str(self.retry_after)},
                )
            self._open += 1
        ACTIVE_STREAMS.labels(transport).inc()
        return self._releaser(transport)

    def _releaser(self, transport: str) -> Callable[[], None]:
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                with self._lock:
                    self._open -= 1
                ACTIVE_STREAMS.labels(transport).dec()

        return release


def held_stream(
    next_message: Callable[[float], str | None], keepalive: float, lifetime: float, first: str = KEEPALIVE,
    beat: Callable[[], bool] = lambda: True,
) -> Iterator[str]:
    """Yield `first` (so the headers go out now), then what `next_message` returns, with keep-alives,
    until the lifetime ends or `beat` says the stream lost its place; `beat` runs before each. A disconnected
    client is noticed at the next write (gthread), which ends it.
    """
    yield first
    deadline = time.monotonic() + lifetime
    while (left := deadline - time.monotonic()) > 0:
        message = next_message(min(keepalive, left))
        if not beat():
            return
        yield message if message is not None else KEEPALIVE


def streamed_call(
    work: Callable[[Callable[[dict[str, Any]], None]], dict[str, Any]],
    cancelled: threading.Event,
    keepalive: float,
    beat: Callable[[], bool] = lambda: True,
) -> Iterator[str]:
    """Run `work` in a thread; stream its notifications, then its final message. Disconnect cancels it, and so
    does `beat` (run at each keep-alive) saying the stream lost its place."""
    events: queue.Queue[tuple[bool, dict[str, Any]]] = queue.Queue()
    threading.Thread(target=_run_work, args=(work, events), daemon=True, name="mcp-call").start()
    finished = False
    try:
        while not finished:
            try:
                finished, message = events.get(timeout=keepalive)
            except queue.Empty:
                if not beat():
                    return
                yield KEEPALIVE
                continue
            yield sse_event(message)
    finally:
        if not finished:
            cancelled.set()  # the client closed the stream: at 2026-07-28 that is the cancellation


def _run_work(
    work: Callable[[Callable[[dict[str, Any]], None]], dict[str, Any]],
    events: queue.Queue[tuple[bool, dict[str, Any]]],
) -> None:
    final = work(lambda note: events.put((False, note)))
    events.put((True, final))
