"""HTTP+SSE (2024-11-05) at /mcp/sse: endpoint event, 202 POSTs, replies on the stream across workers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer, base_env
from tests.fixtures.redis import RedisServer
from tests.mcp.conftest import API_KEY, auth_headers

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def two_workers() -> Iterator[GunicornServer]:
    with RedisServer() as redis:
        env = base_env(MCP_API_KEYS=API_KEY, GUNICORN_WORKERS="2", GUNICORN_THREADS="8", REDIS_URL=redis.url)
        running = GunicornServer(env).start()
        yield running
        running.stop()


class SseReader:
    """Reads `event:`/`data:` pairs from an open SSE response."""

    def __init__(self, response: requests.Response) -> None:
        self.lines = response.iter_lines(decode_unicode=True)

    def next_event(self) -> tuple[str, str]:
        event, data = "message", ""
        for line in self.lines:
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
            elif line == "" and data:
                return event, data
        raise AssertionError("stream ended")


def open_stream(server: GunicornServer, key: str = API_KEY) -> tuple[requests.Response, SseReader, str]:
    headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
    response = requests.get(f"{server.url}/mcp/sse", headers=headers, stream=True, timeout=20)
    assert response.status_code == 200
    reader = SseReader(response)
    event, endpoint = reader.next_event()
    assert event == "endpoint" and endpoint.startswith("/mcp/sse?session_id=")
    return response, reader, endpoint


def send(server: GunicornServer, endpoint: str, message: dict[str, Any], **headers: str) -> requests.Response:
    # A fresh connection per POST, so gunicorn spreads them over both workers.
    return requests.post(server.url + endpoint, json=message, timeout=10,
                         headers=auth_headers(Connection="close", **headers))


def test_replies_reach_the_stream_whichever_worker_takes_the_post(two_workers: GunicornServer) -> None:
    stream, reader, endpoint = open_stream(two_workers)
    try:
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": "2024-11-05", "capabilities": {},
                           "clientInfo": {"name": "t", "version": "1"}}}
        assert send(two_workers, endpoint, init).status_code == 202
        assert json.loads(reader.next_event()[1])["result"]["protocolVersion"] == "2024-11-05"
        for request_id in range(1, 13):
            ping = {"jsonrpc": "2.0", "id": request_id, "method": "ping"}
            assert send(two_workers, endpoint, ping).status_code == 202
            assert json.loads(reader.next_event()[1]) == {"jsonrpc": "2.0", "id": request_id, "result": {}}
    finally:
        stream.close()
    pids = {line["pid"] for line in two_workers.log_lines() if line.get("route") == "/mcp/sse" and "pid" in line}
    assert len(pids) == 2, "both workers should have served this stream's requests"


def test_posts_need_an_open_stream_of_the_same_principal(two_workers: GunicornServer) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert send(two_workers, "/mcp/sse", ping).status_code == 400
    assert send(two_workers, "/mcp/sse?session_id=nope", ping).status_code == 404
    stream, _reader, endpoint = open_stream(two_workers)
    stream.close()
    anonymous = requests.post(two_workers.url + endpoint, json=ping, timeout=10)
    assert anonymous.status_code == 401
    bad_json = requests.post(two_workers.url + endpoint, data=b"{", timeout=10,
                             headers=auth_headers(**{"Content-Type": "application/json"}))
    assert bad_json.status_code in (400, 404)
