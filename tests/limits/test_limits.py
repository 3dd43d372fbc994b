"""Rate limits on one gunicorn worker (memory storage): exact counts, 429 shapes, lockout, hashing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.limits.conftest import GOOD_KEY, MCP_HEADERS, bearer

OTHER_KEY = "other-key-0123456789abcdef0123456789abcdef"
UNKNOWN_TOOL = {"tool": "no_such_tool", "arguments": {}}


def statuses(server: GunicornServer, count: int, path: str = "/", **kwargs: object) -> list[int]:
    return [requests.get(server.url + path, timeout=10, **kwargs).status_code for _ in range(count)]  # type: ignore[arg-type]


def audit_entries(server: GunicornServer) -> list[dict]:
    path = Path(server.env["AUDIT_LOG_PATH"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_over_the_ip_limit_answers_429_in_the_error_shape_with_retry_after(
    limited_server: Callable[..., GunicornServer],
) -> None:
    server = limited_server(RATE_LIMIT_PER_MINUTE="5")
    assert statuses(server, 5) == [200] * 5
    refused = requests.get(server.url + "/", timeout=10)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["status"] == 429 and error["code"] == "rate_limited"
    assert "per-IP limit of 5" in error["message"]
    assert error["request_id"] == refused.headers["X-Request-ID"]


def test_health_stays_answering_when_the_address_is_limited(limited_server: Callable[..., GunicornServer]) -> None:
    server = limited_server(RATE_LIMIT_PER_MINUTE="2")
    assert statuses(server, 3) == [200, 200, 429]
    assert statuses(server, 10, "/health") == [200] * 10


def test_a_refused_mcp_message_gets_a_jsonrpc_error_with_its_id(limited_server: Callable[..., GunicornServer]) -> None:
    server = limited_server(RATE_LIMIT_PER_MINUTE="1")
    assert statuses(server, 1) == [200]
    message = {"jsonrpc": "2.0", "id": "call-7", "method": "tools/list"}
    refused = requests.post(server.url + "/mcp", json=message, headers={**MCP_HEADERS, **bearer(GOOD_KEY)}, timeout=10)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    body = refused.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == "call-7"
    assert body["error"]["code"] == -32029
    assert body["error"]["data"]["retry_after"] == int(refused.headers["Retry-After"])
    assert "per-IP limit" in body["error"]["message"]


def test_plain_json_routes_under_mcp_keep_the_error_shape(limited_server: Callable[..., GunicornServer]) -> None:
    server = limited_server(RATE_LIMIT_PER_MINUTE="1")
    assert statuses(server, 1) == [200]
    refused = requests.post(server.url + "/mcp/tool/call", json=UNKNOWN_TOOL, headers=bearer(GOOD_KEY), timeout=10)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"


def test_each_credential_has_its_own_bucket(limited_server: Callable[..., GunicornServer]) -> None:
    server = limited_server(TOKEN_RATE_LIMIT_PER_MINUTE="3", MCP_API_KEYS=f"{GOOD_KEY},{OTHER_KEY}")
    assert statuses(server, 4, headers=bearer(GOOD_KEY)) == [200, 200, 200, 429]
    refused = requests.get(server.url + "/", headers=bearer(GOOD_KEY), timeout=10)
    assert "per-credential limit of 3" in refused.json()["error"]["message"]
    assert statuses(server, 3, headers=bearer(OTHER_KEY)) == [200] * 3
    assert statuses(server, 5) == [200] * 5  # no credential: only the per-IP limit applies


def test_the_raw_token_appears_in_no_log_or_audit_entry(limited_server: Callable[..., GunicornServer]) -> None:
    server = limited_server(TOKEN_RATE_LIMIT_PER_MINUTE="1")
    assert statuses(server, 3, headers=bearer(GOOD_KEY)) == [200, 429, 429]
    reported = [e for e in audit_entries(server) if e.get("kind") == "rate_limit_exceeded"]
    assert [e["details"]["scope"] for e in reported] == ["credential"]
    assert reported[0]["details"]["bucket"].startswith("tok-")
    assert GOOD_KEY not in server.logs()
    assert GOOD_KEY not in Path(server.env["AUDIT_LOG_PATH"]).read_text()


def test_repeated_auth_failures_lock_the_address_out_and_are_audited_once(
    limited_server: Callable[..., GunicornServer],
) -> None:
    server = limited_server(MAX_AUTH_FAILURES="3", AUTH_FAILURE_WINDOW="120")
    call = server.url + "/mcp/tool/call"
    wrong = bearer("wrong-" + "x" * 40)
    failures = [requests.post(call, json=UNKNOWN_TOOL, headers=wrong, timeout=10) for _ in range(3)]
    assert [r.status_code for r in failures] == [401] * 3
    for _ in range(3):  # even the right key is refused from this address now
        locked = requests.post(call, json=UNKNOWN_TOOL, headers=bearer(GOOD_KEY), timeout=10)
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 120
        assert "3 failed authentications" in locked.json()["error"]["message"]
    lockouts = [e for e in audit_entries(server) if e.get("kind") == "auth_failure_lockout"]
    assert len(lockouts) == 1
    assert lockouts[0]["event"] == "security_event"
    assert lockouts[0]["details"] == {"bucket": "127.0.0.1", "limit": "3 per 120 second", "scope": "auth-failures"}


def test_requests_without_a_credential_are_not_auth_failures(limited_server: Callable[..., GunicornServer]) -> None:
    server = limited_server(MAX_AUTH_FAILURES="2")
    call = server.url + "/mcp/tool/call"
    assert [requests.post(call, json=UNKNOWN_TOOL, timeout=10).status_code for _ in range(5)] == [401] * 5
    assert requests.post(call, json=UNKNOWN_TOOL, headers=bearer(GOOD_KEY), timeout=10).status_code == 404
