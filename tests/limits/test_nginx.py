"""The shipped nginx site in front of gunicorn with TRUSTED_PROXY_COUNT=1: each client its own bucket."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Callable, Iterator

import pytest
import requests
import simple_websocket

from tests.fixtures.gunicorn import GunicornServer
from tests.fixtures.nginx import NginxServer
from tests.limits.conftest import GOOD_KEY, bearer

LIMIT = 3


@pytest.fixture
def proxied(limited_server: Callable[..., GunicornServer]) -> Iterator[tuple[GunicornServer, NginxServer]]:
    server = limited_server(TRUSTED_PROXY_COUNT="1", RATE_LIMIT_PER_MINUTE=str(LIMIT))
    nginx = NginxServer(upstream_port=server.port).start()
    yield server, nginx
    nginx.stop()


def statuses(session: requests.Session, url: str, count: int, forged: bool = False, **kwargs: object) -> list[int]:
    codes = []
    for _ in range(count):
        headers = {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.0.1"} if forged else {}
        codes.append(session.get(url, headers=headers, timeout=10, **kwargs).status_code)  # type: ignore[arg-type]
    return codes


def remote_addrs(server: GunicornServer) -> set[str]:
    return {line["remote_addr"] for line in server.log_lines() if line.get("route") == "/"}


def test_two_clients_behind_nginx_get_separate_buckets(
    proxied: tuple[GunicornServer, NginxServer], clients: Callable[[str], requests.Session]
) -> None:
    server, nginx = proxied
    first, second = clients("127.0.0.2"), clients("127.0.0.3")
    assert statuses(first, nginx.url + "/", LIMIT + 1, verify=str(nginx.cert)) == [200] * LIMIT + [429]
    assert statuses(second, nginx.url + "/", LIMIT, verify=str(nginx.cert)) == [200] * LIMIT
    assert remote_addrs(server) == {"127.0.0.2", "127.0.0.3"}


def test_a_forged_forwarded_for_through_nginx_does_not_open_a_new_bucket(
    proxied: tuple[GunicornServer, NginxServer], clients: Callable[[str], requests.Session]
) -> None:
    server, nginx = proxied
    client = clients("127.0.0.4")
    codes = statuses(client, nginx.url + "/", LIMIT + 2, forged=True, verify=str(nginx.cert))
    assert codes == [200] * LIMIT + [429, 429]  # nginx appends the real address; the service reads the last
    assert remote_addrs(server) == {"127.0.0.4"}


def test_a_forged_forwarded_for_straight_to_gunicorn_is_ignored(
    proxied: tuple[GunicornServer, NginxServer], clients: Callable[[str], requests.Session]
) -> None:
    server, _nginx = proxied
    client = clients("127.0.0.5")  # not the proxy's address: its X-Forwarded-For is not trusted
    assert statuses(client, server.url + "/", LIMIT + 2, forged=True) == [200] * LIMIT + [429, 429]
    assert remote_addrs(server) == {"127.0.0.5"}


def test_plain_http_is_redirected_to_https(proxied: tuple[GunicornServer, NginxServer]) -> None:
    _server, nginx = proxied
    response = requests.get(f"http://127.0.0.1:{nginx.http_port}/mcp", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_sse_streams_through_nginx_unbuffered(proxied: tuple[GunicornServer, NginxServer]) -> None:
    _server, nginx = proxied
    headers = {**bearer(GOOD_KEY), "Accept": "text/event-stream"}
    with requests.get(nginx.url + "/mcp/sse", headers=headers, stream=True, verify=str(nginx.cert), timeout=20) as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        # The stream stays open; the endpoint event arrives on its own only if nothing buffers it.
        lines = r.iter_lines(decode_unicode=True)
        assert next(lines) == "event: endpoint"
        assert next(lines).startswith("data: /mcp/sse?session_id=")


def test_websocket_upgrades_through_nginx(proxied: tuple[GunicornServer, NginxServer]) -> None:
    _server, nginx = proxied
    context = ssl.create_default_context(cafile=str(nginx.cert))
    url = nginx.url.replace("https://", "wss://") + "/mcp/ws"
    ws = simple_websocket.Client.connect(url, subprotocols=["mcp"], headers=bearer(GOOD_KEY), ssl_context=context)
    try:
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        assert json.loads(ws.receive(timeout=20)) == {"jsonrpc": "2.0", "id": 1, "result": {}}
    finally:
        ws.close()
