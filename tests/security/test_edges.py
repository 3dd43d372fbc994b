"""Issue 20, the edges: deeply nested JSON, JSON-RPC batches against the rate limits, the Host check on every route.

Each attack is replayed over HTTP against the real gunicorn (and the emulator where a tool runs).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import simple_websocket

from app import json_codec
from app.json_codec import MAX_NESTING
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env
from tests.mcp.conftest import modern_headers, modern_request
from tests.oauth.conftest import CLIENT_REDIRECT, authorize_url, pkce
from tests.security.conftest import SecurityWorld

pytestmark = pytest.mark.timeout(120)
AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}
JSON_POST = {**AUTH, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
HOLE = '"@nested@"'  # where a deeply nested value goes into a JSON text built with json.dumps
TRACEBACK_MARKERS = ("Traceback", "unhandled_exception", "mcp_request_failed", "RecursionError")


def nested(depth: int) -> str:
    """A JSON array nested `depth` levels deep."""
    return "[" * depth + "]" * depth


def with_nested(document: Any, depth: int) -> bytes:
    """`document` as JSON text, its "@nested@" string replaced by an array nested `depth` deep."""
    text = json.dumps(document)
    assert HOLE in text
    return text.replace(HOLE, nested(depth)).encode()


def tool_call_body(depth: int) -> bytes:
    return with_nested({"tool": "list_repositories", "arguments": {"owner": "@nested@"}}, depth)


def rpc_tool_call_body(depth: int) -> bytes:
    message = modern_request("tools/call", {"name": "list_repositories", "arguments": {"owner": "@nested@"}})
    return with_nested(message, depth)


def post_raw(server: GunicornServer, path: str, body: bytes, headers: dict[str, str] | None = None,
             ) -> requests.Response:
    return requests.post(server.url + path, data=body, headers={**JSON_POST, **(headers or {})}, timeout=30)


@pytest.fixture
def quiet_logs(world: SecurityWorld) -> Iterator[None]:
    """The test leaves no traceback in the gateway's log (the world's server is shared by the module)."""
    start = len(world.server.logs())
    yield
    assert_no_traceback(world.server, start)


def assert_no_traceback(server: GunicornServer, start: int = 0) -> None:
    logs = server.logs()[start:]
    assert not [marker for marker in TRACEBACK_MARKERS if marker in logs], logs[-3000:]


def tool_entries(world: SecurityWorld, tool: str) -> list[dict[str, Any]]:
    return [entry for entry in world.audit_entries() if entry.get("tool") == tool]


# --- F9: JSON nested deeper than the service reads --------------------------------------------------


@pytest.mark.parametrize("shape", [
    "[{}]", '{{"a":{}}}',  # orjson reads these
    "[NaN,{}]", "[12345678901234567890123,{}]",  # stdlib json reads these, recursing once per level
])
@pytest.mark.parametrize("encode", [str.encode, lambda text: text.encode("utf-16"), lambda text: text])
def test_the_codec_reads_64_levels_and_refuses_65_whichever_parser_reads_the_text(
    shape: str, encode: Callable[[str], Any],
) -> None:
    def text(depth: int) -> Any:
        inner = "1"
        for _ in range(depth):
            inner = shape.format(inner)
        return encode(inner)

    assert repr(json_codec.decode(text(MAX_NESTING))) == repr(json.loads(text(MAX_NESTING)))  # repr: NaN != NaN
    with pytest.raises(json_codec.TooDeeplyNested, match="nested deeper than 64 levels"):
        json_codec.decode(text(MAX_NESTING + 1))
    with pytest.raises(json_codec.TooDeeplyNested):
        json_codec.decode(text(10_000))


@pytest.mark.parametrize("depth", [10_000, 950])
@pytest.mark.usefixtures("quiet_logs")
def test_deeply_nested_tool_call_body_is_a_400_that_names_the_nesting_limit(world: SecurityWorld, depth: int) -> None:
    response = post_raw(world.server, "/mcp/tool/call", tool_call_body(depth))
    assert response.status_code == 400, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert "nested deeper than 64 levels" in error["message"]


@pytest.mark.parametrize("depth", [10_000, 950])
@pytest.mark.usefixtures("quiet_logs")
def test_deeply_nested_mcp_message_is_a_jsonrpc_parse_error(world: SecurityWorld, depth: int) -> None:
    headers = modern_headers("tools/call", "list_repositories")
    response = post_raw(world.server, "/mcp", rpc_tool_call_body(depth), headers)
    assert response.status_code == 400, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == -32700
    assert "nested deeper than 64 levels" in error["message"]


@pytest.mark.usefixtures("quiet_logs")
def test_a_deeply_nested_batch_is_a_parse_error_too(world: SecurityWorld) -> None:
    response = post_raw(world.server, "/mcp", nested(10_000).encode())
    assert (response.status_code, response.json()["error"]["code"]) == (400, -32700)


@pytest.mark.usefixtures("quiet_logs")
def test_deeply_nested_sse_message_is_refused_with_400(world: SecurityWorld) -> None:
    stream = requests.get(world.server.url + "/mcp/sse", headers={**AUTH, "Accept": "text/event-stream"},
                          stream=True, timeout=30)
    try:
        lines = stream.iter_lines(decode_unicode=True)
        endpoint = next(line for line in lines if line.startswith("data:"))[len("data:"):].strip()
        response = post_raw(world.server, endpoint, rpc_tool_call_body(10_000))
    finally:
        stream.close()
    assert response.status_code == 400, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == -32700 and "nested deeper than 64 levels" in error["message"]


@pytest.mark.usefixtures("quiet_logs")
def test_deeply_nested_websocket_frame_gets_a_parse_error_and_the_socket_stays_usable(world: SecurityWorld) -> None:
    ws = simple_websocket.Client.connect(world.server.url.replace("http://", "ws://") + "/mcp/ws",
                                         subprotocols=["mcp"], headers=AUTH)
    try:
        ws.send(rpc_tool_call_body(950).decode())
        error = json.loads(ws.receive(timeout=30))["error"]
        assert error["code"] == -32700 and "nested deeper than 64 levels" in error["message"]
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}))
        assert json.loads(ws.receive(timeout=30)) == {"jsonrpc": "2.0", "id": 2, "result": {}}
    finally:
        ws.close()


@pytest.mark.usefixtures("quiet_logs")
def test_arguments_nested_within_the_limit_are_an_audited_invalid_arguments_result(world: SecurityWorld) -> None:
    response = post_raw(world.server, "/mcp/tool/call", tool_call_body(60))
    assert response.status_code == 400, response.text[:500]  # the REST status of invalid_arguments
    result = response.json()
    assert result["isError"] is True and "Invalid arguments for list_repositories" in result["content"][0]["text"]
    refused = [entry for entry in tool_entries(world, "list_repositories") if entry["event"] == "access_denied"]
    assert refused and refused[-1]["rule"] == "arguments"


@pytest.fixture(scope="module")
def oauth_server(world: SecurityWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    """The same gateway in OAuth mode (with dynamic client registration), in front of the same emulator."""
    oauth_app = world.emulator.credentials["oauth_app"]
    env = base_env(
        OAUTH_MODE="true", GITEA_URL=world.emulator.base_url, GITEA_OAUTH_CLIENT_ID=oauth_app["client_id"],
        GITEA_OAUTH_CLIENT_SECRET=oauth_app["client_secret"], OAUTH_STATE_SECRET="state-secret-" + "x" * 32,
        OAUTH_TOKEN_KEYS="k1:" + "B" * 43,
        DCR_STORAGE_PATH=str(tmp_path_factory.mktemp("dcr") / "clients.json"), OAUTH_CIMD_ALLOW_LOOPBACK="true",
    )
    with GunicornServer(env).start() as server:
        yield server


@pytest.fixture
def deep_document() -> Iterator[str]:
    """The URL of a client metadata document (CIMD) nested 10,000 levels deep, served on loopback."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            document = {"client_id": url, "redirect_uris": [CLIENT_REDIRECT], "client_name": "@nested@"}
            body = with_nested(document, 10_000)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/client.json"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield url
    httpd.shutdown()
    httpd.server_close()


