"""Fixtures for MCP transport tests: the Gitea emulator and real gunicorn servers in front of it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env
from tests.fixtures.redis import RedisServer

API_KEY = TEST_API_KEY


@dataclass
class RunningEmulator:
    """A Gitea emulator on loopback with alice's token."""

    url: str
    token: str


@pytest.fixture(scope="session")
def gitea() -> Iterator[RunningEmulator]:
    """The emulator with the demo world, as its own process on loopback."""
    from tests.emulator.process import EmulatorProcess

    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="aegis-mcp-emulator-"))
    try:
        yield RunningEmulator(emulator.base_url, emulator.token("alice"))
    finally:
        emulator.stop()


@pytest.fixture
def mcp_server(gitea: RunningEmulator) -> Iterator[Callable[..., GunicornServer]]:
    """Factory: a real gunicorn serving the app against the emulator; extra settings as keyword arguments."""
    started: list[GunicornServer] = []

    def start(args: tuple[str, ...] = (), **env: str) -> GunicornServer:
        settings = {"GITEA_URL": gitea.url, "GITEA_TOKEN": gitea.token, "MCP_API_KEYS": API_KEY, **env}
        server = GunicornServer(base_env(**settings), extra_args=args)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def auth_headers(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}", **extra}


def modern_request(method: str, params: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": {**(params or {}), "_meta": meta}}


def modern_headers(method: str, name: str | None = None) -> dict[str, str]:
    headers = auth_headers(**{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method})
    if name is not None:
        headers["Mcp-Name"] = name
    headers["Accept"] = "application/json, text/event-stream"
    return headers
