"""An MCP client as deployed clients speak today: Streamable HTTP at 2025-06-18, one session per client.

Each client opens a session (initialize, then notifications/initialized) on its own kept-alive
http.client connection and sends every tools/call with its Mcp-Session-Id. Answers may come as JSON or
as a text/event-stream (FastMCP answers every request with SSE); both are parsed, as a client must.
Why http.client: bench/loadgen.py says why (a client library's own cost is not the server's).
"""

from __future__ import annotations

import http.client
import itertools
import json
from typing import Any
from urllib.parse import urlsplit

PROTOCOL = "2025-06-18"
CLIENT_INFO = {"name": "aegis-bench", "version": "1"}


class ToolCallFailed(AssertionError):
    """A tools/call answered with an error: the benchmark must not time failures."""


class McpSession:
    """One client: one connection, one session; call(name, arguments) returns the tools/call result."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        url = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=60)
        self.path = url.path or "/mcp"
        self.headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                        **(headers or {})}
        self.ids = itertools.count(1)
        self.open()

    def open(self) -> None:
        """initialize, keep the session id, confirm with notifications/initialized."""
        params = {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": CLIENT_INFO}
        status, response_headers, body = self.post({"jsonrpc": "2.0", "id": next(self.ids), "method": "initialize",
                                                    "params": params})
        assert status == 200, body[:300]
        self.headers["Mcp-Session-Id"] = response_headers["mcp-session-id"]
        self.headers["MCP-Protocol-Version"] = PROTOCOL
        status, _, body = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert status == 202, (status, body[:300])

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": next(self.ids), "method": "tools/call",
                   "params": {"name": name, "arguments": arguments}}
        status, response_headers, body = self.post(message)
        assert status == 200, (status, body[:300])
        reply = parse_reply(body, response_headers.get("content-type", ""))
        result = reply.get("result")
        if not isinstance(result, dict) or result.get("isError"):
            raise ToolCallFailed(f"{name}: {str(reply)[:300]}")
        return result

    def post(self, message: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """Send on the kept-alive connection; once more on a new one if the server had closed it while idle
        (both servers close idle connections after 5 s, as a client waiting for the others to open finds)."""
        body = json.dumps(message).encode()
        try:
            return self.exchange(body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.connection.close()
            return self.exchange(body)

    def exchange(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        self.connection.request("POST", self.path, body, self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def end(self) -> None:
        """DELETE the session, as SDK clients do on exit, so servers do not keep idle sessions; then hang up.
        Best effort, as for a client on its way out: a connection the server already closed is not an error."""
        try:
            self.connection.request("DELETE", self.path, headers=self.headers)
            self.connection.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        self.connection.close()


def parse_reply(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON-RPC response in a JSON body or in the last `data:` event of an SSE body."""
    if content_type.startswith("text/event-stream"):
        events = [line[5:].strip() for line in body.decode().splitlines() if line.startswith("data:")]
        replies = [json.loads(event) for event in events if event]
        return next(reply for reply in reversed(replies) if "id" in reply)
    reply: dict[str, Any] = json.loads(body)
    return reply
