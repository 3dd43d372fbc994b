"""Commit tools: history, one commit's diff, comparisons and CI status."""

from __future__ import annotations

from tests.tools.conftest import Caller, RuntimeFactory, assert_ok


def test_list_commits_newest_first_with_null_author_for_unknown_email(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_commits", owner="acme", repo="service-a", limit=3), "list_commits")
    assert out["items"][0]["message"] == "Release note 22: update the changelog"
    assert out["has_more"] is True and out["total"] == 32
    outsider = next(c for c in out["items"] if c["author_name"] == "Carol Contractor")
    assert outsider["author_login"] is None


def test_list_commits_of_a_branch(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_commits", owner="acme", repo="service-a", ref="feature/metrics", limit=1),
                    "list_commits")
    assert out["items"][0]["message"] == "Remove the deploy script (moved to ops)"


def test_list_commits_of_an_empty_repository_is_an_answer(call_tool: Caller) -> None:
    result = call_tool("list_commits", owner="alice", repo="empty")
    out = assert_ok(result, "list_commits")
    assert out["items"] == [] and "empty" in result.text


def test_get_commit_diff_shows_the_changed_lines(call_tool: Caller) -> None:
    result = call_tool("get_commit_diff", owner="acme", repo="service-a", sha="feature/metrics")
    out = assert_ok(result, "get_commit_diff")
    assert out["commit"]["message"] == "Remove the deploy script (moved to ops)"
    [deleted] = out["files"]
    assert (deleted["path"], deleted["status"], deleted["deletions"]) == ("scripts/deploy.sh", "deleted", 3)
    assert "-echo deploying" in deleted["patch"]
    assert "-echo deploying" in result.text


def test_unknown_commit_is_not_found(call_tool: Caller) -> None:
    result = call_tool("get_commit_diff", owner="acme", repo="service-a", sha="0" * 40)
    assert result.is_error and result.status == "not_found"


def test_compare_refs_lists_commits_and_files(call_tool: Caller) -> None:
    out = assert_ok(call_tool("compare_refs", owner="acme", repo="service-a", base="main", head="feature/metrics"),
                    "compare_refs")
    assert out["total_commits"] == 3
    files = {f["path"]: f for f in out["files"]}
    assert files["src/service_a/metrics.py"]["status"] == "added"
    assert "+from service_a.metrics import observe" in files["src/service_a/handlers.py"]["patch"]


def test_files_past_the_item_cap_are_never_dropped_silently(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    """Issue 15: a 300-file change listed 200 files as if they were all; the rest is now counted and named."""
    runtime = make_runtime(MAX_TOOL_RESPONSE_ITEMS="1")
    result = call_tool("compare_refs", runtime=runtime, owner="acme", repo="service-a", base="main",
                       head="feature/metrics")
    out = assert_ok(result, "compare_refs")
    assert len(out["files"]) == 1 and out["omitted_files"] == 2 and out["truncated"] is True
    assert "3 files changed (1 listed):" in result.text
    assert "2 more changed files are not listed" in result.text and "list_pull_request_files" in result.text


def test_one_huge_patch_cannot_evict_the_others(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(MAX_TOOL_RESPONSE_CHARS="1500")
    out = assert_ok(call_tool("compare_refs", runtime=runtime, owner="acme", repo="service-a", base="main~25",
                              head="main~20"), "compare_refs")
    assert len(out["files"]) >= 2
    assert all(f["patch"] for f in out["files"])
    assert any(f["patch_truncated"] for f in out["files"]) and out["truncated"] is True


def test_commit_status_reports_checks_and_none_when_empty(call_tool: Caller) -> None:
    main = assert_ok(call_tool("get_commit_status", owner="acme", repo="service-a", sha="main"), "get_commit_status")
    assert main["state"] == "success"
    assert {s["context"] for s in main["statuses"]} == {"ci/build", "security/scan"}
    develop = call_tool("get_commit_status", owner="acme", repo="service-a", sha="develop")
    assert assert_ok(develop, "get_commit_status")["state"] == "none"
    assert "no CI statuses" in develop.text
