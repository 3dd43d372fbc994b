"""GET /mcp/tools without credentials lists exactly what an authenticated tools/list offers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.mcp.conftest import modern_headers, modern_request

pytestmark = pytest.mark.timeout(60)
POLICY = "defaults:\n  read: allow\n  write: allow\ntools:\n  deny:\n    - search_code\n    - create_release\n"


def public_names(server: GunicornServer) -> list[str]:
    listed = requests.get(f"{server.url}/mcp/tools", timeout=10)
    assert listed.status_code == 200
    return [tool["name"] for tool in listed.json()["tools"]]


def listed_names(server: GunicornServer) -> list[str]:
    reply = requests.post(f"{server.url}/mcp", json=modern_request("tools/list"),
                          headers=modern_headers("tools/list"), timeout=10)
    assert reply.status_code == 200
    return [tool["name"] for tool in reply.json()["result"]["tools"]]


def start(factory: Callable[..., GunicornServer], tmp_path: Path, write_mode: str) -> GunicornServer:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return factory(WRITE_MODE=write_mode, WRITE_REPOSITORY_WHITELIST="acme/service-a", POLICY_FILE=str(policy))


def test_read_only_server_lists_no_write_tool_and_no_policy_denied_tool(
    gunicorn_server: Callable[..., GunicornServer], tmp_path: Path
) -> None:
    server = start(gunicorn_server, tmp_path, "false")
    public = public_names(server)
    assert public == listed_names(server)
    assert "get_file_contents" in public and "search_code" not in public
    assert not {"create_issue", "create_label", "create_release"} & set(public)


def test_write_mode_server_lists_write_tools_except_policy_denied_ones(
    gunicorn_server: Callable[..., GunicornServer], tmp_path: Path
) -> None:
    server = start(gunicorn_server, tmp_path, "true")
    public = public_names(server)
    assert public == listed_names(server)
    assert {"create_issue", "create_label"} <= set(public)
    assert "create_release" not in public and "search_code" not in public
