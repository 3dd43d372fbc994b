"""execute_tool itself: authorization order, policy, audit, metrics, upstream 401, cancellation, progress."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client import REGISTRY

from app.audit import AuditChain, AuditRecorder
from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.gitea.credentials import GiteaCredentials
from app.policy import Policy
from app.tools.call import InsufficientScope, ToolCall, UnknownTool, UpstreamUnauthorized
from app.tools.registry import Annotations, Catalog, Tool
from schemas.common import RepoArgs
from tests.emulator.process import EmulatorProcess
from tests.tools.conftest import Caller, RuntimeFactory, assert_ok, principal_for, run_tool

POLICY = """
defaults:
  read: allow
  write: deny
tools:
  deny:
    - list_repo_topics
repositories:
  acme/service-a:
    paths:
      deny:
        - src/secrets/*
"""


def touch_topics(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """A write-scoped tool for the authorization tests: it only reads, the core decides."""
    return {"topics": gitea.get_topics(args["owner"], args["repo"])}


WRITE_TOOL = Tool(
    name="touch_topics", title="Touch topics", description="Test-only write-scoped tool.", toolset="repos",
    arguments=RepoArgs, output_schema={"type": "object"}, handler=touch_topics, render=lambda out: "done",
    annotations=Annotations(read_only=False), scope=WRITE_SCOPE,
)


def writer(emulator: EmulatorProcess, scopes: frozenset[str] = frozenset({READ_SCOPE, WRITE_SCOPE})) -> Principal:
    return principal_for(emulator, "alice", scopes)


def run(runtime: Any, principal: Principal, name: str, **arguments: Any) -> Any:
    return run_tool(runtime, principal, name, arguments, request_id="core-test")


def write_runtime(make_runtime: RuntimeFactory, **settings: str) -> Any:
    runtime = make_runtime(**settings)
    runtime.catalog = Catalog([WRITE_TOOL], write_mode=runtime.settings.write_mode)
    return runtime


def test_unknown_tool_raises_for_the_transport(call_tool: Caller) -> None:
    with pytest.raises(UnknownTool):
        call_tool("delete_everything")


def test_write_tool_is_refused_when_write_mode_is_off(
    make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess
) -> None:
    result = run(write_runtime(make_runtime), writer(tools_emulator), "touch_topics", owner="acme", repo="service-a")
    assert result.is_error and result.status == "denied" and "WRITE_MODE=false" in result.text


def test_write_tool_without_write_scope_asks_for_step_up(make_runtime: RuntimeFactory,
                                                        tools_emulator: EmulatorProcess) -> None:
    runtime = write_runtime(make_runtime, WRITE_MODE="true", WRITE_ALLOW_ALL_TOKEN_REPOS="true")
    with pytest.raises(InsufficientScope) as raised:
        run(runtime, writer(tools_emulator, frozenset({READ_SCOPE})), "touch_topics", owner="acme", repo="service-a")
    assert raised.value.status == 403
    challenge = raised.value.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="write:repository"' in challenge


def test_write_outside_the_whitelist_is_refused(make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess) -> None:
    runtime = write_runtime(make_runtime, WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="acme/service-a")
    assert not run(runtime, writer(tools_emulator), "touch_topics", owner="ACME", repo="Service-A").is_error
    refused = run(runtime, writer(tools_emulator), "touch_topics", owner="bob", repo="dotfiles")
    assert refused.is_error and "WRITE_REPOSITORY_WHITELIST" in refused.text


def test_policy_denies_tools_and_paths_and_every_call_is_audited(
    make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    runtime = make_runtime()
    policy = Policy.parse(POLICY)
    runtime.policy = lambda: policy
    runtime.audit = AuditRecorder(AuditChain(str(tmp_path / "audit.log")))
    alice = principal_for(tools_emulator, "alice")
    topics = run(runtime, alice, "list_repo_topics", owner="acme", repo="service-a")
    secret = run(runtime, alice, "get_file_contents", owner="acme", repo="service-a",
                 filepath="src/secrets/production.py")
    allowed = run(runtime, alice, "get_file_contents", owner="acme", repo="service-a", filepath="README.md")
    assert topics.is_error and "Denied by policy" in topics.text
    assert secret.is_error and "src/secrets/production.py" in secret.text and "AKIA" not in secret.text
    assert "Orders for ACME" in allowed.text
    entries = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert [(e["event"], e["tool"], e["status"]) for e in entries] == [
        ("access_denied", "list_repo_topics", "denied"),
        ("access_denied", "get_file_contents", "denied"),
        ("tool_invocation", "get_file_contents", "success"),
    ]
    assert entries[0]["principal"] == "alice" and entries[0]["repository"] == "acme/service-a"


def test_policy_withholds_paths_from_trees_and_search(make_runtime: RuntimeFactory,
                                                      tools_emulator: EmulatorProcess) -> None:
    runtime = make_runtime()
    policy = Policy.parse(POLICY)
    runtime.policy = lambda: policy
    alice = principal_for(tools_emulator, "alice")
    tree = assert_ok(run(runtime, alice, "get_file_tree", owner="acme", repo="service-a", recursive=True),
                     "get_file_tree")
    hits = assert_ok(run(runtime, alice, "search_code", owner="acme", repo="service-a", query="password"),
                     "search_code")
    assert "src/secrets/production.py" not in {e["path"] for e in tree["items"]} and tree["withheld"] >= 1
    assert all(not m["path"].startswith("src/secrets/") for m in hits["items"])


def test_write_is_audited_before_it_acts_and_refused_when_the_audit_log_fails(
    make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    runtime = write_runtime(make_runtime, WRITE_MODE="true", WRITE_ALLOW_ALL_TOKEN_REPOS="true")
    runtime.audit = AuditRecorder(AuditChain(str(tmp_path / "audit.log")))
    assert not run(runtime, writer(tools_emulator), "touch_topics", owner="acme", repo="service-a").is_error
    entries = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert [e["status"] for e in entries] == ["pending", "success"]
    runtime.audit = AuditRecorder(AuditChain(str(tmp_path / "missing-dir" / "audit.log")))
    refused = run(runtime, writer(tools_emulator), "touch_topics", owner="acme", repo="service-a")
    assert refused.is_error and refused.status == "audit_unavailable"


def test_read_whose_audit_fails_follows_audit_fail_mode(make_runtime: RuntimeFactory,
                                                         tools_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = make_runtime()
    alice = principal_for(tools_emulator, "alice")
    runtime.audit = AuditRecorder(AuditChain(str(tmp_path / "missing-dir" / "audit.log")), "closed")
    closed = run(runtime, alice, "get_branch", owner="acme", repo="service-a", branch="main")
    assert closed.status == "audit_unavailable" and "main" not in closed.text
    runtime.audit = AuditRecorder(AuditChain(str(tmp_path / "missing-dir" / "audit.log")), "open")
    assert not run(runtime, alice, "get_branch", owner="acme", repo="service-a", branch="main").is_error


def test_metrics_count_calls_by_tool_and_status(call_tool: Caller) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("aegis_tool_calls_total", tool="get_branch", status="success")
    missing_before = sample("aegis_tool_calls_total", tool="get_branch", status="not_found")
    count_before = sample("aegis_tool_duration_seconds_count", tool="get_branch")
    call_tool("get_branch", owner="acme", repo="service-a", branch="main")
    call_tool("get_branch", owner="acme", repo="service-a", branch="missing")
    assert sample("aegis_tool_calls_total", tool="get_branch", status="success") == before + 1
    assert sample("aegis_tool_calls_total", tool="get_branch", status="not_found") == missing_before + 1
    assert sample("aegis_tool_duration_seconds_count", tool="get_branch") == count_before + 2


def test_gitea_401_for_the_service_token_is_a_result_and_for_a_user_token_a_401(
    make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess
) -> None:
    token = tools_emulator.token("bob", "read-all")
    requests.post(f"{tools_emulator.base_url}/_emulator/tokens/bob/revoke", json={"token": token}, timeout=5)
    service = Principal("bob", frozenset({READ_SCOPE}), "api-key-1", "api_key", GiteaCredentials("token", token))
    result = run(make_runtime(), service, "list_branches", owner="acme", repo="service-a")
    assert result.is_error and "GITEA_TOKEN" in result.text
    user = Principal("bob", service.scopes, "client", "oauth", service.upstream)
    with pytest.raises(UpstreamUnauthorized) as raised:
        run(make_runtime(), user, "list_branches", owner="acme", repo="service-a")
    assert 'error="invalid_token"' in raised.value.headers["WWW-Authenticate"]


def test_cancelled_call_stops_before_calling_gitea(
    make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess
) -> None:
    cancelled = threading.Event()
    cancelled.set()
    result = run_tool(make_runtime(), principal_for(tools_emulator, "alice"), "list_branches",
                      {"owner": "acme", "repo": "service-a"}, cancelled=cancelled)
    assert result.is_error and result.status == "cancelled"


def test_search_code_reports_progress_while_downloading(make_runtime: RuntimeFactory,
                                                        tools_emulator: EmulatorProcess) -> None:
    reports: list[tuple[float, float | None, str | None]] = []
    run_tool(make_runtime(), principal_for(tools_emulator, "alice"), "search_code",
             {"owner": "bob", "repo": "dotfiles", "query": "hello"}, progress=lambda *args: reports.append(args))
    assert reports and "archive" in (reports[0][2] or "")


def test_result_to_mcp_by_revision(call_tool: Caller) -> None:
    result = call_tool("get_branch", owner="acme", repo="service-a", branch="main")
    modern, legacy = result.to_mcp("2025-06-18"), result.to_mcp("2025-03-26")
    assert modern["structuredContent"]["name"] == "main" and modern["isError"] is False
    assert "structuredContent" not in legacy and legacy["content"][0]["type"] == "text"
