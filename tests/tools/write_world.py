"""What the write-tool tests share: a fresh emulator (writes mutate it), reading its state back, audit entries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.audit import AuditChain, AuditRecorder
from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.gitea.client import GiteaClient
from app.policy import Policy
from app.tools import build_catalog
from app.tools.execution import ToolResult, ToolRuntime
from tests.emulator.process import EmulatorProcess
from tests.tools.conftest import principal_for, run_tool, tool_settings

REPO = {"owner": "acme", "repo": "service-a"}
WRITE_POLICY = "defaults:\n  read: allow\n  write: allow\n"
WRITER_SCOPES = frozenset({READ_SCOPE, WRITE_SCOPE})


@pytest.fixture(scope="module")
def write_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A Gitea emulator of this module's own: the demo world, changed only by this module's writes."""
    emulator = EmulatorProcess().start(str(tmp_path_factory.mktemp("write-emulator")))
    yield emulator
    emulator.stop()


def gitea_get(emulator: EmulatorProcess, path: str, login: str = "alice", **query: Any) -> Any:
    """Read the emulator's state through its Gitea API, as a person checking the result would."""
    response = requests.get(f"{emulator.base_url}/api/v1{path}", params=query, timeout=10,
                            headers={"Authorization": f"token {emulator.token(login)}"})
    response.raise_for_status()
    return response.json()


def recorded_requests(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    """Every /api/v1 request the emulator has received (its requests.jsonl)."""
    log = Path(emulator.state_dir) / "requests.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [json.loads(line) for line in lines if line.strip()]


def writes_received(emulator: EmulatorProcess) -> list[str]:
    """The non-GET requests the emulator received, as 'METHOD /path'."""
    return [f"{r['method']} {r['path']}" for r in recorded_requests(emulator) if r["method"] not in ("GET", "HEAD")]


def audit_entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_runtime(emulator: EmulatorProcess, audit_log: Path, policy: str = WRITE_POLICY,
                  **settings: str) -> ToolRuntime:
    """A runtime in write mode for acme/service-a, with a policy and a real audit chain."""
    values = {"WRITE_MODE": "true", "WRITE_REPOSITORY_WHITELIST": "acme/service-a", **settings}
    config = tool_settings(emulator.base_url, **values)
    compiled = Policy.parse(policy)
    client = GiteaClient(emulator.base_url, 10.0, 4, config.max_file_size_bytes)
    return ToolRuntime(config, build_catalog(config, lambda: compiled), client, policy=lambda: compiled,
                       audit=AuditRecorder(AuditChain(str(audit_log))))


def writer(emulator: EmulatorProcess, login: str = "alice", scopes: frozenset[str] = WRITER_SCOPES) -> Principal:
    return principal_for(emulator, login, scopes)


def run(runtime: ToolRuntime, principal: Principal, tool: str, /, **arguments: Any) -> ToolResult:
    return run_tool(runtime, principal, tool, arguments, request_id="write-test")
