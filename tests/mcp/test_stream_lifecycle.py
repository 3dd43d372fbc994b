"""Long-lived streams under the real gunicorn (gthread): keep-alives, the lifetime bound, Redis going away,
and a client that hangs up in the middle of a tool call."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import GunicornServer, base_env
from tests.fixtures.redis import RedisServer
from tests.mcp.conftest import API_KEY, auth_headers, modern_headers, modern_request

pytestmark = pytest.mark.timeout(120)
KEEPALIVE = ": keep-alive"
SHORT_STREAMS = {"SSE_KEEPALIVE_SECONDS": "1", "SSE_MAX_LIFETIME_SECONDS": "3"}
SSE_ACCEPT = {"Accept": "text/event-stream"}


def initialize(server: GunicornServer) -> str:
    params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    body = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}
    reply = requests.post(f"{server.url}/mcp", json=body, timeout=10,
                          headers=auth_headers(Accept="application/json, text/event-stream"))
    assert reply.status_code == 200
    return reply.headers["Mcp-Session-Id"]


def whole_stream(server: GunicornServer, path: str, **headers: str) -> list[str]:
    """Every line of a stream read to its end; a stream that never ends fails on the read timeout."""
    with requests.get(server.url + path, headers=auth_headers(**SSE_ACCEPT, **headers), stream=True,
                      timeout=(5, 10)) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return list(response.iter_lines(decode_unicode=True))


# --- keep-alives and the lifetime bound --------------------------------------------------------------


@pytest.fixture(scope="module")
def short_streams() -> Iterator[GunicornServer]:
    running = GunicornServer(base_env(GUNICORN_THREADS="4", **SHORT_STREAMS)).start()
    yield running
    running.stop()


def test_legacy_get_stream_sends_keepalives_and_ends_at_its_lifetime(short_streams: GunicornServer) -> None:
    session = initialize(short_streams)
    lines = whole_stream(short_streams, "/mcp", **{"Mcp-Session-Id": session})
    assert lines.count(KEEPALIVE) >= 3  # one at once, then one a second for three seconds
    assert {line for line in lines if line} == {KEEPALIVE}


def test_sse_stream_sends_the_endpoint_then_keepalives_and_ends_at_its_lifetime(short_streams: GunicornServer) -> None:
    lines = whole_stream(short_streams, "/mcp/sse")
    assert lines[0] == "event: endpoint" and lines[1].startswith("data: /mcp/sse?session_id=")
    assert lines.count(KEEPALIVE) >= 2
    assert {line for line in lines[2:] if line} == {KEEPALIVE}


def test_an_ended_stream_gives_its_slot_back(short_streams: GunicornServer) -> None:
    # GUNICORN_THREADS=4: three stream slots. Three streams that end by themselves leave all three free.
    for _ in range(2):
        assert whole_stream(short_streams, "/mcp/sse")[0] == "event: endpoint"
    session = initialize(short_streams)
    streams = [requests.get(f"{short_streams.url}/mcp", stream=True, timeout=10,
                            headers=auth_headers(**SSE_ACCEPT, **{"Mcp-Session-Id": session})) for _ in range(3)]
    try:
        assert [s.status_code for s in streams] == [200, 200, 200]
    finally:
        for stream in streams:
            stream.close()


# --- Redis goes away ---------------------------------------------------------------------------------


@pytest.fixture
def redis_then_none() -> Iterator[tuple[GunicornServer, RedisServer]]:
    """A server on a Redis of its own, which the test stops."""
    with RedisServer() as redis:
        running = GunicornServer(base_env(REDIS_URL=redis.url, GUNICORN_THREADS="4")).start()
        yield running, redis
        running.stop()


def store_errors(server: GunicornServer) -> float:
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("aegis_store_errors_total{"))


def test_redis_down_answers_503_fast_counts_the_error_logs_it_and_fails_readiness(
    redis_then_none: tuple[GunicornServer, RedisServer]
) -> None:
    server, redis = redis_then_none
    session = initialize(server)
    assert requests.get(f"{server.url}/ready", timeout=10).json()["checks"]["redis"] == {"ok": True}
    before = store_errors(server)
    redis.stop()

    # A short read timeout: an answer that waited on a dead Redis would fail here, not pass late.
    stream = requests.get(f"{server.url}/mcp/sse", headers=auth_headers(**SSE_ACCEPT), timeout=(5, 8))
    assert stream.status_code == 503 and stream.headers["Retry-After"]
    assert stream.json()["error"]["status"] == 503 and "unavailable" in stream.json()["error"]["message"]

    listed = requests.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
                           headers=auth_headers(**{"Mcp-Session-Id": session, "Accept": "application/json"}),
                           timeout=(5, 8))
    assert listed.status_code == 503 and listed.headers["Retry-After"]
    assert listed.json()["error"]["status"] == 503

    assert store_errors(server) > before
    errors = [line for line in server.log_lines() if line.get("level") == "ERROR"]
    assert any("redis" in line.get("message", "") for line in errors), errors
    ready = requests.get(f"{server.url}/ready", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"]["ok"] is False and "Redis" in ready.json()["checks"]["redis"]["reason"]


# --- the client hangs up in the middle of a streamed tool call ------------------------------------------


@pytest.fixture(scope="module")
def own_emulator() -> Iterator[EmulatorProcess]:
    """An emulator of this module alone, so its request log shows only this module's traffic."""
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="aegis-mcp-cancel-"))
    yield emulator
    emulator.stop()


