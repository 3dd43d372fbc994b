"""Count requests and distinct TCP connections (a keep-alive check reads these)."""

from __future__ import annotations

import threading


class TrafficStats:
    """Requests seen and connections they came on, keyed by (remote address, remote port)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self._connections: set[tuple[str, str]] = set()

    def count(self, address: str, port: str) -> None:
        """Count one request from a client socket."""
        with self._lock:
            self.requests += 1
            self._connections.add((address, port))

    def snapshot(self) -> dict[str, int]:
        """Return the counters as JSON-ready numbers."""
        with self._lock:
            return {"requests": self.requests, "connections": len(self._connections)}

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.requests = 0
            self._connections.clear()
