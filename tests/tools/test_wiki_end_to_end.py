"""The wiki toolset through a real MCP client (mcp SDK) against gunicorn serving MCP_TOOLSETS=wiki in write mode."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator
from tests.tools.write_world import REPO, WRITE_POLICY, audit_entries, gitea_get

pytestmark = pytest.mark.timeout(180)
WIKI_TOOLS = ["list_wiki_pages", "get_wiki_page", "list_wiki_page_revisions", "create_wiki_page", "update_wiki_page"]
POLICY = WRITE_POLICY + "repositories:\n  acme/service-a:\n    paths:\n      deny: ['wiki:Secret*']\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GunicornServer, Any, Path]]:
    root = tmp_path_factory.mktemp("wiki-e2e")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    with gunicorn_with_emulator(root, MCP_TOOLSETS="wiki", WRITE_MODE="true",
                                WRITE_REPOSITORY_WHITELIST="acme/service-a", POLICY_FILE=str(root / "policy.yaml"),
                                AUDIT_LOG_PATH=str(root / "audit.log")) as (server, emulator):
        yield server, emulator, root / "audit.log"


async def use_the_wiki(url: str) -> tuple[list[str], dict[str, Any]]:
    """What an agent keeping the runbooks would do: look, read, plan an edit, write, check the history."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="auto") as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        out = {
            "pages": await client.call_tool("list_wiki_pages", REPO),
            "home": await client.call_tool("get_wiki_page", {**REPO, "title": "Home"}),
            "secret": await client.call_tool("get_wiki_page", {**REPO, "title": "Secret Runbook"}),
            "plan": await client.call_tool("update_wiki_page", {**REPO, "title": "Release Process",
                                                                "content": "1. Tag.\n2. Ship.\n", "dry_run": True}),
            "created": await client.call_tool("create_wiki_page", {**REPO, "title": "On-call",
                                                                   "content": "Page the on-call.\n"}),
            "updated": await client.call_tool("update_wiki_page", {**REPO, "title": "Release Process",
                                                                   "content": "1. Tag.\n2. Ship.\n",
                                                                   "message": "Shorter process"}),
            "traversal": await client.call_tool("get_wiki_page", {**REPO, "title": "../Home"}),
        }
        out["history"] = await client.call_tool("list_wiki_page_revisions", {**REPO, "title": "Release Process"})
        return listed, out


@pytest.fixture(scope="module")
def used(world: tuple[GunicornServer, Any, Path]) -> tuple[list[str], dict[str, Any]]:
    return asyncio.run(use_the_wiki(world[0].url))


def text_of(result: Any) -> str:
    return "\n".join(part.text for part in result.content)


def test_only_the_wiki_toolset_is_served(used: tuple[list[str], dict[str, Any]]) -> None:
    assert used[0] == WIKI_TOOLS


def test_reads_show_pages_text_and_history(used: tuple[list[str], dict[str, Any]]) -> None:
    out = used[1]
    assert not out["pages"].is_error and "Secret Runbook" not in text_of(out["pages"])
    assert "[1 pages withheld by policy]" in text_of(out["pages"])
    assert "Meeting notes: [[2026-01-05 meeting]]." in text_of(out["home"])
    assert out["secret"].is_error and "wiki page 'Secret Runbook' is denied" in text_of(out["secret"])
    assert out["traversal"].is_error and "Not a wiki page title" in text_of(out["traversal"])
    history = out["history"].structured_content
    assert [r["message"] for r in history["items"]] == ["Shorter process", 'Add "Release Process"']


def test_writes_land_in_gitea_and_the_plan_showed_the_diff(used: tuple[list[str], dict[str, Any]],
                                                           world: tuple[GunicornServer, Any, Path]) -> None:
    _, emulator, audit_log = world
    out = used[1]
    assert "-2. Write the notes.\n" in out["plan"].structured_content["diff"]
    assert not out["created"].is_error and not out["updated"].is_error, text_of(out["updated"])
    page = gitea_get(emulator, "/repos/acme/service-a/wiki/page/Release-Process")
    assert base64.b64decode(page["content_base64"]) == b"1. Tag.\n2. Ship.\n"
    assert gitea_get(emulator, "/repos/acme/service-a/wiki/page/On-call.-")["commit_count"] == 1
    writes = [(e["tool"], e["status"]) for e in audit_entries(audit_log)
              if e.get("event") == "tool_invocation" and e["tool"] in WIKI_TOOLS[3:]]
    assert writes == [("update_wiki_page", "pending"), ("update_wiki_page", "dry_run"),
                      ("create_wiki_page", "pending"), ("create_wiki_page", "success"),
                      ("update_wiki_page", "pending"), ("update_wiki_page", "success")]
