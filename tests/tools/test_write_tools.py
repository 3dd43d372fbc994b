"""Every write tool through a real MCP client (mcp 2.x SDK) against gunicorn in write mode, checked in Gitea."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.tools import all_tools
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator
from tests.tools.write_world import REPO, WRITE_POLICY, audit_entries, gitea_get, recorded_requests

pytestmark = pytest.mark.timeout(180)
SERVED = list(all_tools())  # MCP_TOOLSETS=all: the opt-in toolsets' writes too
WRITE_TOOLS = [tool.name for tool in SERVED if tool.is_write]


class WriteWorld:
    """gunicorn in write mode for acme/service-a, its emulator and its audit log."""

    def __init__(self, server: GunicornServer, emulator: EmulatorProcess, audit_log: Path) -> None:
        self.server, self.emulator, self.audit_log = server, emulator, audit_log


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WriteWorld]:
    root = tmp_path_factory.mktemp("write-e2e")
    (root / "policy.yaml").write_text(WRITE_POLICY, encoding="utf-8")
    with gunicorn_with_emulator(root, WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="ACME/Service-A",
                                MCP_TOOLSETS="all", POLICY_FILE=str(root / "policy.yaml"),
                                AUDIT_LOG_PATH=str(root / "audit.log")) as (server, emulator):
        yield WriteWorld(server, emulator, root / "audit.log")


async def write_everything(url: str) -> tuple[list[str], dict[str, Any]]:
    """Call the 20 write tools in an order where each builds on the last, as an agent triaging would."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="auto") as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        out: dict[str, Any] = {}

        async def call(name: str, /, **arguments: Any) -> dict[str, Any]:
            result = await client.call_tool(name, {**REPO, **arguments})
            assert result.is_error is False, f"{name}: {result.content}"
            out[name] = result
            return dict(result.structured_content or {})

        out["dry_run"] = await client.call_tool("create_issue", {**REPO, "title": "Not filed", "dry_run": True})
        await call("create_label", name="triage", color="#abc", description="Needs a look")
        await call("update_label", name="Triage", new_name="needs-triage", color="C0FFEE")
        await call("create_milestone", title="v2.0", description="Next major", due_on="2026-12-31T00:00:00Z")
        issue = await call("create_issue", title="Written by a real client", body="Steps to reproduce.",
                           labels=["needs-triage", "BUG"], assignees=["bob"], milestone="V2.0")
        number = issue["number"]
        await call("update_issue", issue_number=number, title="Written and retitled", state="closed")
        comment = await call("create_issue_comment", issue_number=number, body="First look.")
        await call("edit_issue_comment", comment_id=comment["id"], body="First look, edited.")
        await call("add_labels", issue_number=number, labels=["Documentation"])
        await call("remove_labels", issue_number=number, labels=["bug"])
        await call("assign_issue", issue_number=number, assignees=["alice"])
        await call("create_branch", new_branch_name="feature/written", old_branch_name="develop")
        pull = await call("create_pull_request", title="Written branch", head="feature/written", base="main",
                          body="Opened by the write test.")
        await call("create_pr_comment", pull_number=pull["number"], body="Review please.")
        release = await call("create_release", tag_name="v2.0.0", name="2.0.0", body="Big notes.", draft=True,
                             target="main")
        await call("edit_release", release_id=release["id"], name="2.0.0 final", prerelease=True)
        await call("rerun_failed_jobs", run_id=2)  # the seeded failing CI run
        await call("rerun_workflow_run", run_id=1)
        await call("create_pull_request_review", pull_number=6, event="COMMENT", body="One note.",
                   comments=[{"path": "src/service_a/metrics.py", "line": 6, "body": "Here."}])
        await call("create_wiki_page", title="Runbook", content="Restart with make run.\n")
        await call("update_wiki_page", title="Runbook", content="Restart with make demo.\n")
        return listed, out


@pytest.fixture(scope="module")
def written(world: WriteWorld) -> tuple[list[str], dict[str, Any]]:
    return asyncio.run(write_everything(world.server.url))


def test_write_mode_lists_every_tool(written: tuple[list[str], dict[str, Any]]) -> None:
    listed, _ = written
    assert listed == [tool.name for tool in SERVED] and len(WRITE_TOOLS) == 20


def test_dry_run_over_mcp_returns_the_request(written: tuple[list[str], dict[str, Any]],
                                              world: WriteWorld) -> None:
    planned = written[1]["dry_run"]
    assert planned.is_error is False and planned.structured_content["dry_run"] is True
    assert planned.structured_content["request"] == {
        "method": "POST", "path": "/api/v1/repos/acme/service-a/issues", "body": {"title": "Not filed"}}
    titles = [i["title"] for i in gitea_get(world.emulator, "/repos/acme/service-a/issues", state="all", limit=50)]
    assert "Not filed" not in titles


