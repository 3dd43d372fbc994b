"""MCP Inspector CLI 1.0.3 (--cli): tools/list and tools/call over Streamable HTTP and HTTP+SSE."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.gunicorn import GunicornServer, base_env
from tests.mcp.conftest import API_KEY

pytestmark = pytest.mark.timeout(180)
NODE_BIN = Path(__file__).resolve().parent / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def server(gitea: Any) -> Iterator[GunicornServer]:
    running = GunicornServer(base_env(GITEA_URL=gitea.url, GITEA_TOKEN=gitea.token, MCP_API_KEYS=API_KEY)).start()
    yield running
    running.stop()


def inspector(url: str, transport: str, *method: str) -> dict[str, Any]:
    assert (NODE_BIN / "mcp-inspector").exists(), "run `make clients` (tests/clients/setup_clients.sh) first"
    env = {**os.environ, "PATH": f"{NODE_BIN}:{os.environ['PATH']}"}
    command = [str(NODE_BIN / "mcp-inspector"), "--cli", url, "--transport", transport,
               "--header", f"Authorization: Bearer {API_KEY}", "--method", *method]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{"):])
    return output


@pytest.mark.parametrize(("path", "transport"), [("/mcp", "http"), ("/mcp/sse", "sse")])
def test_inspector_lists_tools(server: GunicornServer, path: str, transport: str) -> None:
    listed = inspector(server.url + path, transport, "tools/list")
    names = [tool["name"] for tool in listed["tools"]]
    assert {"list_repositories", "get_repository_info", "get_file_contents"} <= set(names)


@pytest.mark.parametrize(("path", "transport"), [("/mcp", "http"), ("/mcp/sse", "sse")])
def test_inspector_calls_a_tool(server: GunicornServer, path: str, transport: str) -> None:
    called = inspector(server.url + path, transport, "tools/call", "--tool-name", "get_repository_info",
                       "--tool-arg", "owner=acme", "--tool-arg", "repo=service-a")
    # The CLI exits 0 even for isError results: check the JSON.
    assert called.get("isError") is False
    assert called["structuredContent"]["full_name"] == "acme/service-a"


@pytest.mark.parametrize(("path", "transport"), [("/mcp", "http"), ("/mcp/sse", "sse")])
def test_inspector_with_toolsets_in_the_url(server: GunicornServer, path: str, transport: str) -> None:
    from tests.mcp.test_toolsets import READ_FILES_ISSUES

    url = f"{server.url}{path}?toolsets=files,issues"
    assert {tool["name"] for tool in inspector(url, transport, "tools/list")["tools"]} == READ_FILES_ISSUES
    called = inspector(url, transport, "tools/call", "--tool-name", "list_issues",
                       "--tool-arg", "owner=acme", "--tool-arg", "repo=service-a")
    assert called.get("isError") is False and called["structuredContent"]["items"]
