"""Selections as users paste them into a client (`…/mcp?toolsets=files,issues`), through the mcp 2.x SDK
against the real gunicorn: modern (auto), legacy sessions and the 2024-11-05 SSE transport. Issue 15."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from tests.fixtures.gunicorn import GunicornServer
from tests.mcp.conftest import API_KEY
from tests.mcp.test_toolsets import READ_FILES_ISSUES

pytestmark = pytest.mark.timeout(90)
AUTH = {"Authorization": f"Bearer {API_KEY}"}
REPO_ARGS = {"owner": "acme", "repo": "service-a"}


@pytest.fixture(scope="module")
def server(gitea: Any) -> Iterator[GunicornServer]:
    from tests.fixtures.gunicorn import base_env

    running = GunicornServer(base_env(GITEA_URL=gitea.url, GITEA_TOKEN=gitea.token, MCP_API_KEYS=API_KEY)).start()
    yield running
    running.stop()


async def hidden_call(call: Any) -> str:
    try:
        await call("get_repository_info", REPO_ARGS)
    except Exception as exc:
        return str(exc)
    return "no error"


async def streamable(url: str, mode: str) -> tuple[str, set[str], Any, str]:
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=AUTH, timeout=30))
    async with Client(transport, mode=mode) as client:
        tools = await client.list_tools()
        result = await client.call_tool("list_issues", REPO_ARGS)
        return client.protocol_version, {t.name for t in tools.tools}, result, await hidden_call(client.call_tool)


@pytest.mark.parametrize(("mode", "version"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_sdk_client_with_toolsets_in_the_url(server: GunicornServer, mode: str, version: str) -> None:
    negotiated, names, result, hidden = asyncio.run(streamable(f"{server.url}/mcp?toolsets=files,issues", mode))
    assert negotiated == version
    assert names == READ_FILES_ISSUES
    assert result.is_error is False and result.structured_content["items"]
    assert "Unknown tool" in hidden


def test_sdk_sse_client_keeps_the_selection_on_the_endpoint_url(server: GunicornServer) -> None:
    async def run() -> tuple[set[str], Any, str]:
        async with sse_client(f"{server.url}/mcp/sse?toolsets=files,issues", headers=AUTH) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool("list_issues", REPO_ARGS)
            return {t.name for t in tools.tools}, result, await hidden_call(session.call_tool)

    names, result, hidden = asyncio.run(run())
    assert names == READ_FILES_ISSUES
    assert result.is_error is False
    assert "Unknown tool" in hidden


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_unknown_toolset_in_the_url_reaches_the_user_with_the_valid_names(server: GunicornServer, mode: str) -> None:
    async def run() -> str:
        try:
            await streamable(f"{server.url}/mcp?toolsets=files,gists", mode)
        except Exception as exc:
            return repr(exc) + "".join(repr(e) for e in getattr(exc, "exceptions", ()))
        return "no error"

    message = asyncio.run(run())
    assert "Unknown toolset" in message and "Valid toolsets:" in message
