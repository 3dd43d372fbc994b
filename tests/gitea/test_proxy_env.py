"""Operators behind an outbound proxy: the proxy variables in the environment at start decide the route to Gitea."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.gitea import GiteaClient
from app.gitea.request import GiteaRequest

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class RecordingServer(ThreadingHTTPServer):
    """A loopback HTTP server that answers every GET with `{}` and records each request line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        super().__init__(("127.0.0.1", 0), RecordingHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RecordingHandler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        self.server.lines.append(self.requestline)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def serve() -> RecordingServer:
    server = RecordingServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RecordingServer, RecordingServer]]:
    """(proxy, gitea), both on loopback, with no proxy variable inherited from the machine."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    proxy, gitea = serve(), serve()
    yield proxy, gitea
    for server in (proxy, gitea):
        server.shutdown()
        server.server_close()


def version_through_new_client(gitea_url: str) -> None:
    client = GiteaClient(gitea_url, timeout=5, pool_size=1, max_file_bytes=1024, retries=0)
    try:
        client.send(GiteaRequest("GET", "/version"), None)
    finally:
        client.close()


def test_http_proxy_set_at_start_carries_the_gitea_requests(
    servers: tuple[RecordingServer, RecordingServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, gitea = servers
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    version_through_new_client(gitea.url)
    assert proxy.lines == [f"GET {gitea.url}/api/v1/version HTTP/1.1"]
    assert gitea.lines == []


def test_no_proxy_naming_the_gitea_host_bypasses_the_proxy(
    servers: tuple[RecordingServer, RecordingServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, gitea = servers
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    version_through_new_client(gitea.url)
    assert gitea.lines == ["GET /api/v1/version HTTP/1.1"]
    assert proxy.lines == []


def test_proxy_variables_are_read_when_the_client_is_built_not_per_request(
    servers: tuple[RecordingServer, RecordingServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, gitea = servers
    client = GiteaClient(gitea.url, timeout=5, pool_size=1, max_file_bytes=1024, retries=0)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)  # too late: a restart picks it up
    try:
        client.send(GiteaRequest("GET", "/version"), None)
    finally:
        client.close()
    assert gitea.lines == ["GET /api/v1/version HTTP/1.1"]
    assert proxy.lines == []
