"""A real MCP client cannot reset its flow window: a new legacy session, or the stateless 2026-07-28
revision, with the same credential meets the labels the first session left."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.flows.conftest import KEYS, FlowWorld

pytestmark = pytest.mark.timeout(120)
KEY = KEYS[-1]  # a window no other test uses
COMMENT = {"owner": "acme", "repo": "docs", "issue_number": 1, "body": "launch code ROADMAP-4711", "dry_run": True}


async def call(world: FlowWorld, mode: str, tool: str, arguments: dict[str, Any]) -> tuple[str, Any]:
    """One call in a session of its own: a fresh client, a fresh connection, a fresh Mcp-Session-Id."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    async with Client(streamable_http_client(f"{world.servers[0].url}/mcp", http_client=http), mode=mode) as client:
        return client.protocol_version, await client.call_tool(tool, arguments)


async def read_then_write_in_new_sessions(world: FlowWorld) -> list[tuple[str, Any]]:
    before = await call(world, "legacy", "create_issue_comment", COMMENT)
    read = await call(world, "legacy", "get_file_contents",
                      {"owner": "acme", "repo": "roadmap", "filepath": "notes/plan.md"})
    assert read[1].is_error is False
    return [before, await call(world, "legacy", "create_issue_comment", COMMENT),
            await call(world, "auto", "create_issue_comment", COMMENT)]


def test_new_session_or_stateless_revision_with_the_same_key_keeps_the_window(sdk_world: FlowWorld) -> None:
    (_, before), (legacy, again), (stateless, later) = asyncio.run(read_then_write_in_new_sessions(sdk_world))
    assert before.is_error is False  # nothing read yet: the same write was allowed
    assert (legacy, stateless) == ("2025-11-25", "2026-07-28")
    for refused in (again, later):
        assert refused.is_error is True
        assert "Refused by the flow guard" in refused.content[0].text
        assert "acme/roadmap" in refused.content[0].text
