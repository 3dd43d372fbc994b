"""A threaded HTTP/1.1 server with real keep-alive (werkzeug's dev server closes every connection)."""

from __future__ import annotations

import io
import socket
import struct
import time
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from tests.emulator.faults import Fault, FaultTable
from tests.emulator.traffic import TrafficStats

CONTROL_PREFIX = "/_emulator"


class KeepAliveHandler(WSGIRequestHandler):
    """Serves many requests per connection; applies connection-level faults (reset, truncated)."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections release their thread after this
    server: EmulatorServer

    def setup(self) -> None:
        """Disable Nagle: headers and body go out in separate writes, which would wait for a delayed ACK."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay quiet: tests read stderr only for real errors."""

    def run_wsgi(self) -> None:
        """Handle one request: read the whole body, call the app, write a sized response."""
        if self.headers.get("Expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        path = urlsplit(self.path).path
        fault = None if path.startswith(CONTROL_PREFIX) else self.server.faults.take(self.command, path)
        if fault and fault.kind == "reset":
            self._reset()
            return
        environ = self._environ_with_body(fault)
        status, headers, payload = self._call_app(environ)
        self._send(status, headers, payload, fault)

    def _environ_with_body(self, fault: Fault | None) -> dict[str, Any]:
        """Build the WSGI environ with the body read up front, so the next request starts clean."""
        environ = self.make_environ()
        length = int(self.headers.get("Content-Length") or 0)
        body = environ["wsgi.input"].read() if "chunked" in self.headers.get("Transfer-Encoding", "") else (
            self.rfile.read(length) if length else b"")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["emulator.fault"] = fault
        return environ

    def _call_app(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run the WSGI app and collect its whole response."""
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.update(status=status, headers=headers)
            return chunks.append

        result = self.server.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            getattr(result, "close", lambda: None)()
        return started["status"], started["headers"], b"".join(chunks)

    def _send(self, status: str, headers: list[tuple[str, str]], payload: bytes, fault: Fault | None) -> None:
        """Write status, headers and body; a truncated fault sends half the body and hangs up, a stalled
        fault sends half, waits latency_ms, then sends the rest."""
        truncated = bool(fault and fault.kind == "truncated")
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            self.send_header(name, value)
        if "content-length" not in names and int(code) not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD" and fault and fault.kind == "stalled":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            time.sleep(fault.latency_ms / 1000)
            self.wfile.write(payload[len(payload) // 2 :])
        elif self.command != "HEAD":
            self.wfile.write(payload[: len(payload) // 2] if truncated else payload)
        self.wfile.flush()
        if truncated:
            self.close_connection = True

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response."""
        self.server.traffic.count(self.client_address[0], str(self.client_address[1]))
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.abort_on_close.add(self.connection)
        self.close_connection = True


class EmulatorServer(ThreadedWSGIServer):
    """werkzeug's threaded server with KeepAliveHandler; attach the app after binding (the URL needs the port)."""

    def __init__(self, host: str, port: int, app: Any = None) -> None:
        self.abort_on_close: set[socket.socket] = set()
        super().__init__(host, port, app, handler=KeepAliveHandler)

    @property
    def faults(self) -> FaultTable:
        """Return the fault table of the attached emulator app."""
        faults: FaultTable = getattr(self.app, "extensions")["gitea_emulator"].faults  # noqa: B009 (WSGI type)
        return faults

    @property
    def traffic(self) -> TrafficStats:
        """Return the traffic counters of the attached emulator app."""
        traffic: TrafficStats = getattr(self.app, "extensions")["gitea_emulator"].traffic  # noqa: B009
        return traffic

    def shutdown_request(self, request: Any) -> None:
        """Close a reset connection without the FIN a graceful shutdown would send first."""
        if request in self.abort_on_close:
            self.abort_on_close.discard(request)
            request.close()
            return
        super().shutdown_request(request)
