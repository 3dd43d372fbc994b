"""POST /mcp/tool/call answers with the HTTP status the manual gives each outcome; the body stays the
tool result (plus the error object), and JSON-RPC tools/call keeps isError inside a 200."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.outcomes import REST_STATUS, rest_status
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator

pytestmark = pytest.mark.timeout(120)
HEADERS = {"Authorization": f"Bearer {TEST_API_KEY}"}
SERVICE_A = {"owner": "acme", "repo": "service-a"}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GunicornServer, EmulatorProcess]]:
    state = tmp_path_factory.mktemp("rest-status")
    policy = Path(state) / "policy.yaml"
    policy.write_text("repositories:\n  acme/service-a: {paths: {deny: ['secrets/*']}}\n")
    with gunicorn_with_emulator(Path(state), WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="acme/service-a",
                                POLICY_FILE=str(policy), REQUEST_TIMEOUT_SECONDS="2") as pair:
        yield pair


def call(server: GunicornServer, tool: str, **arguments: Any) -> requests.Response:
    return requests.post(f"{server.url}/mcp/tool/call", json={"tool": tool, "arguments": arguments},
                         headers=HEADERS, timeout=30)


def refused(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["isError"] is True and body["content"][0]["type"] == "text"
    assert body["_meta"]["io.aegis/correlationId"] if code != "unknown_tool" else True
    error = body["error"]
    assert error["status"] == status and error["code"] == code
    assert error["message"] == body["content"][0]["text"] and error["request_id"]
    return body


def test_success_is_200_with_the_plain_tool_result(running: tuple[GunicornServer, EmulatorProcess]) -> None:
    response = call(running[0], "get_repository_info", **SERVICE_A)
    assert response.status_code == 200
    body = response.json()
    assert body["isError"] is False and "error" not in body and body["structuredContent"]["full_name"]


def test_bad_arguments_are_400(running: tuple[GunicornServer, EmulatorProcess]) -> None:
    refused(call(running[0], "get_repository_info", owner="acme"), 400, "invalid_arguments")
    refused(call(running[0], "get_repository_info", owner="acme", repo="service-a", surprise=1), 400,
            "invalid_arguments")


def test_policy_write_mode_and_whitelist_refusals_are_403(running: tuple[GunicornServer, EmulatorProcess]) -> None:
    server = running[0]
    policy = refused(call(server, "get_file_contents", filepath="secrets/prod.env", **SERVICE_A), 403, "denied")
    assert "policy" in policy["error"]["message"].lower()
    whitelist = refused(call(server, "create_issue", owner="bob", repo="dotfiles", title="x"), 403, "denied")
    assert "WRITE_REPOSITORY_WHITELIST" in whitelist["error"]["message"]


def test_unknown_tool_and_missing_things_are_404(running: tuple[GunicornServer, EmulatorProcess]) -> None:
    unknown = refused(call(running[0], "no_such_tool"), 404, "unknown_tool")
    assert "no_such_tool" in unknown["error"]["message"]
    refused(call(running[0], "get_repository_info", owner="acme", repo="missing"), 404, "not_found")


def test_upstream_failures_are_502_503_504(running: tuple[GunicornServer, EmulatorProcess]) -> None:
    server, emulator = running
    path = "/api/v1/repos/acme/service-a"
    for kind, status, code in (("502", 502, "upstream_unavailable"),
                               ("429", 503, "upstream_rate_limited"), ("latency", 504, "upstream_timeout")):
        fault = {"method": "GET", "path": path, "kind": kind, "retry_after": 0, "latency_ms": 6000}
        assert requests.post(f"{emulator.base_url}/_emulator/faults", json=fault, timeout=5).ok
        try:
            refused(call(server, "get_repository_info", **SERVICE_A), status, code)
        finally:
            requests.delete(f"{emulator.base_url}/_emulator/faults", timeout=5)


def test_json_rpc_keeps_is_error_in_a_200(running: tuple[GunicornServer, EmulatorProcess]) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_repository_info", "arguments": {"owner": "acme"},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}}
    headers = {**HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call",
               "Mcp-Name": "get_repository_info", "Accept": "application/json, text/event-stream"}
    response = requests.post(f"{running[0].url}/mcp", json=body, headers=headers, timeout=30)
    assert response.status_code == 200 and response.json()["result"]["isError"] is True


def test_every_error_status_the_tools_produce_has_a_mapping() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    sources = "\n".join(p.read_text() for p in (root / "app" / "tools").glob("*.py"))
    produced = set(re.findall(r'"(upstream_[a-z_]+|invalid_arguments|denied|not_found|internal_error|cancelled|'
                              r'audit_unavailable)"', sources))
    assert produced <= set(REST_STATUS)
    assert rest_status("success", is_error=False) == 200 and rest_status("written_unshown", is_error=True) == 200
    assert rest_status("something_new", is_error=True) == 500
