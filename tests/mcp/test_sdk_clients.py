"""The mcp 2.x SDK, as a real client, against the real gunicorn and the Gitea emulator."""

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

pytestmark = pytest.mark.timeout(60)
AUTH = {"Authorization": f"Bearer {API_KEY}"}
REPO_ARGS = {"owner": "acme", "repo": "service-a"}


@pytest.fixture(scope="module")
def server(gitea: Any) -> Iterator[GunicornServer]:
    from tests.fixtures.gunicorn import base_env

    env = base_env(GITEA_URL=gitea.url, GITEA_TOKEN=gitea.token, MCP_API_KEYS=API_KEY)
    running = GunicornServer(env).start()
    yield running
    running.stop()


def transport(server: GunicornServer) -> Any:
    return streamable_http_client(f"{server.url}/mcp", http_client=httpx2.AsyncClient(headers=AUTH, timeout=30))


async def use_client(server: GunicornServer, mode: str) -> tuple[str, list[str], Any]:
    async with Client(transport(server), mode=mode) as client:
        tools = await client.list_tools()
        result = await client.call_tool("get_repository_info", REPO_ARGS)
        return client.protocol_version, [tool.name for tool in tools.tools], result


def test_client_in_auto_mode_selects_2026_07_28_through_server_discover(server: GunicornServer) -> None:
    version, names, result = asyncio.run(use_client(server, "auto"))
    assert version == "2026-07-28"
    assert {"list_repositories", "get_repository_info", "get_file_contents"} <= set(names)
    assert result.is_error is False
    assert result.structured_content["full_name"] == "acme/service-a"


def test_client_in_legacy_mode_uses_initialize_and_a_session(server: GunicornServer) -> None:
    version, names, result = asyncio.run(use_client(server, "legacy"))
    assert version == "2025-11-25"
    assert "get_repository_info" in names
    assert result.structured_content["full_name"] == "acme/service-a"


def test_unknown_tool_is_a_protocol_error_in_both_eras(server: GunicornServer) -> None:
    async def call(mode: str) -> str:
        async with Client(transport(server), mode=mode) as client:
            try:
                await client.call_tool("no_such_tool", {})
            except Exception as exc:
                return str(exc)
            return "no error"

    assert "Unknown tool" in asyncio.run(call("auto"))
    assert "Unknown tool" in asyncio.run(call("legacy"))


def test_bad_arguments_are_an_error_result_naming_the_field(server: GunicornServer) -> None:
    async def call() -> Any:
        async with Client(transport(server)) as client:
            return await client.call_tool("get_repository_info", {"owner": "acme"})

    result = asyncio.run(call())
    assert result.is_error is True
    assert "repo" in result.content[0].text


def test_streamable_http_client_with_client_session(server: GunicornServer) -> None:
    async def run() -> tuple[str, Any]:
        async with transport(server) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            result = await session.call_tool("list_repositories", {})
            return init.protocol_version, result

    version, result = asyncio.run(run())
    assert version == "2025-11-25"
    assert result.is_error is False
    assert any(repo["full_name"] == "acme/service-a" for repo in result.structured_content["items"])


def test_sse_client_over_the_2024_11_05_transport(server: GunicornServer) -> None:
    async def run() -> tuple[list[str], Any]:
        sse = sse_client(f"{server.url}/mcp/sse", headers=AUTH)
        async with sse as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool("get_repository_info", REPO_ARGS)
            return [tool.name for tool in tools.tools], result

    names, result = asyncio.run(run())
    assert "get_file_contents" in names
    assert result.structured_content["full_name"] == "acme/service-a"
