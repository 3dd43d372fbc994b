"""mcp 1.x (its own venv, made by tests/clients/setup_clients.sh): streamable HTTP, SSE and WebSocket."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.gunicorn import GunicornServer
from tests.mcp.conftest import API_KEY

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-mcp1" / "bin" / "python"
PROBE = Path(__file__).with_name("mcp1_probe.py")


@pytest.fixture(scope="module")
def server(gitea: Any) -> Iterator[GunicornServer]:
    from tests.fixtures.gunicorn import base_env

    running = GunicornServer(base_env(GITEA_URL=gitea.url, GITEA_TOKEN=gitea.token, MCP_API_KEYS=API_KEY)).start()
    yield running
    running.stop()


def run_probe(url: str, kind: str, *tool: str) -> dict[str, Any]:
    assert PYTHON.exists(), "run `make clients` (tests/clients/setup_clients.sh) first"
    done = subprocess.run(
        [str(PYTHON), str(PROBE), url, kind, API_KEY, *tool], capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("path", "kind"), [("/mcp", "streamable"), ("/mcp/sse", "sse"), ("/mcp/ws", "websocket")]
)
def test_mcp1_client_lists_and_calls_tools(server: GunicornServer, path: str, kind: str) -> None:
    base = server.url.replace("http://", "ws://") if kind == "websocket" else server.url
    result = run_probe(base + path, kind)
    assert result["protocol_version"] in ("2025-06-18", "2025-11-25")
    assert result["server"] == "aegis-gitea-mcp"
    assert {"list_repositories", "get_repository_info", "get_file_contents"} <= set(result["tools"])
    assert result["is_error"] is False
    assert result["structured"]["full_name"] == "acme/service-a"


@pytest.mark.parametrize(
    ("path", "kind"), [("/mcp", "streamable"), ("/mcp/sse", "sse"), ("/mcp/ws", "websocket")]
)
def test_mcp1_client_with_toolsets_in_the_url(server: GunicornServer, path: str, kind: str) -> None:
    from tests.mcp.test_toolsets import READ_FILES_ISSUES

    base = server.url.replace("http://", "ws://") if kind == "websocket" else server.url
    result = run_probe(f"{base}{path}?toolsets=files,issues", kind, "list_issues")
    assert set(result["tools"]) == READ_FILES_ISSUES
    assert result["is_error"] is False and result["structured"]["items"]
    hidden = run_probe(f"{base}{path}?toolsets=files,issues", kind, "get_repository_info")
    assert hidden["is_error"] is True and "Unknown tool" in hidden["text"]


def test_websocket_without_credentials_is_refused_before_the_upgrade(server: GunicornServer) -> None:
    import requests

    response = requests.get(
        f"{server.url}/mcp/ws",
        headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "mcp"},
        timeout=10,
    )
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


