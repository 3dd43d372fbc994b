"""Every read tool through a real MCP client (mcp 2.x SDK) against gunicorn and the emulator's demo world."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.tools import OPT_IN_TOOLSETS, all_tools
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator

pytestmark = pytest.mark.timeout(120)
REPO = {"owner": "acme", "repo": "service-a"}
# tool -> (arguments, text a user relies on seeing)
EXPECTED: dict[str, tuple[dict[str, Any], str]] = {
    "list_repositories": ({}, "acme/service-a"),
    "get_repository_info": (REPO, "Order service of ACME"),
    "get_repo_languages": (REPO, "Python"),
    "list_repo_topics": (REPO, "orders, python, service"),
    "get_file_contents": ({**REPO, "filepath": "README.md"}, "Orders for ACME."),
    "get_file_tree": ({**REPO, "path": "src/service_a"}, "src/service_a/handlers.py"),
    "search_code": ({**REPO, "query": "def create_order"}, "src/service_a/handlers.py:11"),
    "list_commits": ({**REPO, "limit": 1}, "Release note 22: update the changelog"),
    "get_commit_diff": ({**REPO, "sha": "feature/metrics"}, "-echo deploying"),
    "compare_refs": ({**REPO, "base": "main", "head": "feature/metrics"}, "+from service_a.metrics import observe"),
    "get_commit_status": ({**REPO, "sha": "main"}, "ci/build: success"),
    "list_issues": (REPO, "Crash on startup when the config file is missing"),
    "get_issue": ({**REPO, "issue_number": 1}, "remove config.yaml"),
    "list_issue_comments": ({**REPO, "issue_number": 1}, "I can reproduce this."),
    "list_pull_requests": (REPO, "Add metrics endpoint"),
    "get_pull_request": ({**REPO, "pull_number": 6}, "feature/metrics -> main"),
    "list_pull_request_files": ({**REPO, "pull_number": 6}, "+def observe() -> int:"),
    "list_pull_request_commits": ({**REPO, "pull_number": 6}, "Add a metrics module"),
    "list_labels": (REPO, "priority/high"),
    "list_tags": (REPO, "v1.1.0-rc.1"),
    "list_releases": (REPO, "1.1.0 RC 1"),
    "get_release": ({**REPO, "release_id": 2}, "First stable release."),
    "get_latest_release": (REPO, "First stable release."),
    "list_branches": (REPO, "feature/metrics"),
    "get_branch": ({**REPO, "branch": "develop"}, "Describe the deployment"),
    "list_organizations": ({}, "ACME Corporation"),
    "list_org_repositories": ({"org": "acme"}, "acme/service-a"),
    "list_milestones": ({**REPO, "state": "all"}, "Backlog"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    with gunicorn_with_emulator(tmp_path_factory.mktemp("e2e")) as (running, _emulator):
        yield running


async def call_every_tool(url: str) -> tuple[list[str], dict[str, Any]]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="auto") as client:
        listed = await client.list_tools()
        results = {name: await client.call_tool(name, args) for name, (args, _) in EXPECTED.items()}
        bad = await client.call_tool("list_commits", {**REPO, "page": 0})
        return [tool.name for tool in listed.tools], {**results, "bad": bad}


def test_every_read_tool_answers_a_real_client_with_the_demo_content(server: GunicornServer) -> None:
    names, results = asyncio.run(call_every_tool(server.url))
    # WRITE_MODE is off and MCP_TOOLSETS unset here: the read tools of the default toolsets.
    assert names == [tool.name for tool in all_tools() if not tool.is_write and tool.toolset not in OPT_IN_TOOLSETS]
    assert set(EXPECTED) == set(names)
    for name, (_, expected) in EXPECTED.items():
        result = results[name]
        text = result.content[0].text
        assert result.is_error is False, f"{name}: {text}"
        assert expected in text, f"{name}: {text[:500]}"
        assert isinstance(result.structured_content, dict)
    bad = results["bad"]
    assert bad.is_error is True and "page:" in bad.content[0].text
