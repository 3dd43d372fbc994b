"""End to end with the mcp 2.x SDK's OAuthClientProvider against gunicorn and the Gitea emulator.

Discovery → registration → our consent page → Gitea → callback → token → tool call; refresh;
step-up from read to write; a revoked Gitea grant → 401 → re-authorization.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
import requests
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.browser import Browser
from tests.oauth.conftest import CLIENT_REDIRECT, Stack, query_of

pytestmark = pytest.mark.timeout(120)
REPO = {"owner": "acme", "repo": "service-a"}


@dataclass
class MemoryStorage:
    tokens: OAuthToken | None = None
    client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


@dataclass
class HeadlessUser:
    """The redirect and callback handlers: a browser that follows the authorization URL to the client."""

    browser: Browser
    landed: list[str] = field(default_factory=list)

    async def redirect(self, url: str) -> None:
        self.landed.append(await asyncio.to_thread(self.browser.follow, url, CLIENT_REDIRECT))

    async def callback(self) -> AuthorizationCodeResult:
        params = query_of(self.landed[-1])
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))


@dataclass
class SdkClient:
    """One MCP client application: its OAuth provider, token storage and user."""

    server: GunicornServer
    user: HeadlessUser
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    provider: Any = None

    def __post_init__(self) -> None:
        metadata = OAuthClientMetadata(client_name="SDK test client", redirect_uris=[AnyUrl(CLIENT_REDIRECT)],
                                       grant_types=["authorization_code", "refresh_token"],
                                       response_types=["code"], token_endpoint_auth_method="none")
        self.provider = OAuthClientProvider(f"{self.server.url}/mcp", metadata, self.storage,
                                            self.user.redirect, self.user.callback)

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        http = httpx2.AsyncClient(auth=self.provider, timeout=60)
        async with Client(streamable_http_client(f"{self.server.url}/mcp", http_client=http)) as client:
            return await client.call_tool(tool, arguments)

    def run(self, tool: str = "get_repository_info", arguments: dict[str, Any] | None = None) -> Any:
        return asyncio.run(self.call(tool, arguments or REPO))


def new_client(stack: Stack, login: str = "alice") -> SdkClient:
    return SdkClient(stack.server("main"), HeadlessUser(stack.browser(login)))


def test_sdk_client_discovers_registers_consents_and_calls_a_tool(stack: Stack) -> None:
    client = new_client(stack)
    result = client.run()
    assert result.is_error is False
    assert result.structured_content["full_name"] == "acme/service-a"
    token = client.storage.tokens
    assert token is not None and token.access_token.count(".") == 4  # a sealed JWE, not a Gitea JWT
    assert token.scope == "read:repository"
    assert any("/oauth/authorize" in page for page in client.user.browser.pages)  # our consent page was shown
    summaries = [line for line in client.server.log_lines() if line.get("message") == "oauth_auth_summary"]
    assert any(s["context"]["api_probe"] == "pass" and s["context"]["login"] == "alice" for s in summaries)


def test_sdk_client_refreshes_and_the_old_refresh_token_is_dead(stack: Stack) -> None:
    client = new_client(stack)
    client.run()
    first = client.storage.tokens
    assert first is not None and first.refresh_token
    client.provider.context.token_expiry_time = time.time() - 1  # the access token has run out
    assert client.run().is_error is False
    second = client.storage.tokens
    assert second is not None and second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert len(client.user.landed) == 1  # refreshed, no new authorization
    reuse = refresh(client, first.refresh_token)
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    # The reuse revoked the whole family: the newest refresh token is dead too.
    assert refresh(client, second.refresh_token or "").json()["error"] == "invalid_grant"


def refresh(client: SdkClient, refresh_token: str) -> requests.Response:
    info = client.storage.client_info
    assert info is not None
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": info.client_id}
    return requests.post(f"{client.server.url}/oauth/token", data=form, timeout=30)


def test_write_tool_steps_up_from_read_to_write(stack: Stack) -> None:
    client = new_client(stack)
    client.run()
    result = client.run("test_create_label", REPO)
    assert result.is_error is False, result.content
    token = client.storage.tokens
    assert token is not None and set((token.scope or "").split()) == {"read:repository", "write:repository"}
    assert len(client.user.landed) == 2  # the 403 insufficient_scope led to a second authorization
    # Our consent pages only: Gitea's own /login/oauth/authorize page also contains "/oauth/authorize".
    ours = f"{client.server.url}/oauth/authorize"
    consent_pages = [page for page in client.user.browser.pages if page.startswith(ours)]
    assert len(consent_pages) == 2  # remembered consent covered read only, so write was asked for again


def test_revoked_gitea_grant_answers_401_and_the_client_authorizes_again(stack: Stack) -> None:
    client = new_client(stack, "bob")
    assert client.run().is_error is False
    oauth_app = stack.emulator.credentials["oauth_app"]
    revoked = requests.post(f"{stack.gitea_url}/_emulator/oauth/revoke",
                            json={"login": "bob", "client_id": oauth_app["client_id"]}, timeout=10)
    assert revoked.json()["revoked"] == 1
    stale = client.storage.tokens
    assert stale is not None
    answer = requests.post(f"{client.server.url}/mcp/tool/call", json={"tool": "get_repository_info",
                           "arguments": REPO}, headers={"Authorization": f"Bearer {stale.access_token}"}, timeout=30)
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert client.run().is_error is False  # the SDK saw the 401 and authorized again
    assert len(client.user.landed) == 2
    assert client.storage.tokens is not None and client.storage.tokens.access_token != stale.access_token
