"""Fixtures for tool tests: one real emulator per session and a caller that runs tools through execute_tool."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.audit.events import correlation_id_from
from app.auth.principal import READ_SCOPE, Principal
from app.config import Settings
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.tools import build_catalog
from app.tools.call import ToolCall
from app.tools.execution import ToolResult, ToolRuntime, execute_tool
from app.tools.shaping import fence_note
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_LIMITS

Caller = Callable[..., ToolResult]
RuntimeFactory = Callable[..., ToolRuntime]


@pytest.fixture(scope="session")
def tools_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The Gitea emulator with the demo world (acme/service-a, alice/private-notes, ...)."""
    emulator = EmulatorProcess().start(str(tmp_path_factory.mktemp("tools-emulator")))
    yield emulator
    emulator.stop()


def tool_settings(base_url: str, **overrides: Any) -> Settings:
    values = {
        "GITEA_URL": base_url, "MCP_API_KEYS": "k" * 40, "AUDIT_LOG_PATH": "/dev/null", **TEST_LIMITS, **overrides
    }
    return Settings.from_mapping(values)


@pytest.fixture
def make_runtime(tools_emulator: EmulatorProcess) -> Iterator[Callable[..., ToolRuntime]]:
    """Factory: a ToolRuntime on the emulator, settings overridable (MAX_TOOL_RESPONSE_CHARS=...)."""
    clients: list[GiteaClient] = []

    def build(**overrides: Any) -> ToolRuntime:
        settings = tool_settings(tools_emulator.base_url, **overrides)
        client = GiteaClient(tools_emulator.base_url, 10.0, 4, settings.max_file_size_bytes)
        clients.append(client)
        return ToolRuntime(settings, build_catalog(settings), client)

    yield build
    for client in clients:
        client.close()


def principal_for(emulator: EmulatorProcess, login: str, scopes: frozenset[str] = frozenset({READ_SCOPE})) -> Principal:
    upstream = GiteaCredentials("token", emulator.token(login))
    return Principal(login, scopes, "test-client", "api_key", upstream)


@pytest.fixture
def call_tool(tools_emulator: EmulatorProcess, make_runtime: Callable[..., ToolRuntime]) -> Caller:
    """call_tool(name, as_user="alice", runtime=None, **arguments) through the real execute_tool."""
    default_runtime = make_runtime()

    def call(name: str, as_user: str = "alice", runtime: ToolRuntime | None = None, **arguments: Any) -> ToolResult:
        return run_tool(runtime or default_runtime, principal_for(tools_emulator, as_user), name, arguments)

    return call


FENCE_NONCE = re.compile(r"untrusted-[0-9a-f]{10}")


def plain_fences(text: str) -> str:
    """A result's text with its fence nonce read as plain `untrusted` (the nonce is random per result)."""
    return FENCE_NONCE.sub("untrusted", text)


PLAIN_FENCE_NOTE = plain_fences(fence_note("0" * 10))


def run_tool(runtime: ToolRuntime, principal: Principal, name: str, arguments: Any, **fields: Any) -> ToolResult:
    """execute_tool as a transport calls it: a ToolCall with a fresh correlation id, and the runtime."""
    call = ToolCall(principal, name, arguments, correlation_id_from(None), **{"request_id": "test", **fields})
    return execute_tool(runtime, call)


def assert_ok(result: ToolResult, name: str) -> dict[str, Any]:
    """A successful result whose structured content validates against the tool's output schema."""
    import jsonschema

    assert not result.is_error, result.text
    assert result.structured is not None
    tool = build_catalog(tool_settings("http://127.0.0.1:9")).get(name)
    assert tool is not None
    jsonschema.validate(result.structured, tool.output_schema)
    # MCP_OUTPUT_SCHEMAS=compact (the default) publishes only the top-level names: the same result fits it too.
    jsonschema.validate(result.structured, tool.compact_output_schema)
    return result.structured


def emulator_requests(emulator: EmulatorProcess, reset: bool = False) -> int:
    """Requests the emulator has served since the last reset (its /_emulator/stats counter)."""
    import requests

    count: int = requests.get(f"{emulator.base_url}/_emulator/stats", timeout=5).json()["requests"]
    if reset:
        requests.post(f"{emulator.base_url}/_emulator/stats/reset", timeout=5)
    return count
