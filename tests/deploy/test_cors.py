"""CORS from a real browser: a page on another loopback port calls the gateway with `fetch`.

Debian's chromium, driven by Playwright as in tests/oauth/test_consent_browser.py. Chromium maps two
made-up host names to 127.0.0.1 (`--host-resolver-rules`), so the pages are served on loopback but their
origins are not loopback origins: `http://client.example:P` is in ALLOWED_ORIGINS, `http://evil.example:P`
is not (a loopback origin would be admitted anyway while the gateway binds loopback).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.fixtures.chromium import chromium_browser
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env, free_port
from tests.oauth.conftest import Stack, stack

__all__ = ["stack"]  # the OAuth stack (emulator + gunicorn in OAuth mode), for the OAuth routes
pytestmark = pytest.mark.timeout(120)
PAGE_PORT = free_port()
LISTED = f"http://client.example:{PAGE_PORT}"
UNLISTED = f"http://evil.example:{PAGE_PORT}"
HOST_RULES = "--host-resolver-rules=MAP client.example 127.0.0.1, MAP evil.example 127.0.0.1"
EXPOSED = {"mcp-session-id", "www-authenticate", "mcp-protocol-version"}


@pytest.fixture(scope="module")
def gateway() -> Iterator[GunicornServer]:
    running = GunicornServer(base_env(ALLOWED_ORIGINS=LISTED)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pages() -> Iterator[str]:
    """An empty HTML page on PAGE_PORT, whatever host name the browser used to reach it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>client</title>")

        def log_message(self, *_: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", PAGE_PORT), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "/client.html"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with chromium_browser(HOST_RULES) as browser:
        yield browser


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


# What an in-page MCP client does: initialize at 2025-06-18, read Mcp-Session-Id, then tools/list with it.
LEGACY_CLIENT = """async ([url, key]) => {
  const headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"};
  try {
    const init = await fetch(url, {method: "POST", headers, body: JSON.stringify({jsonrpc: "2.0", id: 1,
      method: "initialize", params: {protocolVersion: "2025-06-18", capabilities: {},
      clientInfo: {name: "in-page", version: "1"}}})});
    const session = init.headers.get("Mcp-Session-Id");
    const listed = await fetch(url, {method: "POST",
      headers: {...headers, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-06-18"},
      body: JSON.stringify({jsonrpc: "2.0", id: 2, method: "tools/list"})});
    const body = await listed.json();
    return {ok: true, status: listed.status, session, tools: body.result.tools.length};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}"""

UNAUTHENTICATED = """async (url) => {
  const answer = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "ping"})});
  return {status: answer.status, challenge: answer.headers.get("WWW-Authenticate")};
}"""


def test_a_listed_origin_lists_tools_in_a_legacy_session_from_the_browser(
        gateway: GunicornServer, pages: str, page: Page) -> None:
    page.goto(LISTED + pages)
    result = page.evaluate(LEGACY_CLIENT, [f"{gateway.url}/mcp", TEST_API_KEY])
    assert result["ok"], result
    assert result["status"] == 200 and result["tools"] > 10
    assert len(result["session"]) > 20  # the exposed Mcp-Session-Id was readable


def test_a_listed_origin_reads_the_401_challenge(gateway: GunicornServer, pages: str, page: Page) -> None:
    page.goto(LISTED + pages)
    result = page.evaluate(UNAUTHENTICATED, f"{gateway.url}/mcp")
    assert result["status"] == 401
    assert result["challenge"].startswith("Bearer resource_metadata=")


def test_an_unlisted_origin_cannot_call_the_gateway_from_the_browser(
        gateway: GunicornServer, pages: str, page: Page) -> None:
    page.goto(UNLISTED + pages)
    result = page.evaluate(LEGACY_CLIENT, [f"{gateway.url}/mcp", TEST_API_KEY])
    assert not result["ok"] and "Failed to fetch" in result["error"], result


def preflight(url: str, origin: str, method: str = "POST") -> requests.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": method,
               "Access-Control-Request-Headers": "authorization, content-type, mcp-session-id, mcp-protocol-version"}
    return requests.options(url, headers=headers, timeout=10)


def test_preflight_and_headers_on_the_wire(gateway: GunicornServer) -> None:
    for path in ("/mcp", "/mcp/sse"):
        allowed = preflight(gateway.url + path, LISTED)
        assert allowed.status_code == 204
        assert allowed.headers["Access-Control-Allow-Origin"] == LISTED
        assert "Origin" in allowed.headers["Vary"]
        asked = {h.strip().lower() for h in allowed.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id"} <= asked
        assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
        refused = preflight(gateway.url + path, UNLISTED)
        assert refused.status_code == 403
        assert not [h for h in refused.headers if h.lower().startswith("access-control-")]
    real = requests.post(f"{gateway.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                         headers={"Origin": UNLISTED, "Authorization": f"Bearer {TEST_API_KEY}"}, timeout=10)
    assert real.status_code == 403
    assert "Access-Control-Allow-Origin" not in real.headers
    no_origin = requests.post(f"{gateway.url}/mcp", json={}, timeout=10)
    assert "Access-Control-Allow-Origin" not in no_origin.headers and "Origin" in no_origin.headers["Vary"]
    challenge = requests.post(f"{gateway.url}/mcp", json={}, headers={"Origin": LISTED}, timeout=10)
    assert challenge.status_code == 401 and challenge.headers["Access-Control-Allow-Origin"] == LISTED
    exposed = {h.strip().lower() for h in challenge.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed >= EXPOSED
    assert "Access-Control-Allow-Credentials" not in challenge.headers
    # Routes a browser client does not need keep no CORS header even for a listed origin.
    health = requests.get(f"{gateway.url}/health", headers={"Origin": LISTED}, timeout=10)
    assert "Access-Control-Allow-Origin" not in health.headers


def test_oauth_metadata_registration_and_token_follow_the_same_rule(stack: Stack) -> None:
    server = stack.server("main")
    own = f"http://127.0.0.1:{server.port}"  # loopback bind: loopback origins are admitted, as on /mcp
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp"):
        listed = requests.get(server.url + path, headers={"Origin": own}, timeout=10)
        assert listed.status_code == 200 and listed.headers["Access-Control-Allow-Origin"] == own
        unlisted = requests.get(server.url + path, headers={"Origin": "https://evil.example"}, timeout=10)
        assert unlisted.status_code == 200 and "Access-Control-Allow-Origin" not in unlisted.headers
        assert "Access-Control-Allow-Origin" not in requests.get(server.url + path, timeout=10).headers
    for path in ("/register", "/oauth/token", "/.well-known/oauth-authorization-server"):
        method = "GET" if path.startswith("/.well-known") else "POST"
        assert preflight(server.url + path, own, method).headers["Access-Control-Allow-Origin"] == own
        refused = preflight(server.url + path, "https://evil.example", method)
        assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    token = requests.post(f"{server.url}/oauth/token", data={"grant_type": "authorization_code", "code": "x"},
                          headers={"Origin": own}, timeout=10)
    assert token.status_code in (400, 401) and token.headers["Access-Control-Allow-Origin"] == own
