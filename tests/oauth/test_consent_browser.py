"""The consent page in a real headless browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.fixtures.chromium import chromium_browser
from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.conftest import CLIENT_REDIRECT, Stack, authorize_url, pkce, query_of, register

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    # The MCP client's redirect URI: nothing listens there, the browser just has to arrive.
    opened.route(CLIENT_REDIRECT + "**", lambda route: route.fulfill(status=200, body="the client got its code"))
    yield opened
    context.close()


def consent_url(server: GunicornServer) -> str:
    client = register(server, client_name="Browser test client")
    return authorize_url(server, client["client_id"], pkce()[1], scope="read:repository write:repository")


def sign_in_at_gitea_if_asked(page: Page) -> None:
    page.wait_for_url(lambda url: "/user/login" in url or url.startswith(CLIENT_REDIRECT)
                      or "/login/oauth/authorize" in url)
    if "/user/login" in page.url:
        page.fill("input[name=user_name]", "alice")
        page.fill("input[name=password]", "alice-password-1")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: url.startswith(CLIENT_REDIRECT) or "/login/oauth/authorize" in url)
    if not page.url.startswith(CLIENT_REDIRECT):
        page.click("text=Authorize Application")  # Gitea's own consent when it has no grant yet


def test_user_reads_the_consent_page_approves_and_the_client_gets_a_code(stack: Stack, page: Page) -> None:
    server = stack.server("browser")
    page.goto(consent_url(server))
    assert page.locator("#client-name").inner_text() == "Browser test client"
    assert page.locator("#redirect-uri").inner_text() == CLIENT_REDIRECT
    assert page.locator("#redirect-host").inner_text() == "127.0.0.1"
    scopes = page.locator("#scopes").inner_text()
    assert "read:repository" in scopes and "write:repository" in scopes
    page.click("#approve")
    sign_in_at_gitea_if_asked(page)
    page.wait_for_url(CLIENT_REDIRECT + "**")
    landed = query_of(page.url)
    assert landed["state"] == "client-state" and landed["iss"] == server.url and len(landed["code"]) > 20


@pytest.fixture
def framer() -> Iterator[Any]:
    """Another site on loopback (another origin) whose page frames whatever `framer.html` says."""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(served.get("page", b""))

        def log_message(self, *_: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}/framer.html"
    httpd.shutdown()
    httpd.server_close()


def test_consent_page_refuses_to_render_inside_a_frame(stack: Stack, page: Page, framer: Any) -> None:
    server = stack.server("browser")
    served, framer_url = framer
    metadata = f"{server.url}/.well-known/oauth-authorization-server"
    served["page"] = (f'<iframe src="{consent_url(server)}"></iframe><iframe src="{metadata}"></iframe>').encode()
    page.goto(framer_url, wait_until="load")
    control = next(f for f in page.frames if f.url == metadata)
    assert "issuer" in control.content()  # a frameable page does load here, so the test can tell
    consent = next(f for f in page.frames if f is not page.main_frame and f.url != metadata)
    assert consent.query_selector("#approve") is None
    assert consent.url.startswith("chrome-error://")  # chromium refused to render it
