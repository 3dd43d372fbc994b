"""Caps on the streams one credential and one client address hold, on 2 gunicorn workers sharing Redis:
a client that opens streams without limit gets 429 naming the cap, places come back when streams end, and a
worker that dies gives its places back when their leases expire."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.fixtures.redis import RedisServer
from tests.mcp.conftest import API_KEY

pytestmark = pytest.mark.timeout(120)
OTHER_KEY = "other-key-0123456789abcdef0123456789abcdef"
KEEPALIVE_SECONDS = 1  # leases live 3 keep-alives + 5 s = 8 s


def open_stream(server: GunicornServer, key: str = API_KEY) -> requests.Response:
    response = requests.get(f"{server.url}/mcp/sse", stream=True, timeout=(5, 10),
                            headers={"Authorization": f"Bearer {key}", "Accept": "text/event-stream"})
    if response.status_code == 200:
        response.lines = response.iter_lines()  # type: ignore[attr-defined]  # one reader for the whole stream
        next(response.lines)  # type: ignore[attr-defined]  # the endpoint event: the stream is established
    return response


@pytest.fixture
def capped(mcp_server: Callable[..., GunicornServer], shared_redis: RedisServer) -> Callable[..., GunicornServer]:
    """Factory: 2 workers on Redis with two API keys, short keep-alives and the caps given."""

    redis.Redis.from_url(shared_redis.url).flushdb()  # leases an earlier test's stopped server left behind

    def start(**caps: str) -> GunicornServer:
        return mcp_server(GUNICORN_WORKERS="2", GUNICORN_THREADS="8", REDIS_URL=shared_redis.url,
                          MCP_API_KEYS=f"{API_KEY},{OTHER_KEY}", SSE_KEEPALIVE_SECONDS=str(KEEPALIVE_SECONDS),
                          **caps)

    return start


@pytest.fixture
def held() -> Iterator[list[requests.Response]]:
    streams: list[requests.Response] = []
    yield streams
    for stream in streams:
        stream.close()


def fill(server: GunicornServer, held: list[requests.Response], count: int, key: str = API_KEY) -> None:
    for _ in range(count):
        held.append(open_stream(server, key))
    assert [stream.status_code for stream in held[-count:]] == [200] * count


def test_a_credential_past_its_cap_gets_429_naming_the_setting_on_every_worker(
    capped: Callable[..., GunicornServer], held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="3")
    fill(server, held, 3)
    for _ in range(4):  # whichever worker answers: the count lives in Redis
        refused = open_stream(server)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        message = refused.json()["error"]["message"]
        assert "credential" in message and "MCP_MAX_STREAMS_PER_CREDENTIAL=3" in message
    fill(server, held, 1, key=OTHER_KEY)  # another credential has places of its own


def test_a_closed_stream_gives_its_place_back(capped: Callable[..., GunicornServer],
                                              held: list[requests.Response]) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="2")
    fill(server, held, 2)
    assert open_stream(server).status_code == 429
    held.pop(0).close()  # the worker notices at the next keep-alive and releases the lease
    deadline = time.monotonic() + 4 * KEEPALIVE_SECONDS + 3
    while (status := open_stream(server)).status_code != 200:
        assert time.monotonic() < deadline, "the closed stream's place never came back"
        time.sleep(0.3)
    held.append(status)


def test_an_address_past_its_cap_gets_429_whatever_credential_it_uses(
    capped: Callable[..., GunicornServer], held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_ADDRESS="2", MCP_MAX_STREAMS_PER_CREDENTIAL="10")
    fill(server, held, 1)
    fill(server, held, 1, key=OTHER_KEY)
    refused = open_stream(server, OTHER_KEY)
    assert refused.status_code == 429
    assert "client address" in refused.json()["error"]["message"]
    assert "MCP_MAX_STREAMS_PER_ADDRESS=2" in refused.json()["error"]["message"]


def worker_pids(server: GunicornServer) -> list[int]:
    assert server.process is not None
    pid = server.process.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_places_held_by_a_killed_worker_come_back_when_their_leases_expire(
    capped: Callable[..., GunicornServer], held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="2")
    fill(server, held, 2)
    for pid in worker_pids(server):
        os.kill(pid, signal.SIGKILL)  # no release runs: only the lease expiry can give the places back
    started = time.monotonic()
    while True:
        try:
            status = open_stream(server).status_code
        except requests.ConnectionError:
            status = 0  # the master is still replacing the workers
        if status == 429:
            break
        assert status == 0 and time.monotonic() - started < 10, status
        time.sleep(0.2)
    while (stream := open_stream(server)).status_code == 429:
        assert time.monotonic() - started < 3 * KEEPALIVE_SECONDS + 5 + 5, "the leases never expired"
        time.sleep(0.5)
    held.append(stream)
    assert stream.status_code == 200 and time.monotonic() - started >= 3  # freed by expiry, not at once


def test_the_cap_counts_every_transport_and_refuses_a_websocket_before_the_upgrade(
    capped: Callable[..., GunicornServer], held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="1")
    fill(server, held, 1)  # an SSE stream takes the credential's only place
    upgrade = {"Authorization": f"Bearer {API_KEY}", "Connection": "Upgrade", "Upgrade": "websocket",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
               "Sec-WebSocket-Protocol": "mcp"}
    refused = requests.get(f"{server.url}/mcp/ws", headers=upgrade, timeout=(5, 10))
    assert refused.status_code == 429
    assert "MCP_MAX_STREAMS_PER_CREDENTIAL=1" in refused.json()["error"]["message"]


def open_from(server: GunicornServer, address: str, key: str = API_KEY) -> requests.Response:
    """A stream from `address` as the trusted proxy in front (loopback) forwards it."""
    response = requests.get(f"{server.url}/mcp/sse", stream=True, timeout=(5, 10),
                            headers={"Authorization": f"Bearer {key}", "Accept": "text/event-stream",
                                     "X-Forwarded-For": address})
    if response.status_code == 200:
        next(response.iter_lines())
    return response


def test_ipv6_addresses_of_one_64_share_the_address_cap_and_ipv4_addresses_do_not(
    capped: Callable[..., GunicornServer], held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_ADDRESS="1", MCP_MAX_STREAMS_PER_CREDENTIAL="10", TRUSTED_PROXY_COUNT="1")
    held.append(open_from(server, "2001:db8:1:2::1"))
    refused = open_from(server, "2001:db8:1:2:ffff::9")  # another address of the same /64
    assert held[0].status_code == 200 and refused.status_code == 429
    assert "MCP_MAX_STREAMS_PER_ADDRESS=1" in refused.json()["error"]["message"]
    for address in ("2001:db8:1:3::1", "192.0.2.1", "192.0.2.2"):  # another /64; IPv4 counts each address
        held.append(open_from(server, address))
        assert held[-1].status_code == 200, address


def test_a_stream_whose_lapsed_place_was_taken_ends_and_its_client_meets_the_cap(
    capped: Callable[..., GunicornServer], shared_redis: RedisServer, held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="1")
    fill(server, held, 1)
    client = redis.Redis.from_url(shared_redis.url)
    lapsed = list(client.scan_iter("*mcp:streams:credential:*"))
    assert lapsed and client.delete(*lapsed)  # the lease lapsed (a store outage outlived it)
    fill(server, held, 1)  # another stream took the place
    events = list(zip(range(60), held[0].lines, strict=False))  # a keep-alive a second, 60 lines at most
    assert len(events) < 60, "the stream over the cap kept running"
    assert open_stream(server).status_code == 429  # its client reconnects and gets the cap


def test_a_stream_held_past_its_lease_ttl_keeps_its_place(capped: Callable[..., GunicornServer],
                                                          held: list[requests.Response]) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="1")
    fill(server, held, 1)
    keepalives = 0
    for line in held[0].lines:  # a keep-alive a second, 11 s in all: past the 8 s lease TTL
        keepalives += line == b": keep-alive"
        if keepalives == 11:
            break
    assert keepalives == 11, "the stream ended"
    refused = open_stream(server)  # its worker's timer renewed the lease: the place is still taken
    assert refused.status_code == 429, refused.status_code
    assert next(held[0].lines) is not None  # and the stream still runs


def test_idle_streams_renew_places_and_open_marks_with_a_store_call_per_worker_not_per_stream(
    capped: Callable[..., GunicornServer], shared_redis: RedisServer, held: list[requests.Response]
) -> None:
    server = capped(MCP_MAX_STREAMS_PER_CREDENTIAL="10")
    fill(server, held, 6)  # one credential, one address: two lease keys in all
    client = redis.Redis.from_url(shared_redis.url)
    before, window = client.info("commandstats"), 5.0
    time.sleep(window)
    after = client.info("commandstats")
    calls = {name: after.get(f"cmdstat_{name}", {}).get("calls", 0) - before.get(f"cmdstat_{name}", {}).get("calls", 0)
             for name in ("evalsha", "set")}
    # Per stream, 6 streams would make ~50 such calls in 5 s; per worker, at most 2 keys x 2 workers x 6 passes.
    assert calls["evalsha"] + calls["set"] <= 2 * 2 * (window / KEEPALIVE_SECONDS + 1), calls
    marks = list(client.scan_iter("mcp:sse:open:*"))
    assert len(marks) == 6
    assert all(client.pttl(mark) > 28_000 for mark in marks)  # 30 s marks, renewed within the last second
