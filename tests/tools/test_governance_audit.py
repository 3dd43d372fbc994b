"""Audit entries keep secrets out whatever argument carries them, and every call is correlated end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator

pytestmark = pytest.mark.timeout(60)
FAKE_TOKEN = "ghp_FAKE7Fk0123456789abcdefABCDEFGHIJ0123"
REPO = {"owner": "acme", "repo": "service-a"}
MODERN = "2026-07-28"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    with gunicorn_with_emulator(tmp_path_factory.mktemp("governance-audit")) as (running, _emulator):
        yield running


def audit_text(server: GunicornServer) -> str:
    return Path(server.env["AUDIT_LOG_PATH"]).read_text(encoding="utf-8")


def audit_entries(server: GunicornServer) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit_text(server).splitlines() if line.strip()]


def tool_call(server: GunicornServer, tool: str, arguments: dict[str, Any],
              headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(f"{server.url}/mcp/tool/call", json={"tool": tool, "arguments": arguments}, timeout=30,
                         headers={"Authorization": f"Bearer {TEST_API_KEY}", **(headers or {})})


def modern_call(server: GunicornServer, tool: str, arguments: dict[str, Any], **headers: str) -> requests.Response:
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": meta}}
    return requests.post(f"{server.url}/mcp", json=body, timeout=30, headers={
        "Authorization": f"Bearer {TEST_API_KEY}", "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call",
        "Mcp-Name": tool, "Accept": "application/json, text/event-stream", **headers})


# --- secrets never reach the audit log ---------------------------------------------------------------


def test_a_token_in_a_search_query_is_masked_in_the_audit_log(server: GunicornServer) -> None:
    response = tool_call(server, "search_code", {**REPO, "query": FAKE_TOKEN})
    assert response.status_code == 200 and response.json()["isError"] is False
    entry = audit_entries(server)[-1]
    assert entry["tool"] == "search_code" and entry["arguments"]["query"] == "[REDACTED:github_token]"
    assert FAKE_TOKEN not in audit_text(server)


def test_a_token_in_an_unknown_argument_of_a_refused_call_is_masked(server: GunicornServer) -> None:
    response = tool_call(server, "get_issue", {**REPO, "issue_number": 1, "note": f"use {FAKE_TOKEN} please"})
    assert response.json()["isError"] is True and "note" in response.json()["content"][0]["text"]
    entry = audit_entries(server)[-1]
    assert (entry["event"], entry["rule"]) == ("access_denied", "arguments")
    assert entry["arguments"]["note"] == "use [REDACTED:github_token] please"
    assert FAKE_TOKEN not in audit_text(server)


# --- correlation ids ---------------------------------------------------------------------------------


def test_a_supplied_correlation_id_reaches_the_header_the_result_and_the_audit_entry(server: GunicornServer) -> None:
    response = tool_call(server, "get_branch", {**REPO, "branch": "main"}, {"X-Correlation-ID": "ticket-42.retry_1"})
    assert response.headers["X-Correlation-ID"] == "ticket-42.retry_1"
    assert response.json()["_meta"]["io.aegis/correlationId"] == "ticket-42.retry_1"
    assert audit_entries(server)[-1]["correlation_id"] == "ticket-42.retry_1"


@pytest.mark.parametrize("supplied", [None, "has spaces in it", "x" * 129])
def test_a_missing_or_malformed_correlation_id_is_replaced_by_a_generated_one(
    server: GunicornServer, supplied: str | None
) -> None:
    headers = {"X-Correlation-ID": supplied} if supplied is not None else {}
    response = tool_call(server, "get_branch", {**REPO, "branch": "main"}, headers)
    generated = response.headers["X-Correlation-ID"]
    assert generated != supplied and len(generated) == 32
    assert response.json()["_meta"]["io.aegis/correlationId"] == generated
    assert audit_entries(server)[-1]["correlation_id"] == generated


def test_each_request_gets_its_own_correlation_id(server: GunicornServer) -> None:
    first = tool_call(server, "get_branch", {**REPO, "branch": "main"}).headers["X-Correlation-ID"]
    second = tool_call(server, "get_branch", {**REPO, "branch": "main"}).headers["X-Correlation-ID"]
    assert first != second


def test_streamable_http_results_carry_the_correlation_id_beside_the_server_info(server: GunicornServer) -> None:
    response = modern_call(server, "list_repo_topics", REPO, **{"X-Correlation-ID": "mcp-call-7"})
    result = response.json()["result"]
    assert response.headers["X-Correlation-ID"] == "mcp-call-7"
    assert result["_meta"]["io.aegis/correlationId"] == "mcp-call-7"
    assert "io.modelcontextprotocol/serverInfo" in result["_meta"]
    entry = audit_entries(server)[-1]
    assert (entry["tool"], entry["correlation_id"]) == ("list_repo_topics", "mcp-call-7")


def test_a_denied_call_is_audited_with_its_correlation_id(server: GunicornServer) -> None:
    response = tool_call(server, "get_issue", {**REPO, "issue_number": 0}, {"X-Correlation-ID": "bad-args-1"})
    assert response.json()["isError"] is True
    assert response.json()["_meta"]["io.aegis/correlationId"] == "bad-args-1"
    entry = audit_entries(server)[-1]
    assert (entry["event"], entry["correlation_id"]) == ("access_denied", "bad-args-1")
