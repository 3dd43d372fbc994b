"""What write tools mean: names resolved or refused whole, milestones, colours, required fields, upstream failures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.tools.execution import ToolRuntime
from app.tools.registry import Catalog
from tests.emulator.process import EmulatorProcess
from tests.tools.conftest import assert_ok
from tests.tools.write_world import (
    REPO,
    audit_entries,
    gitea_get,
    recorded_requests,
    run,
    write_emulator,
    write_runtime,
    writer,
    writes_received,
)

__all__ = ["write_emulator"]
ISSUES = "/repos/acme/service-a/issues"


@pytest.fixture
def runtime(write_emulator: EmulatorProcess, tmp_path: Path) -> Iterator[ToolRuntime]:
    built = write_runtime(write_emulator, tmp_path / "audit.log", WRITE_ALLOW_ALL_TOKEN_REPOS="true")
    yield built
    built.gitea.close()


def call(runtime: ToolRuntime, emulator: EmulatorProcess, tool: str, /, **arguments: Any) -> Any:
    return run(runtime, writer(emulator), tool, **{**REPO, **arguments})


def issue(emulator: EmulatorProcess, number: int) -> dict[str, Any]:
    found: dict[str, Any] = gitea_get(emulator, f"{ISSUES}/{number}")
    return found


def label_names(raw: dict[str, Any]) -> list[str]:
    return sorted(label["name"] for label in raw["labels"] or [])


def test_label_names_resolve_case_insensitively_against_repository_and_organization(
    runtime: ToolRuntime, write_emulator: EmulatorProcess
) -> None:
    result = call(runtime, write_emulator, "create_issue", title="Labelled", labels=["BUG", "Good First Issue"])
    made = assert_ok(result, "create_issue")
    assert label_names(issue(write_emulator, made["number"])) == ["bug", "good first issue"]
    assert made["ignored"] == []


def test_unknown_labels_are_all_listed_and_nothing_is_written(runtime: ToolRuntime,
                                                              write_emulator: EmulatorProcess) -> None:
    before = writes_received(write_emulator)
    refused = call(runtime, write_emulator, "create_issue", title="Never filed", labels=["bug", "nope", "Missing"])
    added = call(runtime, write_emulator, "add_labels", issue_number=2, labels=["enhancement", "nope"])
    assert refused.is_error and refused.status == "invalid_arguments"
    assert "'nope', 'Missing'" in refused.text and "Nothing was written" in refused.text and "bug," in refused.text
    assert added.is_error and "'nope'" in added.text
    assert writes_received(write_emulator) == before
    assert label_names(issue(write_emulator, 2)) == ["enhancement"]


def test_add_and_remove_labels_change_only_those_labels(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    added = assert_ok(call(runtime, write_emulator, "add_labels", issue_number=5, labels=["Documentation"]),
                      "add_labels")
    removed = assert_ok(call(runtime, write_emulator, "remove_labels", issue_number=5,
                             labels=["PRIORITY/LOW", "enhancement"]), "remove_labels")
    assert added["added"] == ["documentation"] and "documentation" in added["labels"]
    assert removed["removed"] == ["priority/low"] and removed["not_present"] == ["enhancement"]
    assert label_names(issue(write_emulator, 5)) == ["bug", "documentation"]
    assert added["html_url"] == removed["html_url"] == issue(write_emulator, 5)["html_url"]


def test_remove_labels_sends_nothing_when_none_is_on_the_issue(runtime: ToolRuntime,
                                                               write_emulator: EmulatorProcess) -> None:
    number = assert_ok(call(runtime, write_emulator, "create_issue", title="Only bug", labels=["bug"]),
                       "create_issue")["number"]
    before = writes_received(write_emulator)
    for dry_run in (False, True):
        result = call(runtime, write_emulator, "remove_labels", issue_number=number, labels=["Documentation"],
                      dry_run=dry_run)
        assert result.is_error is False and result.structured["removed"] == []
        assert f"#{number} unchanged: documentation were not on it, so nothing was sent" in result.text
    assert writes_received(write_emulator) == before and label_names(issue(write_emulator, number)) == ["bug"]
    planned = call(runtime, write_emulator, "remove_labels", issue_number=number, labels=["bug"], dry_run=True)
    assert planned.structured["request"]["method"] == "PUT" and writes_received(write_emulator) == before


def test_milestone_by_title_of_a_closed_one_by_id_and_zero_clears(runtime: ToolRuntime,
                                                                   write_emulator: EmulatorProcess) -> None:
    milestones = {m["title"]: m["id"] for m in gitea_get(write_emulator, "/repos/acme/service-a/milestones",
                                                         state="all")}
    by_title = assert_ok(call(runtime, write_emulator, "create_issue", title="Late", milestone="V1.0"), "create_issue")
    by_id = assert_ok(call(runtime, write_emulator, "update_issue", issue_number=by_title["number"],
                           milestone=milestones["Backlog"]), "update_issue")
    assert by_title["milestone"] == "v1.0" and by_id["milestone"] == "Backlog"
    cleared = assert_ok(call(runtime, write_emulator, "update_issue", issue_number=by_title["number"], milestone=0),
                        "update_issue")
    assert cleared["milestone"] is None and issue(write_emulator, by_title["number"])["milestone"] is None


def test_unknown_milestone_is_refused_before_any_write(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    before = writes_received(write_emulator)
    by_title = call(runtime, write_emulator, "create_issue", title="Never", milestone="v9")
    by_id = call(runtime, write_emulator, "update_issue", issue_number=1, milestone=999)
    assert by_title.is_error and "Unknown milestone 'v9'" in by_title.text and "v1.1 (id" in by_title.text
    assert by_id.is_error and "Unknown milestone id 999" in by_id.text
    assert writes_received(write_emulator) == before


@pytest.mark.parametrize(("given", "stored"), [("#ABC", "aabbcc"), ("00AABB", "00aabb"), ("#12ab9F", "12ab9f")])
def test_label_colours_are_normalised(runtime: ToolRuntime, write_emulator: EmulatorProcess, given: str,
                                      stored: str) -> None:
    made = assert_ok(call(runtime, write_emulator, "create_label", name=f"colour-{stored}", color=given),
                     "create_label")
    labels = {lb["name"]: lb for lb in gitea_get(write_emulator, "/repos/acme/service-a/labels", limit=50)}
    assert made["color"] == f"#{stored}" and labels[f"colour-{stored}"]["color"] == stored


@pytest.mark.parametrize("color", ["red", "#12", "#12345g", "#abcd", "", "0x00aabb"])
def test_bad_colour_is_a_400_before_any_upstream_call(runtime: ToolRuntime, write_emulator: EmulatorProcess,
                                                      color: str) -> None:
    before = len(recorded_requests(write_emulator))
    refused = call(runtime, write_emulator, "create_label", name="never", color=color)
    assert refused.is_error and refused.status == "invalid_arguments" and "color:" in refused.text
    assert len(recorded_requests(write_emulator)) == before


def test_update_label_renames_and_the_new_name_resolves_at_once(runtime: ToolRuntime,
                                                                 write_emulator: EmulatorProcess) -> None:
    assert_ok(call(runtime, write_emulator, "add_labels", issue_number=2, labels=["enhancement"]), "add_labels")
    renamed = assert_ok(call(runtime, write_emulator, "update_label", name="ENHANCEMENT", new_name="feature",
                             color="#0f0", description="New things"), "update_label")
    assert (renamed["name"], renamed["color"], renamed["description"]) == ("feature", "#00ff00", "New things")
    assert assert_ok(call(runtime, write_emulator, "add_labels", issue_number=3, labels=["Feature"]),
                     "add_labels")["labels"] == ["feature"]
    stale = call(runtime, write_emulator, "add_labels", issue_number=3, labels=["enhancement"])
    assert stale.is_error and "'enhancement'" in stale.text


def test_update_label_refuses_an_organization_label(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    refused = call(runtime, write_emulator, "update_label", name="documentation", color="#000000")
    assert refused.is_error and "organization label" in refused.text


@pytest.mark.parametrize(("tool", "arguments", "problem"), [
    ("update_issue", {"issue_number": 1}, "Give at least one of: title, body, state, milestone"),
    ("update_issue", {"issue_number": 1, "state": "merged"}, "state:"),
    ("update_label", {"name": "bug"}, "Give at least one of: new_name, color, description"),
    ("edit_release", {"release_id": 2}, "Give at least one of: name, body, draft, prerelease"),
    ("create_issue", {"title": "x", "milestone": 0}, "milestone:"),
    ("create_release", {"tag_name": "v1", "draft": "yes"}, "draft:"),
    ("create_issue", {"title": "x", "labels": []}, "labels:"),
    ("create_issue", {"title": "x", "unknown": 1}, "unknown:"),
    ("create_milestone", {"title": "x", "due_on": "2026-09-30"}, "due_on:"),
])
def test_invalid_write_arguments_are_refused_before_any_upstream_call(
    runtime: ToolRuntime, write_emulator: EmulatorProcess, tool: str, arguments: dict[str, Any], problem: str
) -> None:
    before = len(recorded_requests(write_emulator))
    refused = call(runtime, write_emulator, tool, **arguments)
    assert refused.is_error and refused.status == "invalid_arguments" and problem in refused.text
    assert len(recorded_requests(write_emulator)) == before


def test_duplicate_pull_request_is_a_clear_409(runtime: ToolRuntime, write_emulator: EmulatorProcess,
                                                tmp_path: Path) -> None:
    refused = call(runtime, write_emulator, "create_pull_request", title="Again", head="feature/metrics", base="main")
    assert refused.is_error and refused.status == "upstream_conflict"
    assert "already open" in refused.text and "(409)" in refused.text
    entries = audit_entries(tmp_path / "audit.log")
    assert [(e["status"], e["error"] is not None) for e in entries] == [("pending", False), ("error", True)]


def test_existing_branch_is_409_and_missing_ref_is_404(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    exists = call(runtime, write_emulator, "create_branch", new_branch_name="develop")
    missing = call(runtime, write_emulator, "create_branch", new_branch_name="fix/x", old_branch_name="no-such-ref")
    assert exists.is_error and exists.status == "upstream_conflict" and "'develop' already exists" in exists.text
    assert missing.is_error and missing.status == "not_found" and "'no-such-ref' is no branch, tag or commit" in (
        missing.text)
    assert "fix/x" not in [b["name"] for b in gitea_get(write_emulator, "/repos/acme/service-a/branches", limit=50)]


def test_missing_repository_is_404_and_audited(runtime: ToolRuntime, write_emulator: EmulatorProcess,
                                               tmp_path: Path) -> None:
    missing = run(runtime, writer(write_emulator), "create_issue", owner="acme", repo="nope", title="x")
    branch = run(runtime, writer(write_emulator), "create_branch", owner="acme", repo="nope", new_branch_name="x")
    assert missing.is_error and missing.status == "not_found" and "acme/nope" in missing.text
    assert branch.is_error and branch.status == "not_found" and "acme/nope" in branch.text
    assert [e["status"] for e in audit_entries(tmp_path / "audit.log")] == ["pending", "error", "pending", "error"]


def test_gitea_422_is_a_clear_error_and_audited(runtime: ToolRuntime, write_emulator: EmulatorProcess,
                                                tmp_path: Path) -> None:
    refused = call(runtime, write_emulator, "assign_issue", issue_number=2, assignees=["nobody"])
    assert refused.is_error and refused.status == "upstream_rejected" and "nobody" in refused.text
    assert issue(write_emulator, 2)["assignees"] is None
    entries = audit_entries(tmp_path / "audit.log")
    assert [(e["tool"], e["status"]) for e in entries] == [("assign_issue", "pending"), ("assign_issue", "error")]
    assert entries[1]["error"] == refused.text and entries[1]["correlation_id"] == entries[0]["correlation_id"]


def unrenderable(out: dict[str, Any]) -> str:
    raise KeyError("a render bug")


def test_a_write_whose_result_cannot_be_shown_is_reported_as_made_and_audited_success(
    runtime: ToolRuntime, write_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    real = runtime.catalog.get("create_issue_comment")
    assert real is not None
    broken = replace(runtime, catalog=Catalog([replace(real, render=unrenderable)], write_mode=True,
                                              policy=runtime.catalog.policy))
    result = call(broken, write_emulator, "create_issue_comment", issue_number=3, body="Shown or not, it is here.")
    assert result.is_error and result.status == "written_unshown"
    assert "the write WAS made in Gitea (acme/service-a)" in result.text and "Do not repeat the call" in result.text
    correlation = result.meta["io.aegis/correlationId"]
    assert f"request id write-test, correlation id {correlation}" in result.text
    comments = gitea_get(write_emulator, f"{ISSUES}/3/comments")
    assert [c["body"] for c in comments][-1] == "Shown or not, it is here."
    entries = audit_entries(tmp_path / "audit.log")
    assert [(e["status"], e["error"], e["correlation_id"]) for e in entries] == [
        ("pending", None, correlation), ("success", None, correlation)]


def test_pr_comment_refuses_an_issue_number(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    before = writes_received(write_emulator)
    refused = call(runtime, write_emulator, "create_pr_comment", pull_number=1, body="Wrong place")
    assert refused.is_error and "#1 is not a pull request" in refused.text
    assert writes_received(write_emulator) == before


def test_existing_release_tag_is_409(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    refused = call(runtime, write_emulator, "create_release", tag_name="v1.0.0")
    assert refused.is_error and refused.status == "upstream_conflict" and "edit_release" in refused.text


def test_update_label_changes_the_repository_label_even_when_an_organization_label_is_spelled_exactly(
    tmp_path: Path,
) -> None:
    emulator = EmulatorProcess().start(str(tmp_path / "own-emulator"))  # its own: a label named like an org one
    runtime = write_runtime(emulator, tmp_path / "audit.log", WRITE_ALLOW_ALL_TOKEN_REPOS="true")
    try:
        made = assert_ok(call(runtime, emulator, "create_label", name="DOCUMENTATION", color="#111111"),
                         "create_label")
        changed = assert_ok(call(runtime, emulator, "update_label", name="documentation", color="#222222"),
                            "update_label")
        assert (changed["id"], changed["name"], changed["color"]) == (made["id"], "DOCUMENTATION", "#222222")
        org = {lb["name"]: lb["color"] for lb in gitea_get(emulator, "/orgs/acme/labels")}
        assert org["documentation"] != "222222"
    finally:
        runtime.gitea.close()
        emulator.stop()
