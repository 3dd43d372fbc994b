"""A write call that asks for progress is refused with the 403 step-up before any SSE stream opens."""

from __future__ import annotations

import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.conftest import Stack, authorize, exchange

MODERN = "2026-07-28"


def progress_call(server: GunicornServer, token: str, tool: str, arguments: dict[str, object]) -> requests.Response:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "progressToken": "p-1",
    }
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": meta}}
    headers = {
        "Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool,
    }
    return requests.post(f"{server.url}/mcp", json=body, headers=headers, timeout=30)


def test_write_tool_with_progress_token_gets_403_step_up_not_a_stream(stack: Stack, server: GunicornServer) -> None:
    token = exchange(server, authorize(stack, server)).json()["access_token"]  # read:repository only
    arguments = {"owner": "acme", "repo": "service-a", "name": "stream-step-up", "color": "#00aabb"}
    response = progress_call(server, token, "create_label", arguments)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/json")
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and "write:repository" in challenge


def test_read_tool_with_progress_token_still_streams(stack: Stack, server: GunicornServer) -> None:
    token = exchange(server, authorize(stack, server)).json()["access_token"]
    response = progress_call(server, token, "get_repository_info", {"owner": "acme", "repo": "service-a"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert "acme/service-a" in response.text
