"""The six gates of a write, in order, each refusing with a message that names it; dry runs write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.auth.principal import READ_SCOPE, Principal
from app.config import Settings, SettingsError
from app.tools import build_catalog
from app.tools.call import InsufficientScope
from tests.emulator.process import EmulatorProcess
from tests.tools.write_world import (
    REPO,
    audit_entries,
    gitea_get,
    run,
    write_emulator,
    write_runtime,
    writer,
    writes_received,
)

__all__ = ["write_emulator"]  # the module's own emulator fixture
FAKE_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
ISSUE = {**REPO, "title": "Gate test issue", "body": "Filed by the gate tests."}


def issue_titles(emulator: EmulatorProcess) -> list[str]:
    return [issue["title"] for issue in gitea_get(emulator, "/repos/acme/service-a/issues", state="all", limit=50)]


def test_write_mode_off_hides_write_tools_and_refuses_them(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log", WRITE_MODE="false")
    alice = Principal("alice", frozenset({READ_SCOPE}), None, "api_key")
    assert all(not tool.is_write for tool in runtime.catalog.visible_tools(alice))
    refused = run(runtime, writer(write_emulator), "create_issue", **ISSUE)
    assert refused.is_error and "write mode is disabled" in refused.text and "WRITE_MODE=false" in refused.text
    assert audit_entries(tmp_path / "audit.log")[-1]["rule"] == "write_mode"


def test_start_up_refuses_write_mode_without_a_whitelist_and_says_what_to_set() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_mapping({"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": "k" * 40, "WRITE_MODE": "true"})
    assert "WRITE_REPOSITORY_WHITELIST" in str(raised.value) and "WRITE_ALLOW_ALL_TOKEN_REPOS" in str(raised.value)


def test_write_mode_on_lists_every_write_tool_the_policy_allows(write_emulator: EmulatorProcess,
                                                                 tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    visible = {tool.name for tool in runtime.catalog.visible_tools(writer(write_emulator))}
    assert {"create_issue", "remove_labels", "create_branch", "edit_release"} <= visible


def test_whitelist_is_case_insensitive_and_refuses_other_repositories(write_emulator: EmulatorProcess,
                                                                       tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    planned = run(runtime, writer(write_emulator), "create_issue", **{**ISSUE, "owner": "ACME", "repo": "Service-A"},
                  dry_run=True)
    refused = run(runtime, writer(write_emulator), "create_issue", **{**ISSUE, "owner": "bob", "repo": "dotfiles"})
    assert not planned.is_error, planned.text
    assert refused.is_error and "not in WRITE_REPOSITORY_WHITELIST" in refused.text and "bob/dotfiles" in refused.text
    assert audit_entries(tmp_path / "audit.log")[-1]["rule"] == "write_repository_whitelist"


def test_whitelist_gate_comes_before_scope(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    reader = writer(write_emulator, scopes=frozenset({READ_SCOPE}))
    refused = run(runtime, reader, "create_issue", **{**ISSUE, "owner": "bob", "repo": "dotfiles"})
    assert refused.is_error and "WRITE_REPOSITORY_WHITELIST" in refused.text


def test_missing_write_scope_is_a_403_step_up_and_audited(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    with pytest.raises(InsufficientScope) as raised:
        run(runtime, writer(write_emulator, scopes=frozenset({READ_SCOPE})), "create_issue", **ISSUE)
    assert raised.value.status == 403 and "write:repository" in raised.value.message
    assert 'error="insufficient_scope"' in raised.value.headers["WWW-Authenticate"]
    assert audit_entries(tmp_path / "audit.log")[-1]["rule"] == "scope"


def test_policy_denies_writes_by_default(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log", policy="defaults:\n  read: allow\n")
    assert all(not tool.is_write for tool in runtime.catalog.visible_tools(writer(write_emulator)))
    refused = run(runtime, writer(write_emulator), "create_issue", **ISSUE)
    assert refused.is_error and "Denied by policy" in refused.text and "defaults.write" in refused.text


def test_policy_can_deny_one_write_tool(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    policy = "defaults:\n  write: allow\ntools:\n  deny:\n    - create_release\n"
    runtime = write_runtime(write_emulator, tmp_path / "audit.log", policy=policy)
    refused = run(runtime, writer(write_emulator), "create_release", **REPO, tag_name="v9.9.9")
    assert refused.is_error and "Denied by policy" in refused.text and "tools.deny" in refused.text
    assert "create_release" not in {t.name for t in runtime.catalog.visible_tools(writer(write_emulator))}


@pytest.mark.parametrize(("name", "arguments", "field"), [
    ("create_issue", {"title": "Deploy notes", "body": f"use {FAKE_TOKEN} to deploy"}, "body"),
    ("create_issue", {"title": f"token {FAKE_TOKEN}"}, "title"),
    ("create_issue_comment", {"issue_number": 1, "body": f"here: {FAKE_TOKEN}"}, "body"),
    ("create_release", {"tag_name": "v8.0.0", "body": f"notes {FAKE_TOKEN}"}, "body"),
])
def test_inbound_secret_in_free_text_is_refused_and_never_logged(
    write_emulator: EmulatorProcess, tmp_path: Path, name: str, arguments: dict[str, object], field: str
) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    before = writes_received(write_emulator)
    refused = run(runtime, writer(write_emulator), name, **REPO, **arguments)
    assert refused.is_error and refused.text.startswith("Inbound secret check:")
    assert f"'{field}'" in refused.text and "github_token" in refused.text and FAKE_TOKEN not in refused.text
    assert writes_received(write_emulator) == before
    entry = audit_entries(tmp_path / "audit.log")[-1]
    assert entry["rule"] == "inbound_secrets" and FAKE_TOKEN not in (tmp_path / "audit.log").read_text()


def test_audit_record_is_written_first_and_a_failing_audit_log_refuses_the_write(
    write_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "missing-dir" / "audit.log")
    before = issue_titles(write_emulator)
    refused = run(runtime, writer(write_emulator), "create_issue", **ISSUE)
    assert refused.is_error and refused.status == "audit_unavailable" and "audit log" in refused.text
    assert issue_titles(write_emulator) == before


def test_a_write_is_audited_pending_then_success(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    made = run(runtime, writer(write_emulator), "create_issue", **ISSUE)
    assert not made.is_error, made.text
    entries = audit_entries(tmp_path / "audit.log")
    assert [(e["tool"], e["status"]) for e in entries] == [("create_issue", "pending"), ("create_issue", "success")]
    assert entries[0]["repository"] == "acme/service-a" and entries[0]["arguments"]["title"] == ISSUE["title"]


DRY_RUNS: dict[str, tuple[dict[str, Any], str, str]] = {
    "create_issue": ({"title": "Dry", "labels": ["BUG", "documentation"], "milestone": "v1.1"},
                     "POST", "/api/v1/repos/acme/service-a/issues"),
    "update_issue": ({"issue_number": 2, "state": "closed", "milestone": 0},
                     "PATCH", "/api/v1/repos/acme/service-a/issues/2"),
    "create_issue_comment": ({"issue_number": 1, "body": "dry"},
                             "POST", "/api/v1/repos/acme/service-a/issues/1/comments"),
    "create_pr_comment": ({"pull_number": 6, "body": "dry"}, "POST", "/api/v1/repos/acme/service-a/issues/6/comments"),
    "edit_issue_comment": ({"comment_id": 1, "body": "dry"}, "PATCH", "/api/v1/repos/acme/service-a/issues/comments/1"),
    "add_labels": ({"issue_number": 2, "labels": ["bug"]}, "POST", "/api/v1/repos/acme/service-a/issues/2/labels"),
    "remove_labels": ({"issue_number": 1, "labels": ["bug"]}, "PUT", "/api/v1/repos/acme/service-a/issues/1/labels"),
    "assign_issue": ({"issue_number": 2, "assignees": ["bob"]},
                     "POST", "/api/v1/repos/acme/service-a/issues/2/assignees"),
    "create_label": ({"name": "dry", "color": "#ABC"}, "POST", "/api/v1/repos/acme/service-a/labels"),
    "update_label": ({"name": "Bug", "color": "00FF00"}, "PATCH", "/api/v1/repos/acme/service-a/labels/3"),
    "create_pull_request": ({"title": "dry", "head": "develop", "base": "main"},
                            "POST", "/api/v1/repos/acme/service-a/pulls"),
    "create_release": ({"tag_name": "v7.0.0", "draft": True}, "POST", "/api/v1/repos/acme/service-a/releases"),
    "edit_release": ({"release_id": 2, "draft": True}, "PATCH", "/api/v1/repos/acme/service-a/releases/2"),
    "create_branch": ({"new_branch_name": "dry/branch", "old_branch_name": "v1.0.0"},
                      "POST", "/api/v1/repos/acme/service-a/branches"),
    "create_milestone": ({"title": "dry"}, "POST", "/api/v1/repos/acme/service-a/milestones"),
    "create_pull_request_review": ({"pull_number": 6, "event": "COMMENT", "body": "dry"},
                                   "POST", "/api/v1/repos/acme/service-a/pulls/6/reviews"),
    "create_wiki_page": ({"title": "Dry Page", "content": "dry"}, "POST", "/api/v1/repos/acme/service-a/wiki/new"),
    "update_wiki_page": ({"title": "Home", "content": "dry"}, "PATCH", "/api/v1/repos/acme/service-a/wiki/page/Home"),
}
DRY_RUNS |= {
    "rerun_workflow_run": ({"run_id": 2}, "POST", "/api/v1/repos/acme/service-a/actions/runs/2/rerun"),
    "rerun_failed_jobs": ({"run_id": 2}, "POST", "/api/v1/repos/acme/service-a/actions/runs/2/rerun-failed-jobs"),
}


def test_every_write_tool_has_a_dry_run_case() -> None:
    runtime_tools = build_catalog(Settings.from_mapping({"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": "k" * 40}))
    assert set(DRY_RUNS) == {tool.name for tool in runtime_tools if tool.is_write}


@pytest.mark.parametrize("name", sorted(DRY_RUNS))
def test_dry_run_returns_the_exact_request_and_policy_and_writes_nothing(
    write_emulator: EmulatorProcess, tmp_path: Path, name: str
) -> None:
    arguments, method, path = DRY_RUNS[name]
    runtime = write_runtime(write_emulator, tmp_path / "audit.log", MCP_TOOLSETS="all")
    before = writes_received(write_emulator)
    result = run(runtime, writer(write_emulator), name, **REPO, **arguments, dry_run=True)
    assert not result.is_error, result.text
    assert result.structured is not None and result.structured["dry_run"] is True
    assert result.structured["request"]["method"] == method and result.structured["request"]["path"] == path
    assert result.structured["policy"] == {"allowed": True, "rule": "defaults.write",
                                           "reason": f"defaults.write allows write tool '{name}'"}
    assert writes_received(write_emulator) == before
    assert [e["status"] for e in audit_entries(tmp_path / "audit.log")] == ["pending", "dry_run"]


def test_dry_run_body_is_what_gitea_would_receive(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log")
    issue = run(runtime, writer(write_emulator), "create_issue", **REPO, **DRY_RUNS["create_issue"][0], dry_run=True)
    label = run(runtime, writer(write_emulator), "create_label", **REPO, name="dry", color="#ABC", dry_run=True)
    removal = run(runtime, writer(write_emulator), "remove_labels", **REPO, issue_number=1, labels=["bug"],
                  dry_run=True)
    assert issue.structured is not None and label.structured is not None and removal.structured is not None
    v11 = next(m["id"] for m in gitea_get(write_emulator, "/repos/acme/service-a/milestones", state="all")
               if m["title"] == "v1.1")
    assert issue.structured["request"]["body"] == {"title": "Dry", "labels": [3, 1], "milestone": v11}
    assert label.structured["request"]["body"] == {"name": "dry", "color": "#aabbcc"}
    assert removal.structured["request"]["body"] == {"labels": [5]}  # priority/high stays on #1
    assert "Would send PUT /api/v1/repos/acme/service-a/issues/1/labels" in removal.text
