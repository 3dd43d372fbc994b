"""Streamable HTTP at /mcp, byte for byte: the 2026-07-28 ladder, legacy sessions, batches, admission."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer, base_env
from tests.mcp.conftest import API_KEY, auth_headers, modern_headers, modern_request

pytestmark = pytest.mark.timeout(60)
OTHER_KEY = "other-key-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[GunicornServer]:
    running = GunicornServer(base_env(MCP_API_KEYS=f"{API_KEY},{OTHER_KEY}", GUNICORN_THREADS="4")).start()
    yield running
    running.stop()


def post(server: GunicornServer, body: Any, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{server.url}/mcp", json=body, headers=headers, timeout=10)


def initialize(server: GunicornServer, version: str = "2025-06-18", key: str = API_KEY) -> str:
    body = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    response = post(server, body, {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"})
    assert response.status_code == 200
    return response.headers["Mcp-Session-Id"]


# --- 2026-07-28 ---------------------------------------------------------------------------------


def test_discover_returns_a_cacheable_result_with_server_info(server: GunicornServer) -> None:
    response = post(server, modern_request("server/discover"), modern_headers("server/discover"))
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["resultType"] == "complete"
    assert result["supportedVersions"] == ["2026-07-28"]
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert isinstance(result["ttlMs"], int) and result["cacheScope"] in ("public", "private")
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "aegis-gitea-mcp"
    assert "Mcp-Session-Id" not in response.headers


def test_modern_tools_list_is_private_cacheable_and_has_result_type(server: GunicornServer) -> None:
    response = post(server, modern_request("tools/list"), modern_headers("tools/list"))
    result = response.json()["result"]
    assert result["resultType"] == "complete" and result["cacheScope"] == "private" and result["ttlMs"] >= 0
    assert [tool["name"] for tool in result["tools"]][:2] == ["list_repositories", "get_repository_info"]
    assert all("outputSchema" in tool and "title" in tool for tool in result["tools"])


def test_missing_envelope_is_invalid_params_400(server: GunicornServer) -> None:
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}
    response = post(server, body, modern_headers("tools/list"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32602 and response.json()["id"] == 7


def test_header_mismatch_wins_over_unsupported_version(server: GunicornServer) -> None:
    body = modern_request("tools/list")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "v999"
    response = post(server, body, modern_headers("tools/list"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32020


def test_method_header_must_match_body(server: GunicornServer) -> None:
    response = post(server, modern_request("tools/list"), modern_headers("server/discover"))
    assert (response.status_code, response.json()["error"]["code"]) == (400, -32020)


def test_mcp_name_header_is_checked_for_tools_call_including_base64(server: GunicornServer) -> None:
    body = modern_request("tools/call", {"name": "nope", "arguments": {}})
    wrong = post(server, body, modern_headers("tools/call", name="other"))
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, -32020)
    encoded = post(server, body, modern_headers("tools/call", name="=?base64?bm9wZQ==?="))
    assert encoded.status_code == 200
    assert encoded.json()["error"]["code"] == -32602  # got past the ladder: unknown tool


def test_unsupported_version_names_the_supported_ones(server: GunicornServer) -> None:
    body = modern_request("tools/list")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    headers = {**modern_headers("tools/list"), "MCP-Protocol-Version": "2099-01-01"}
    response = post(server, body, headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == -32022
    assert error["data"] == {"supported": ["2026-07-28"], "requested": "2099-01-01"}


def test_removed_and_unknown_methods_are_404_method_not_found(server: GunicornServer) -> None:
    for method in ("ping", "initialize", "logging/setLevel", "prompts/list"):
        response = post(server, modern_request(method), modern_headers(method))
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == -32601


def test_modern_get_and_delete_are_405(server: GunicornServer) -> None:
    headers = modern_headers("tools/list")
    assert requests.get(f"{server.url}/mcp", headers=headers, timeout=5).status_code == 405
    response = requests.delete(f"{server.url}/mcp", headers=headers, timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_notifications_are_accepted_with_202_and_no_body(server: GunicornServer) -> None:
    body = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    response = post(server, body, modern_headers("notifications/initialized"))
    assert response.status_code == 202 and response.content == b""


# --- JSON-RPC errors -----------------------------------------------------------------------------


def test_bad_json_is_parse_error_and_bad_shapes_are_invalid_request(server: GunicornServer) -> None:
    headers = {**auth_headers(), "Content-Type": "application/json"}
    broken = requests.post(f"{server.url}/mcp", data=b"{nope", headers=headers, timeout=5)
    assert (broken.status_code, broken.json()["error"]["code"], broken.json()["id"]) == (400, -32700, None)
    for body in ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": None, "method": "ping"},
                 {"jsonrpc": "2.0", "id": 1, "method": 5}, {"jsonrpc": "2.0", "id": 1, "method": "x", "params": []}):
        response = post(server, body, auth_headers())
        assert (response.status_code, response.json()["error"]["code"]) == (400, -32600), body


def test_wrong_content_type_and_accept_are_refused(server: GunicornServer) -> None:
    as_text = requests.post(f"{server.url}/mcp", data="{}", headers={**auth_headers(), "Content-Type": "text/plain"},
                            timeout=5)
    assert as_text.status_code == 415
    only_html = post(server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, auth_headers(Accept="text/html"))
    assert only_html.status_code == 406


# --- legacy sessions -----------------------------------------------------------------------------


def test_initialize_counter_offers_the_latest_handshake_version(server: GunicornServer) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2026-07-28", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}}
    result = post(server, body, auth_headers()).json()["result"]
    assert result["protocolVersion"] == "2025-11-25"
    assert "resultType" not in result and "_meta" not in result
    assert result["serverInfo"]["name"] == "aegis-gitea-mcp"


def test_legacy_results_are_shaped_for_their_revision(server: GunicornServer) -> None:
    session = initialize(server, "2024-11-05")
    headers = auth_headers(**{"Mcp-Session-Id": session})
    ping = post(server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers).json()
    assert ping == {"jsonrpc": "2.0", "id": 1, "result": {}}
    tools = post(server, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers).json()["result"]["tools"]
    assert all(set(tool) == {"name", "description", "inputSchema"} for tool in tools)
    assert "ttlMs" not in tools


def test_requests_need_the_session_and_only_its_owner_may_use_it(server: GunicornServer) -> None:
    session = initialize(server)
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert post(server, ping, auth_headers()).status_code == 400
    other = {"Authorization": f"Bearer {OTHER_KEY}", "Mcp-Session-Id": session}
    assert post(server, ping, other).status_code == 404
    forged = auth_headers(**{"Mcp-Session-Id": session[:-4] + "0000"})
    assert post(server, ping, forged).status_code == 404


def test_delete_ends_the_session_for_good(server: GunicornServer) -> None:
    session = initialize(server)
    headers = auth_headers(**{"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"})
    assert requests.delete(f"{server.url}/mcp", headers=headers, timeout=5).status_code == 204
    after = post(server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers)
    assert after.status_code == 404


def test_batches_work_at_2025_03_26_only(server: GunicornServer) -> None:
    old = initialize(server, "2025-03-26")
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/initialized"},
             {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]
    response = post(server, batch, auth_headers(**{"Mcp-Session-Id": old}))
    assert response.status_code == 200
    assert [reply["id"] for reply in response.json()] == [1, 2]
    newer = initialize(server, "2025-06-18")
    refused = post(server, batch, auth_headers(**{"Mcp-Session-Id": newer, "MCP-Protocol-Version": "2025-06-18"}))
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, -32600)


# --- admission -----------------------------------------------------------------------------------


def test_missing_credentials_get_401_with_a_bearer_challenge(server: GunicornServer) -> None:
    response = post(server, modern_request("tools/list"), {"Accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer resource_metadata=")


def test_foreign_origin_and_host_are_refused_with_403(server: GunicornServer) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert post(server, ping, auth_headers(Origin="https://evil.example")).status_code == 403
    assert post(server, ping, auth_headers(Host="evil.example")).status_code == 403
    local = post(server, modern_request("tools/list"),
                 {**modern_headers("tools/list"), "Origin": f"http://localhost:{server.port}"})
    assert local.status_code == 200


def test_open_streams_are_capped_per_worker_with_503_and_retry_after(server: GunicornServer) -> None:
    session = initialize(server)
    headers = auth_headers(**{"Mcp-Session-Id": session, "Accept": "text/event-stream"})
    # GUNICORN_THREADS=4: three threads may hold streams, the fourth stays free for everything else.
    streams = [requests.get(f"{server.url}/mcp", headers=headers, stream=True, timeout=10) for _ in range(3)]
    try:
        assert [s.status_code for s in streams] == [200, 200, 200]
        assert streams[0].headers["Content-Type"].startswith("text/event-stream")
        refused = requests.get(f"{server.url}/mcp", headers=headers, timeout=10)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        tools = post(server, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers | {"Accept": "*/*"})
        assert tools.status_code == 200  # tool traffic still gets a thread
    finally:
        for stream in streams:
            stream.close()


def test_tool_routes_list_without_auth_and_call_with_auth(server: GunicornServer) -> None:
    listed = requests.get(f"{server.url}/mcp/tools", timeout=5)
    assert listed.status_code == 200
    assert "get_file_contents" in [tool["name"] for tool in listed.json()["tools"]]
    anonymous = requests.post(f"{server.url}/mcp/tool/call", json={"tool": "list_repositories"}, timeout=5)
    assert anonymous.status_code == 401
    unknown = requests.post(f"{server.url}/mcp/tool/call", json={"tool": "nope"}, headers=auth_headers(), timeout=5)
    assert unknown.status_code == 404


def test_falsy_request_ids_are_echoed_as_sent(server: GunicornServer) -> None:
    session = initialize(server, "2025-06-18")
    headers = auth_headers(**{"Mcp-Session-Id": session})
    for request_id in ("", 0):
        reply = post(server, {"jsonrpc": "2.0", "id": request_id, "method": "ping"}, headers).json()
        assert reply == {"jsonrpc": "2.0", "id": request_id, "result": {}}