def test_issue_tools_leave_the_issue_as_asked(written: tuple[list[str], dict[str, Any]], world: WriteWorld) -> None:
    results = written[1]
    number = results["create_issue"].structured_content["number"]
    issue = gitea_get(world.emulator, f"/repos/acme/service-a/issues/{number}")
    assert (issue["title"], issue["state"], issue["body"]) == ("Written and retitled", "closed", "Steps to reproduce.")
    assert sorted(label["name"] for label in issue["labels"]) == ["documentation", "needs-triage"]
    assert issue["milestone"]["title"] == "v2.0"
    assert sorted(user["login"] for user in issue["assignees"]) == ["alice", "bob"]
    comments = gitea_get(world.emulator, f"/repos/acme/service-a/issues/{number}/comments")
    assert [c["body"] for c in comments] == ["First look, edited."]
    assert "needs-triage" in str(results["remove_labels"].content[0])
    assert results["add_labels"].structured_content["html_url"] == issue["html_url"]
    assert results["remove_labels"].structured_content["html_url"] == issue["html_url"]


def test_label_milestone_branch_pull_and_release_exist(written: tuple[list[str], dict[str, Any]],
                                                       world: WriteWorld) -> None:
    results = written[1]
    labels = {lb["name"]: lb for lb in gitea_get(world.emulator, "/repos/acme/service-a/labels", limit=50)}
    assert labels["needs-triage"]["color"] == "c0ffee" and labels["needs-triage"]["description"] == "Needs a look"
    milestone = gitea_get(world.emulator, "/repos/acme/service-a/milestones/v2.0")
    assert milestone["description"] == "Next major" and milestone["due_on"].startswith("2026-12-31")
    branch = gitea_get(world.emulator, "/repos/acme/service-a/branches/feature/written")
    develop = gitea_get(world.emulator, "/repos/acme/service-a/branches/develop")
    assert branch["commit"]["id"] == develop["commit"]["id"]
    pull_number = results["create_pull_request"].structured_content["number"]
    pull = gitea_get(world.emulator, f"/repos/acme/service-a/pulls/{pull_number}")
    assert (pull["head"]["ref"], pull["base"]["ref"], pull["state"]) == ("feature/written", "main", "open")
    pr_comments = gitea_get(world.emulator, f"/repos/acme/service-a/issues/{pull_number}/comments")
    assert [c["body"] for c in pr_comments] == ["Review please."]
    release_id = results["create_release"].structured_content["id"]
    release = gitea_get(world.emulator, f"/repos/acme/service-a/releases/{release_id}")
    assert (release["name"], release["draft"], release["prerelease"], release["body"]) == (
        "2.0.0 final", True, True, "Big notes.")


def test_reruns_review_and_wiki_page_exist(written: tuple[list[str], dict[str, Any]], world: WriteWorld) -> None:
    runs = {r["id"]: r for r in gitea_get(world.emulator, "/repos/acme/service-a/actions/runs")["workflow_runs"]}
    assert (runs[2]["status"], runs[2]["run_attempt"]) == ("queued", 2)
    assert (runs[1]["status"], runs[1]["run_attempt"]) == ("queued", 2)
    review_id = written[1]["create_pull_request_review"].structured_content["id"]
    comments = gitea_get(world.emulator, f"/repos/acme/service-a/pulls/6/reviews/{review_id}/comments")
    assert [(c["path"], c["position"], c["body"]) for c in comments] == [("src/service_a/metrics.py", 6, "Here.")]
    page = gitea_get(world.emulator, "/repos/acme/service-a/wiki/page/Runbook")
    assert base64.b64decode(page["content_base64"]) == b"Restart with make demo.\n"


def test_every_write_is_in_the_audit_log_before_and_after(written: tuple[list[str], dict[str, Any]],
                                                          world: WriteWorld) -> None:
    entries = [e for e in audit_entries(world.audit_log) if e.get("event") == "tool_invocation"]
    by_tool = {name: [e["status"] for e in entries if e["tool"] == name] for name in WRITE_TOOLS}
    assert by_tool.pop("create_issue") == ["pending", "dry_run", "pending", "success"]
    assert all(statuses == ["pending", "success"] for statuses in by_tool.values()), by_tool
    assert {e["repository"] for e in entries} == {"acme/service-a"} and {e["principal"] for e in entries} == {"alice"}


def test_no_delete_and_no_content_write_ever_reached_gitea(written: tuple[list[str], dict[str, Any]],
                                                           world: WriteWorld) -> None:
    requests_seen = recorded_requests(world.emulator)
    methods = {r["method"] for r in requests_seen}
    assert "DELETE" not in methods and {"POST", "PATCH", "PUT"} <= methods
    assert not [r for r in requests_seen if r["method"] != "GET" and "/contents" in r["path"]]
    assert not [r for r in requests_seen if "/merge" in r["path"] and r["method"] != "GET"]