def upstream_paths(emulator: EmulatorProcess) -> list[str]:
    log = Path(emulator.state_dir) / "requests.jsonl"
    return [json.loads(line)["path"] for line in log.read_text().splitlines()] if log.exists() else []


def audit_entries(server: GunicornServer) -> list[dict[str, Any]]:
    path = Path(server.env["AUDIT_LOG_PATH"])
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def eventually(check: Callable[[], Any], limit: float = 30.0) -> Any:
    """Poll until `check` returns something truthy (the work ends on the server's own schedule)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError("the server never got there")


def test_hanging_up_a_progress_stream_frees_the_thread_and_stops_the_tool(own_emulator: EmulatorProcess) -> None:
    env = base_env(GITEA_URL=own_emulator.base_url, GITEA_TOKEN=own_emulator.token("alice"), MCP_API_KEYS=API_KEY,
                   GUNICORN_THREADS="1", SSE_KEEPALIVE_SECONDS="1")
    server = GunicornServer(env).start()
    try:
        commits = "/api/v1/repos/acme/service-a/commits"
        fault = {"method": "GET", "path": commits, "kind": "latency", "latency_ms": 8000, "times": 1}
        assert requests.post(f"{own_emulator.base_url}/_emulator/faults", json=fault, timeout=5).ok
        call = modern_request("tools/call", {"name": "search_code", "arguments": {
            "owner": "acme", "repo": "service-a", "query": "def "}})
        call["params"]["_meta"]["progressToken"] = "hang-up"
        with requests.post(f"{server.url}/mcp", json=call, headers=modern_headers("tools/call", "search_code"),
                           stream=True, timeout=10) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert next(stream.iter_lines(decode_unicode=True)) == KEEPALIVE
        # The only thread of the only worker held that stream. Answered well before the 8 s upstream
        # delay ends means the hang-up was noticed at the next keep-alive and the thread came back.
        listed = requests.post(f"{server.url}/mcp", json=modern_request("tools/list"),
                               headers=modern_headers("tools/list"), timeout=(5, 5))
        assert listed.status_code == 200 and listed.json()["result"]["tools"]

        entry = eventually(lambda: [e for e in audit_entries(server) if e.get("tool") == "search_code"])[-1]
        assert entry["status"] == "error" and entry["error"] == "The call was cancelled before it finished."
        paths = upstream_paths(own_emulator)
        assert commits in paths  # the call reached Gitea once...
        assert not [p for p in paths if "/archive/" in p]  # ...and stopped before downloading the archive
    finally:
        server.stop()