def test_deeply_nested_client_metadata_document_is_refused(oauth_server: GunicornServer, deep_document: str) -> None:
    start = len(oauth_server.logs())
    response = requests.get(authorize_url(oauth_server, deep_document, pkce()[1]), allow_redirects=False, timeout=30)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "nested deeper than 64 levels" in response.text
    assert_no_traceback(oauth_server, start)


def test_deeply_nested_client_registration_is_invalid_client_metadata(oauth_server: GunicornServer) -> None:
    metadata = {"redirect_uris": [CLIENT_REDIRECT], "client_name": "@nested@"}
    body = with_nested(metadata, 5_000)  # within /register's 16 KB
    response = requests.post(oauth_server.url + "/register", data=body,
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400, response.text[:500]
    assert response.json()["error"] == "invalid_client_metadata"
    assert "nested deeper than 64 levels" in response.json()["error_description"]
    assert_no_traceback(oauth_server)


# --- rate limits count every call of a JSON-RPC batch ------------------------------------------------


@pytest.fixture
def limited_gateway(world: SecurityWorld) -> Iterator[Callable[..., GunicornServer]]:
    """Factory: a gateway with the given (low) limits in front of the world's emulator."""
    started: list[GunicornServer] = []

    def start(**env: str) -> GunicornServer:
        settings = base_env(GITEA_URL=world.emulator.base_url, GITEA_TOKEN=world.emulator.token("alice"), **env)
        started.append(GunicornServer(settings).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def batch_session(server: GunicornServer) -> dict[str, str]:
    """Headers of a 2025-03-26 session, the only revision with batches (initialize counts as one request)."""
    params = {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    body = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}
    response = requests.post(server.url + "/mcp", json=body, headers=JSON_POST, timeout=30)
    assert response.status_code == 200, response.text
    return {**JSON_POST, "Mcp-Session-Id": response.headers["Mcp-Session-Id"], "MCP-Protocol-Version": "2025-03-26"}


def tool_calls(count: int) -> list[dict[str, Any]]:
    return [{"jsonrpc": "2.0", "id": n, "method": "tools/call",
             "params": {"name": "get_repository_info", "arguments": {"owner": "acme", "repo": "service-a"}}}
            for n in range(1, count + 1)]


def audited_calls(server: GunicornServer, tool: str) -> int:
    path = Path(server.env["AUDIT_LOG_PATH"])
    entries = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return sum(1 for entry in entries if entry.get("event") == "tool_invocation" and entry.get("tool") == tool)


@pytest.mark.parametrize(("setting", "limit_name"), [
    ("RATE_LIMIT_PER_MINUTE", "per-IP limit of 10"),
    ("TOKEN_RATE_LIMIT_PER_MINUTE", "per-credential limit of 10"),
])
def test_each_call_of_a_batch_counts_against_the_rate_limit(
    limited_gateway: Callable[..., GunicornServer], setting: str, limit_name: str,
) -> None:
    server = limited_gateway(**{setting: "10"})
    headers = batch_session(server)  # request 1 of 10
    response = requests.post(server.url + "/mcp", json=tool_calls(40), headers=headers, timeout=60)
    assert response.status_code == 200
    replies = {reply["id"]: reply for reply in response.json()}
    assert sorted(replies) == list(range(1, 41))
    # The batch's HTTP request is request 2 and carries call 1; calls 2-9 are requests 3-10.
    answered = [n for n, reply in replies.items() if "result" in reply]
    assert answered == list(range(1, 10))
    for n in range(10, 41):
        error = replies[n]["error"]
        assert error["code"] == -32029 and limit_name in error["message"]
        assert error["data"]["status"] == 429 and 1 <= error["data"]["retry_after"] <= 60
    assert audited_calls(server, "get_repository_info") == 9  # refused calls never reached Gitea
    after = requests.post(server.url + "/mcp", json={"jsonrpc": "2.0", "id": 99, "method": "ping"},
                          headers=headers, timeout=30)
    assert after.status_code == 429


def test_each_call_on_a_websocket_counts_against_the_rate_limit(
    limited_gateway: Callable[..., GunicornServer],
) -> None:
    server = limited_gateway(TOKEN_RATE_LIMIT_PER_MINUTE="10")
    ws = simple_websocket.Client.connect(server.url.replace("http://", "ws://") + "/mcp/ws",
                                         subprotocols=["mcp"], headers=AUTH)
    replies = []
    try:
        for call in tool_calls(12):  # the upgrade is request 1 and carries call 1
            ws.send(json.dumps(call))
            replies.append(json.loads(ws.receive(timeout=30)))
    finally:
        ws.close()
    assert [reply["id"] for reply in replies if "result" in reply] == list(range(1, 11))
    refused = [reply["error"] for reply in replies if "error" in reply]
    assert [error["code"] for error in refused] == [-32029, -32029]
    assert "per-credential limit of 10" in refused[0]["message"] and refused[0]["data"]["retry_after"] >= 1
    assert audited_calls(server, "get_repository_info") == 10


def test_a_batch_larger_than_the_cap_is_refused_whole(world: SecurityWorld) -> None:
    headers = batch_session(world.server)
    before = len(tool_entries(world, "get_repository_info"))
    response = requests.post(world.server.url + "/mcp", json=tool_calls(51), headers=headers, timeout=60)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == -32600 and "at most 50 messages" in error["message"]
    assert len(tool_entries(world, "get_repository_info")) == before
    accepted = requests.post(world.server.url + "/mcp", json=tool_calls(50), headers=headers, timeout=60)
    assert accepted.status_code == 200 and len(accepted.json()) == 50


# --- the Host check (DNS rebinding) on every route ----------------------------------------------------

FOREIGN_HOST = {"Host": "evil.example"}


@pytest.mark.parametrize("path", ["/", "/mcp/tools", "/metrics", "/.well-known/oauth-protected-resource"])
def test_a_foreign_host_is_refused_on_every_route(world: SecurityWorld, path: str) -> None:
    response = requests.get(world.server.url + path, headers=FOREIGN_HOST, timeout=30)
    assert response.status_code == 403, response.text[:300]
    assert "DNS rebinding" in response.json()["error"]["message"]
    served = requests.get(world.server.url + path, headers={"Host": f"localhost:{world.server.port}"}, timeout=30)
    assert served.status_code != 403


@pytest.mark.parametrize("path", ["/register", "/oauth/token"])
def test_a_foreign_host_cannot_reach_the_oauth_endpoints(oauth_server: GunicornServer, path: str) -> None:
    body = {"redirect_uris": ["http://127.0.0.1:7777/callback"], "token_endpoint_auth_method": "none"}
    response = requests.post(oauth_server.url + path, json=body, headers=FOREIGN_HOST, timeout=30)
    assert response.status_code == 403, response.text[:300]
    metadata = requests.get(oauth_server.url + "/.well-known/oauth-authorization-server", headers=FOREIGN_HOST,
                            timeout=30)
    assert metadata.status_code == 403


def test_refused_hosts_do_not_use_up_the_rate_limit(limited_gateway: Callable[..., GunicornServer]) -> None:
    server = limited_gateway(RATE_LIMIT_PER_MINUTE="3")
    rebinding = [requests.get(server.url + "/", headers=FOREIGN_HOST, timeout=30).status_code for _ in range(5)]
    assert rebinding == [403] * 5
    assert [requests.get(server.url + "/", timeout=30).status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_probes_answer_whatever_host_the_load_balancer_sends(world: SecurityWorld, path: str) -> None:
    response = requests.get(world.server.url + path, headers={"Host": "10.0.0.7:8080"}, timeout=30)
    assert response.status_code in (200, 503)
    assert "status" in response.json()
