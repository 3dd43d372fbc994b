"""Requests running in this worker, so a legacy `notifications/cancelled` can stop them (best effort)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.mcp.jsonrpc import RequestId


class InFlight:
    """(scope, request id) → the request's cancelled event; a scope is a session or a connection."""

    def __init__(self) -> None:
        self._events: dict[tuple[str, RequestId], threading.Event] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, scope: str | None, request_id: RequestId | None, event: threading.Event) -> Iterator[None]:
        key = (scope, request_id) if scope is not None and request_id is not None else None
        if key is not None:
            with self._lock:
                self._events[key] = event
        try:
            yield
        finally:
            if key is not None:
                with self._lock:
                    if self._events.get(key) is event:
                        del self._events[key]

    def cancel(self, scope: str | None, params: dict[str, Any]) -> bool:
        """Honour notifications/cancelled {requestId}; return whether a running request was found."""
        request_id = params.get("requestId")
        if scope is None or not isinstance(request_id, str | int):
            return False
        with self._lock:
            event = self._events.get((scope, request_id))
        if event is not None:
            event.set()
        return event is not None
