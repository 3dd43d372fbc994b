"""Fixtures for MCP transport tests: the Gitea emulator and real gunicorn servers in front of it."""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env, free_port
from tests.fixtures.redis import RedisServer

API_KEY = TEST_API_KEY


@dataclass
class RunningEmulator:
    """A Gitea emulator on loopback with alice's token."""

    url: str
    token: str


@pytest.fixture(scope="session")
def gitea() -> Iterator[RunningEmulator]:
    """The emulator with the demo world, served from a thread of the test process."""
    from tests.emulator.app import create_emulator, write_credentials
    from tests.emulator.server import EmulatorServer

    port = free_port()
    state = tempfile.mkdtemp(prefix="aegis-mcp-emulator-")
    app = create_emulator(state, f"http://127.0.0.1:{port}/")
    emulator = app.extensions["gitea_emulator"]
    server = EmulatorServer("127.0.0.1", port, app, emulator.faults, emulator.traffic)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with open(write_credentials(app, state), encoding="utf-8") as handle:
        token = json.load(handle)["users"]["alice"]["token"]
    yield RunningEmulator(f"http://127.0.0.1:{port}", token)
    server.shutdown()


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
