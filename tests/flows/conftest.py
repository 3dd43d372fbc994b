"""The guarded gateway: real gunicorn (write mode, FLOW_GUARD=enforce) in front of the emulator's flows world."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import GunicornServer, base_env
from tests.fixtures.redis import RedisServer

POLICY = """\
defaults:
  write: allow
flows:
  allow:
    - from: acme/ledger
      to: acme/docs
"""
KEYS = tuple(f"flow-scenario-key-{index:03d}-0123456789abcdef" for index in range(200))


class FlowWorld:
    """Gateways (one, or two hosts sharing Redis) in front of one emulator, with their audit logs."""

    def __init__(self, servers: list[GunicornServer], emulator: EmulatorProcess, audit_logs: list[Path]) -> None:
        self.servers, self.emulator, self.audit_logs = servers, emulator, audit_logs

    def call(self, tool: str, arguments: dict[str, Any], key: str, host: int = 0) -> dict[str, Any]:
        """POST /mcp/tool/call as a client would; the CallToolResult."""
        response = requests.post(f"{self.servers[host].url}/mcp/tool/call",
                                 json={"tool": tool, "arguments": arguments},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=60)
        assert response.status_code < 500, response.text  # the REST route answers refusals with 403, 404...
        body: dict[str, Any] = response.json()
        return body.get("result", body)

    def audit_entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for log in self.audit_logs if log.exists()
                for line in log.read_text().splitlines() if line.strip()]


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(part.get("text", "") for part in result.get("content", []))


def gateway_env(root: Path, emulator: EmulatorProcess, name: str, **env: str) -> dict[str, str]:
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"), MCP_API_KEYS=",".join(KEYS),
                    WRITE_MODE="true", WRITE_ALLOW_ALL_TOKEN_REPOS="true", POLICY_FILE=str(root / "policy.yaml"),
                    MCP_TOOLSETS="all",
                    AUDIT_LOG_PATH=str(root / f"audit-{name}.log"), **env)


def flow_world(stack: ExitStack, root: Path, hosts: int, **env: str) -> FlowWorld:
    """`hosts` gateways in front of a fresh flows emulator (with REDIS_URL in `env` they share state)."""
    emulator = EmulatorProcess().start(str(root / "emulator"), seed="flows")
    stack.callback(emulator.stop)
    servers = []
    for host in range(hosts):
        server = GunicornServer(gateway_env(root, emulator, f"host{host}", **env)).start()
        stack.callback(server.stop)
        servers.append(server)
    return FlowWorld(servers, emulator, [root / f"audit-host{host}.log" for host in range(hosts)])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowWorld]:
    with ExitStack() as stack:
        yield flow_world(stack, tmp_path_factory.mktemp("flows"), 1)


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowWorld]:
    """Two gateways sharing one Redis: a read on one and a write on the other meet in the same window."""
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        yield flow_world(stack, tmp_path_factory.mktemp("flows-redis"), 2, REDIS_URL=redis.url)


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowWorld]:
    """FLOW_GUARD=warn: flagged writes go ahead and are audited as flow_warned."""
    with ExitStack() as stack:
        yield flow_world(stack, tmp_path_factory.mktemp("flows-warn"), 1, FLOW_GUARD="warn")


@pytest.fixture(scope="module")
def sdk_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowWorld]:
    """For the mcp SDK client, with the default (compact) output schemas the SDK validates."""
    with ExitStack() as stack:
        yield flow_world(stack, tmp_path_factory.mktemp("flows-sdk"), 1)
