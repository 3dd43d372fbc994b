"""With WRITE_MODE=false a real MCP client (mcp 2.x SDK) against gunicorn sees no write tool and cannot call one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.tools import OPT_IN_TOOLSETS, all_tools
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator
from tests.tools.write_world import REPO, WRITE_POLICY, audit_entries, gitea_get, writes_received

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def read_only_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GunicornServer, EmulatorProcess,
                                                                                 Path]]:
    """Write mode off, though the whitelist and the policy would both allow the write."""
    root = tmp_path_factory.mktemp("write-mode-off")
    (root / "policy.yaml").write_text(WRITE_POLICY, encoding="utf-8")
    with gunicorn_with_emulator(root, WRITE_MODE="false", WRITE_REPOSITORY_WHITELIST="acme/service-a",
                                POLICY_FILE=str(root / "policy.yaml"),
                                AUDIT_LOG_PATH=str(root / "audit.log")) as (server, emulator):
        yield server, emulator, root / "audit.log"


async def list_and_create(url: str) -> tuple[list[str], Any]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="auto") as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        created = await client.call_tool("create_issue", {**REPO, "title": "Must not be filed"})
        return listed, created


def test_write_tools_are_absent_and_refused_when_write_mode_is_off(
    read_only_server: tuple[GunicornServer, EmulatorProcess, Path],
) -> None:
    server, emulator, audit_log = read_only_server
    listed, created = asyncio.run(list_and_create(server.url))
    assert listed == [tool.name for tool in all_tools() if not tool.is_write and tool.toolset not in OPT_IN_TOOLSETS]
    text = created.content[0].text
    assert created.is_error is True and "WRITE_MODE=false" in text and "create_issue" in text
    titles = [i["title"] for i in gitea_get(emulator, "/repos/acme/service-a/issues", state="all", limit=50)]
    assert "Must not be filed" not in titles and writes_received(emulator) == []
    denied = [e for e in audit_entries(audit_log) if e.get("tool") == "create_issue"]
    assert [(e["event"], e["rule"]) for e in denied] == [("access_denied", "write_mode")]
