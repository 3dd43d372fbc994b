"""The OAuth stack as real processes: the Gitea emulator (our Gitea app registered) and gunicorn servers."""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from app.auth.sealed import SealedTokenCodec, TokenKeys
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import GunicornServer, base_env, free_port
from tests.fixtures.redis import private_redis_server, redis_server
from tests.oauth.browser import Browser

__all__ = ["private_redis_server", "redis_server"]

STATE_SECRET = "state-secret-for-tests-0123456789abcdef"
TOKEN_KEYS = "k2:" + "A" * 43 + ",k1:" + "B" * 43  # two keys: k2 seals, both open
SERVER_APP = "tests.oauth.server_app:app"
CLIENT_REDIRECT = "http://127.0.0.1:7777/callback"
SERVER_NAMES = ("main", "pat", "raw", "browser", "cimd", "short", "raw-expected", "memory", "redis", "redis-peer",
                "automation-oauth", "automation-service-pat", "streams")


@dataclass
class Stack:
    """The emulator plus lazily started gunicorn servers, one per configuration name."""

    emulator: EmulatorProcess
    ports: dict[str, int]
    state_dir: str
    servers: dict[str, GunicornServer] = field(default_factory=dict)

    @property
    def gitea_url(self) -> str:
        return self.emulator.base_url

    def server(self, name: str = "main", **env: str) -> GunicornServer:
        if name not in self.servers:
            self.servers[name] = GunicornServer(self._env(name, env), app=SERVER_APP).start()
        return self.servers[name]

    def restart(self, name: str) -> GunicornServer:
        """Stop the server `name` by its PID and start it again with the same settings (and port)."""
        old = self.servers.pop(name)
        old.stop()
        self.servers[name] = GunicornServer(old.env, app=SERVER_APP).start()
        return self.servers[name]

    def drop(self, name: str) -> None:
        """Stop the server `name`, if running, so the next server(name) starts afresh."""
        old = self.servers.pop(name, None)
        if old is not None:
            old.stop()

    def _env(self, name: str, extra: dict[str, str]) -> dict[str, str]:
        oauth_app = self.emulator.credentials["oauth_app"]
        settings = {
            "MCP_PORT": str(self.ports[name]), "OAUTH_MODE": "true", "GITEA_URL": self.gitea_url,
            "GITEA_OAUTH_CLIENT_ID": oauth_app["client_id"], "GITEA_OAUTH_CLIENT_SECRET": oauth_app["client_secret"],
            "OAUTH_STATE_SECRET": STATE_SECRET, "OAUTH_TOKEN_KEYS": TOKEN_KEYS,
            "DCR_STORAGE_PATH": str(Path(self.state_dir) / f"dcr-{name}" / "clients.json"),
            "WRITE_MODE": "true", "WRITE_REPOSITORY_WHITELIST": "acme/service-a", "POLICY_FILE": self._policy(),
            **extra,
        }
        return base_env(**settings)

    def _policy(self) -> str:
        path = Path(self.state_dir) / "policy.yaml"
        path.write_text("defaults:\n  read: allow\n  write: allow\n")
        return str(path)

    def browser(self, login: str = "alice") -> Browser:
        return Browser(self.gitea_url, login, f"{login}-password-1")

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.emulator.stop()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    state_dir = tempfile.mkdtemp(prefix="aegis-oauth-")
    ports = {name: free_port() for name in SERVER_NAMES}
    callbacks = [f"http://127.0.0.1:{port}/oauth/callback" for port in ports.values()]
    emulator = EmulatorProcess().start(str(Path(state_dir) / "gitea"), oauth_redirect_uris=callbacks)
    running = Stack(emulator, ports, state_dir)
    yield running
    running.stop()


@pytest.fixture
def server(stack: Stack) -> GunicornServer:
    return stack.server("main")


def register(server: GunicornServer, redirect_uris: list[str] | None = None, **metadata: Any) -> dict[str, Any]:
    body = {"redirect_uris": redirect_uris or [CLIENT_REDIRECT], "client_name": "Attack test client",
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"], **metadata}
    response = requests.post(f"{server.url}/register", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def codec_for(server: GunicornServer, resource: str | None = None) -> SealedTokenCodec:
    """The server's own sealing keys (from TOKEN_KEYS), to forge tokens the way an insider could."""
    keys = TokenKeys.from_secrets(TOKEN_KEYS, STATE_SECRET)
    return SealedTokenCodec(keys, server.url, resource or f"{server.url}/mcp", f"{server.url}/oauth/token")


def audit_events(server: GunicornServer) -> list[dict[str, Any]]:
    path = Path(server.env["AUDIT_LOG_PATH"])
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


Factory = Callable[..., GunicornServer]


def pkce() -> tuple[str, str]:
    from app.oauth.upstream import pkce_pair

    return pkce_pair()


def authorize_url(server: GunicornServer, client_id: str, challenge: str, **params: str) -> str:
    from urllib.parse import urlencode

    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CLIENT_REDIRECT,
             "state": "client-state", "code_challenge": challenge, "code_challenge_method": "S256",
             "scope": "read:repository", "resource": f"{server.url}/mcp", **params}
    return f"{server.url}/oauth/authorize?{urlencode(query)}"


def query_of(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


@dataclass
class Authorized:
    """A finished authorization: our code at the client's redirect URI, and the PKCE verifier."""

    client_id: str
    code: str
    verifier: str
    params: dict[str, str]


def authorize(stack: Stack, server: GunicornServer, browser: Browser | None = None, **params: str) -> Authorized:
    client = register(server)
    verifier, challenge = pkce()
    landed = (browser or stack.browser()).follow(authorize_url(server, client["client_id"], challenge, **params),
                                                 CLIENT_REDIRECT)
    found = query_of(landed)
    return Authorized(client["client_id"], found.get("code", ""), verifier, found)


def exchange(server: GunicornServer, done: Authorized, **form: str) -> requests.Response:
    body = {"grant_type": "authorization_code", "code": done.code, "code_verifier": done.verifier,
            "redirect_uri": CLIENT_REDIRECT, "client_id": done.client_id, "resource": f"{server.url}/mcp", **form}
    return requests.post(f"{server.url}/oauth/token", data=body, timeout=30)


def call_tool(server: GunicornServer, token: str, tool: str = "get_repository_info",
              **arguments: Any) -> requests.Response:
    body = {"tool": tool, "arguments": arguments or {"owner": "acme", "repo": "service-a"}}
    return requests.post(f"{server.url}/mcp/tool/call", json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=30)


class DocumentServer:
    """Serves client metadata documents on loopback: /client.json, /moved (302), /huge, /impostor.

    `redirect_uris[path]` replaces the document's redirect URIs for that path."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.hits = 0
        self.redirect_uris: dict[str, list[str]] = {}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                status, body, headers = outer.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        return Handler

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        document: dict[str, Any] = {"client_id": self.url + path, "client_name": "Metadata Client",
                                    "redirect_uris": self.redirect_uris.get(path, [CLIENT_REDIRECT])}
        if path == "/moved":
            return 302, b"", {"Location": self.url + "/client.json"}
        if path == "/huge":
            document["padding"] = "x" * 70000
        if path == "/impostor":
            document["client_id"] = "https://claude.ai/client.json"
        return 200, json.dumps(document).encode(), {"Content-Type": "application/json"}


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    served = DocumentServer()
    threading.Thread(target=served.httpd.serve_forever, daemon=True).start()
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()
