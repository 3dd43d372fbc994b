"""Pull request review tools against the emulator: reviews, inline comments, the diff, and reviews whose
inline comments must land on lines of the diff (or nothing is sent)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.startup import policy_problems
from app.tools.execution import ToolResult, ToolRuntime
from tests.emulator.process import EmulatorProcess
from tests.emulator.seeds import empty
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator
from tests.tools.conftest import assert_ok, tool_settings
from tests.tools.write_world import (
    REPO,
    WRITE_POLICY,
    audit_entries,
    gitea_get,
    run,
    write_emulator,
    write_runtime,
    writer,
    writes_received,
)

__all__ = ["write_emulator"]
PULL = {**REPO, "pull_number": 6}
REVIEWS_PATH = "/repos/acme/service-a/pulls/6/reviews"
REVIEW_POST = "POST /api/v1/repos/acme/service-a/pulls/6/reviews"
COMMENTS_ONLY = """
repositories:
  acme/service-a:
    tools:
      allow: [create_pull_request_review, list_pull_request_reviews, get_pull_request_review]
"""


@pytest.fixture
def runtime(write_emulator: EmulatorProcess, tmp_path: Path) -> ToolRuntime:
    return review_runtime(write_emulator, tmp_path)


def review_runtime(emulator: EmulatorProcess, tmp_path: Path, policy: str = WRITE_POLICY) -> ToolRuntime:
    return write_runtime(emulator, tmp_path / "audit.log", policy, MCP_TOOLSETS="default,reviews")


def review(runtime: ToolRuntime, emulator: EmulatorProcess, login: str = "bob", **arguments: Any) -> ToolResult:
    return run(runtime, writer(emulator, login), "create_pull_request_review", **{**PULL, **arguments})


def sent_reviews(emulator: EmulatorProcess) -> int:
    return writes_received(emulator).count(REVIEW_POST)


def test_reviews_list_submitted_ones_and_hide_others_pending_drafts(runtime: ToolRuntime,
                                                                    write_emulator: EmulatorProcess) -> None:
    as_alice = run(runtime, writer(write_emulator, "alice"), "list_pull_request_reviews", **PULL)
    out = assert_ok(as_alice, "list_pull_request_reviews")
    first = out["items"][0]
    assert (first["reviewer"], first["state"], first["comments_count"]) == ("bob", "COMMENT", 1)
    assert "PENDING" not in [item["state"] for item in out["items"]]
    assert "<untrusted-" in as_alice.text and "Looks good, one nit on naming." in as_alice.text
    as_bob = assert_ok(run(runtime, writer(write_emulator, "bob"), "list_pull_request_reviews", **PULL),
                       "list_pull_request_reviews")
    assert "PENDING" in [item["state"] for item in as_bob["items"]]


def test_review_shows_inline_comments_on_their_diff_lines(runtime: ToolRuntime,
                                                         write_emulator: EmulatorProcess) -> None:
    result = run(runtime, writer(write_emulator, "alice"), "get_pull_request_review", **PULL, review_id=1)
    out = assert_ok(result, "get_pull_request_review")
    comment = out["comments"][0]
    assert (comment["path"], comment["side"], comment["line"], comment["author"]) == (
        "src/service_a/metrics.py", "RIGHT", 6, "bob")
    assert comment["diff_hunk"].endswith("+def observe() -> int:")
    assert "src/service_a/metrics.py RIGHT line 6 (bob):" in result.text


def test_unknown_review_id_is_a_clean_not_found(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    result = run(runtime, writer(write_emulator, "alice"), "get_pull_request_review", **PULL, review_id=999)
    assert result.is_error and result.status == "not_found"
    assert "no review 999 on pull request #6" in result.text and "list_pull_request_reviews" in result.text


def test_pull_diff_filters_paths_and_removes_sections_the_policy_denies(write_emulator: EmulatorProcess,
                                                                      tmp_path: Path) -> None:
    policy = WRITE_POLICY + "repositories:\n  acme/service-a:\n    paths:\n      deny: ['scripts/*']\n"
    runtime = review_runtime(write_emulator, tmp_path, policy)
    whole = run(runtime, writer(write_emulator), "get_pull_request_diff", **PULL)
    out = assert_ok(whole, "get_pull_request_diff")
    assert out["withheld_files"] == ["scripts/deploy.sh"]
    assert "deploy" not in out["diff"] and "+def observe() -> int:" in out["diff"]
    assert "1 files withheld by policy" in whole.text
    some = assert_ok(run(runtime, writer(write_emulator), "get_pull_request_diff", **PULL,
                         paths=["src/service_a/metrics.py", "docs/"]), "get_pull_request_diff")
    assert [f["path"] for f in some["files"]] == ["src/service_a/metrics.py"]
    assert some["unmatched_paths"] == ["docs/"] and "handlers" not in some["diff"]


def test_pull_diff_past_the_item_cap_says_how_to_get_the_rest(write_emulator: EmulatorProcess,
                                                               tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log", WRITE_POLICY, MCP_TOOLSETS="reviews",
                            MAX_TOOL_RESPONSE_ITEMS="1")
    result = run(runtime, writer(write_emulator), "get_pull_request_diff", **PULL)
    out = assert_ok(result, "get_pull_request_diff")
    assert len(out["files"]) == 1 and out["truncated"] is True
    assert "2 more changed files are not listed (at most 1 per answer)" in out["truncation"]
    assert "get_pull_request_diff again with paths" in result.text


def test_a_diff_cut_at_the_size_limit_is_named_when_it_refuses_a_comment(write_emulator: EmulatorProcess,
                                                                        tmp_path: Path) -> None:
    runtime = write_runtime(write_emulator, tmp_path / "audit.log", WRITE_POLICY, MCP_TOOLSETS="reviews",
                            MAX_FILE_SIZE_BYTES="1100")  # PR #6's diff is 1,129 bytes: metrics.py loses its end
    before = sent_reviews(write_emulator)
    result = review(runtime, write_emulator, event="COMMENT",
                    comments=[{"path": "src/service_a/metrics.py", "line": 10, "body": "Last line."}])
    assert result.is_error and "so this file's last lines may be missing" in result.text
    assert sent_reviews(write_emulator) == before


def test_review_inline_comments_land_on_both_sides_of_the_diff(runtime: ToolRuntime,
                                                              write_emulator: EmulatorProcess) -> None:
    comments = [{"path": "src/service_a/handlers.py", "line": 10, "body": "Count after the lookup?"},
                {"path": "scripts/deploy.sh", "line": 2, "side": "LEFT", "body": "Keep set -eu in ops."}]
    out = assert_ok(review(runtime, write_emulator, event="COMMENT", body="Two notes.", comments=comments),
                    "create_pull_request_review")
    assert (out["state"], out["reviewer"], out["comments_count"]) == ("COMMENT", "bob", 2)
    landed = gitea_get(write_emulator, f"{REVIEWS_PATH}/{out['id']}/comments")
    assert [(c["path"], c["position"], c["original_position"]) for c in landed] == [
        ("src/service_a/handlers.py", 10, 0), ("scripts/deploy.sh", 0, 2)]
    assert all(c["diff_hunk"] for c in landed)  # shown in Gitea's diff view, not lost


def test_comment_outside_the_diff_refuses_the_whole_review_naming_the_nearest_lines(
        runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    before = sent_reviews(write_emulator)
    comments = [{"path": "src/service_a/handlers.py", "line": 10, "body": "Fine."},
                {"path": "src/service_a/handlers.py", "line": 16, "body": "Unchanged line."}]
    result = review(runtime, write_emulator, event="COMMENT", comments=comments)
    assert result.is_error and result.status == "invalid_arguments"
    assert "nothing was sent" in result.text
    assert "comments[1] (RIGHT line 16 of src/service_a/handlers.py): that line is not in the diff" in result.text
    assert "nearest lines on that side: 13 (the diff covers RIGHT lines 1-13)" in result.text
    assert "comments[0]" not in result.text
    assert sent_reviews(write_emulator) == before


def test_comment_on_a_deleted_file_or_an_unchanged_file_is_refused_with_the_reason(
        runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    before = sent_reviews(write_emulator)
    comments = [{"path": "scripts/deploy.sh", "line": 2, "body": "Gone?"},
                {"path": "README.md", "line": 1, "body": "Not in this PR."}]
    result = review(runtime, write_emulator, event="COMMENT", comments=comments)
    assert result.is_error
    assert "deletes this file, so it has no new (RIGHT) lines; comment on side LEFT" in result.text
    assert "README.md): this pull request does not change that file (changed files: scripts/deploy.sh" in result.text
    assert sent_reviews(write_emulator) == before


def test_approval_is_governed_apart_from_comments(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime = review_runtime(write_emulator, tmp_path, COMMENTS_ONLY + "defaults:\n  write: allow\n")
    before = sent_reviews(write_emulator)
    refused = review(runtime, write_emulator, event="APPROVE")
    assert refused.is_error and refused.status == "denied"
    assert "tool 'approve_pull_request' is not in repositories.acme/service-a.tools.allow" in refused.text
    assert sent_reviews(write_emulator) == before
    denial = audit_entries(tmp_path / "audit.log")[-1]
    assert (denial["event"], denial["rule"]) == ("access_denied", "repositories.acme/service-a.tools.allow")
    assert_ok(review(runtime, write_emulator, event="COMMENT", body="Comments are fine."),
              "create_pull_request_review")
    with_approvals = COMMENTS_ONLY.replace("allow: [", "allow: [approve_pull_request, ")
    approving = review_runtime(write_emulator, tmp_path, with_approvals)
    approved = assert_ok(review(approving, write_emulator, event="APPROVE"), "create_pull_request_review")
    assert (approved["state"], approved["official"]) == ("APPROVED", True)


def test_inline_comment_paths_follow_the_path_policy(write_emulator: EmulatorProcess, tmp_path: Path) -> None:
    policy = WRITE_POLICY + "repositories:\n  acme/*:\n    paths:\n      deny: ['scripts/*']\n"
    runtime = review_runtime(write_emulator, tmp_path, policy)
    result = review(runtime, write_emulator, event="COMMENT",
                    comments=[{"path": "scripts/deploy.sh", "line": 1, "side": "LEFT", "body": "x"}])
    assert result.is_error and "path 'scripts/deploy.sh' is denied by repositories.acme/*.paths.deny" in result.text


def test_secret_in_an_inline_comment_is_refused_before_gitea(runtime: ToolRuntime,
                                                             write_emulator: EmulatorProcess) -> None:
    before = sent_reviews(write_emulator)
    leaked = "token ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    result = review(runtime, write_emulator, event="COMMENT",
                    comments=[{"path": "src/service_a/metrics.py", "line": 3, "body": leaked}])
    assert result.is_error and "comments[0].body" in result.text and "secret" in result.text
    assert sent_reviews(write_emulator) == before


def test_dry_run_shows_the_gitea_request_with_positions_and_pinned_head(runtime: ToolRuntime,
                                                                        write_emulator: EmulatorProcess) -> None:
    before = sent_reviews(write_emulator)
    result = review(runtime, write_emulator, event="REQUEST_CHANGES", body="Rename observe.", dry_run=True,
                    comments=[{"path": "src/service_a/metrics.py", "line": 6, "body": "Here."}])
    out = assert_ok(result, "create_pull_request_review")
    body = out["request"]["body"]
    assert out["request"]["path"] == "/api/v1" + REVIEWS_PATH
    assert body["event"] == "REQUEST_CHANGES" and len(body["commit_id"]) == 40
    assert body["comments"] == [{"path": "src/service_a/metrics.py", "body": "Here.", "new_position": 6}]
    assert sent_reviews(write_emulator) == before


def test_bad_review_input_says_what_to_fix(runtime: ToolRuntime, write_emulator: EmulatorProcess) -> None:
    no_body = review(runtime, write_emulator, event="REQUEST_CHANGES")
    assert no_body.is_error and "REQUEST_CHANGES needs a body" in no_body.text
    own = review(runtime, write_emulator, login="alice", event="APPROVE")
    assert own.status == "upstream_rejected" and "approve your own pull is not allowed" in own.text
    issue = review(runtime, write_emulator, pull_number=1, event="COMMENT", body="x")
    assert issue.is_error and issue.status == "not_found" and "#1 is not a pull request" in issue.text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GunicornServer, EmulatorProcess]]:
    root = tmp_path_factory.mktemp("reviews-e2e")
    (root / "policy.yaml").write_text(WRITE_POLICY, encoding="utf-8")
    with gunicorn_with_emulator(root, MCP_TOOLSETS="reviews", WRITE_MODE="true", POLICY_FILE=str(root / "policy.yaml"),
                                WRITE_REPOSITORY_WHITELIST="acme/service-a") as (running, emulator):
        yield running, emulator


async def reviews_through_mcp(url: str) -> tuple[list[str], dict[str, Any]]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="auto") as client:
        listed = await client.list_tools()
        off_diff = [{"path": "src/service_a/handlers.py", "line": 16, "body": "Unchanged."}]
        on_diff = [{"path": "src/service_a/metrics.py", "line": 9, "body": "Not thread-safe."}]
        results = {
            "reviews": await client.call_tool("list_pull_request_reviews", PULL),
            "diff": await client.call_tool("get_pull_request_diff", {**PULL, "paths": ["scripts"]}),
            "refused": await client.call_tool("create_pull_request_review",
                                              {**PULL, "event": "COMMENT", "comments": off_diff}),
            "sent": await client.call_tool("create_pull_request_review",
                                           {**PULL, "event": "COMMENT", "body": "One note.", "comments": on_diff}),
        }
        return [tool.name for tool in listed.tools], results


def test_reviews_toolset_through_a_real_mcp_client(server: tuple[GunicornServer, EmulatorProcess]) -> None:
    running, emulator = server
    names, results = asyncio.run(reviews_through_mcp(running.url))
    assert names == ["list_pull_request_reviews", "get_pull_request_review", "get_pull_request_diff",
                     "create_pull_request_review"]
    assert "review 1: COMMENT by bob" in results["reviews"].content[0].text
    assert results["diff"].is_error is False and "-echo deploying" in results["diff"].content[0].text
    refused = results["refused"]
    assert refused.is_error is True and "nearest lines on that side: 13" in refused.content[0].text
    sent = results["sent"]
    assert sent.is_error is False and sent.structured_content["comments_count"] == 1
    landed = gitea_get(emulator, f"{REVIEWS_PATH}/{sent.structured_content['id']}/comments")
    assert [(c["path"], c["position"], c["body"]) for c in landed] == [
        ("src/service_a/metrics.py", 9, "Not thread-safe.")]
    assert sent_reviews(emulator) == 1


def test_inline_comments_on_a_withheld_file_are_named_not_shown(write_emulator: EmulatorProcess,
                                                               tmp_path: Path) -> None:
    policy = WRITE_POLICY + "repositories:\n  acme/service-a:\n    paths:\n      deny: ['src/service_a/metrics.py']\n"
    runtime = review_runtime(write_emulator, tmp_path, policy)
    result = run(runtime, writer(write_emulator, "alice"), "get_pull_request_review", **PULL, review_id=1)
    out = assert_ok(result, "get_pull_request_review")
    assert out["comments"] == [] and out["withheld_files"] == ["src/service_a/metrics.py"]
    assert "observe" not in result.text and "comments on 1 files withheld by policy" in result.text


def test_policy_files_may_name_the_verdicts_and_misspellings_refuse(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("tools:\n  deny: [approve_pull_request]\n", encoding="utf-8")
    script = Path(__file__).resolve().parents[2] / "scripts" / "check_policy.py"
    checked = subprocess.run([sys.executable, str(script), str(policy), "--tool", "request_pull_request_changes",
                              "--repo", "acme/service-a"], capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0 and "DENY request_pull_request_changes" in checked.stdout
    assert "defaults.write denies write tool" in checked.stdout  # judged as a write without --write
    policy.write_text("tools:\n  deny: [aprove_pull_request]\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, str(script), str(policy)], capture_output=True, text=True, timeout=60,
                             check=False)
    assert refused.returncode == 1 and "unknown tool 'aprove_pull_request'" in refused.stderr


def renames_seed() -> dict[str, Any]:
    """alice/renames: pull request #1 (by bob) renames secrets/token.txt out of a denied directory, and adds
    a file whose name git C-quotes in a diff."""
    who = {"name": "Alice Liddell", "email": "alice@example.com"}
    token = "".join(f"line {n} of a long enough file for rename detection\n" for n in range(1, 11))
    commits = [
        {"branch": "main", "message": "Start", "author": who,
         "files": {"secrets/token.txt": token, "app.py": "x = 1\n"}},
        {"branch": "move", "start": "main", "message": "Move the token", "author": who,
         "files": {"secrets/token.txt": None, "config/token.txt": token.replace("line 10", "line ten"),
                   "docs/\u00e9t\u00e9.md": "# \u00c9t\u00e9\n\nSummer notes.\n",
                   "notes.txt": "".join(f"note {n}: longer than a patch's minimum share\n" for n in range(40))}},
    ]
    repo = {"owner": "alice", "name": "renames", "commits": commits, "collaborators": {"bob": "write"},
            "issues": [{"title": "Move the token", "user": "bob", "head": "move", "base": "main"}]}
    return {**empty(), "repos": [repo]}


@pytest.fixture(scope="module")
def renames_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    root = tmp_path_factory.mktemp("renames-emulator")
    seed = root / "seed.json"
    seed.write_text(json.dumps(renames_seed()), encoding="utf-8")
    emulator = EmulatorProcess().start(str(root / "state"), seed=str(seed))
    yield emulator
    emulator.stop()


def test_renames_out_of_a_denied_path_stay_withheld_in_diffs_and_reviews(renames_emulator: EmulatorProcess,
                                                                         tmp_path: Path) -> None:
    policy = WRITE_POLICY + "repositories:\n  alice/renames:\n    paths:\n      deny: ['secrets/*']\n"
    values = {"WRITE_REPOSITORY_WHITELIST": "alice/renames", "MCP_TOOLSETS": "reviews"}
    runtime = write_runtime(renames_emulator, tmp_path / "audit.log", policy, **values)
    pull = {"owner": "alice", "repo": "renames", "pull_number": 1}
    diff = assert_ok(run(runtime, writer(renames_emulator), "get_pull_request_diff", **pull), "get_pull_request_diff")
    assert diff["withheld_files"] == ["config/token.txt"] and "line 1 of" not in diff["diff"]
    assert [f["path"] for f in diff["files"]] == ["docs/\u00e9t\u00e9.md", "notes.txt"]
    comments = [{"path": "config/token.txt", "line": 10, "body": "Why move it?"},
                {"path": "docs/\u00e9t\u00e9.md", "line": 3, "body": "Quoted name, real line."}]
    result = run(runtime, writer(renames_emulator), "create_pull_request_review", **pull, event="COMMENT",
                 comments=comments)
    assert result.is_error and "comments[0]" in result.text and "comments[1]" not in result.text
    assert "the policy withholds this file's diff" in result.text and "line ten" not in result.text
    assert_ok(run(runtime, writer(renames_emulator), "create_pull_request_review", **pull, event="COMMENT",
                  comments=comments[1:]), "create_pull_request_review")


def test_start_up_accepts_a_policy_naming_the_verdicts(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("tools:\n  deny: [approve_pull_request, request_pull_request_changes]\n", encoding="utf-8")
    assert policy_problems(tool_settings("http://127.0.0.1:9", POLICY_FILE=str(policy))) == []
    policy.write_text("tools:\n  deny: [approve_pull_requests]\n", encoding="utf-8")
    assert policy_problems(tool_settings("http://127.0.0.1:9", POLICY_FILE=str(policy))) == [
        f"POLICY_FILE: invalid {policy}: tools.deny: unknown tool 'approve_pull_requests'"]


def test_pull_diff_patches_cut_by_the_budget_are_marked_and_headers_start_lines(renames_emulator: EmulatorProcess,
                                                                             tmp_path: Path) -> None:
    runtime = write_runtime(renames_emulator, tmp_path / "audit.log", WRITE_POLICY, MCP_TOOLSETS="reviews",
                            MAX_TOOL_RESPONSE_CHARS="100", WRITE_REPOSITORY_WHITELIST="alice/renames")
    pull = {"owner": "alice", "repo": "renames", "pull_number": 1}
    out = assert_ok(run(runtime, writer(renames_emulator), "get_pull_request_diff", **pull), "get_pull_request_diff")
    cut = [f["path"] for f in out["files"] if f["patch_truncated"]]
    assert "notes.txt" in cut and all(f"\n[patch of {path} cut: " in out["diff"] for path in cut)
    assert out["diff"].count("diff --git ") == 3
    assert all(line.startswith("diff --git ") for line in out["diff"].split("\n") if "diff --git" in line)


def push_empty_commit(emulator: EmulatorProcess, branch: str) -> tuple[str, str]:
    """A push to the pull request's branch (same tree, new head) straight into the emulator's repository."""
    repo = Path(emulator.state_dir) / "repositories" / "acme" / "service-a.git"
    git = ["git", "-C", str(repo), "-c", "user.name=pusher", "-c", "user.email=pusher@example.test"]
    old = subprocess.run([*git, "rev-parse", f"refs/heads/{branch}"], check=True, capture_output=True,
                         text=True).stdout.strip()
    new = subprocess.run([*git, "commit-tree", f"{old}^{{tree}}", "-p", old, "-m", "pushed meanwhile"], check=True,
                         capture_output=True, text=True).stdout.strip()
    subprocess.run([*git, "update-ref", f"refs/heads/{branch}", new, old], check=True)
    return old, new


def test_a_push_while_the_diff_is_checked_refuses_the_review(runtime: ToolRuntime,
                                                             write_emulator: EmulatorProcess) -> None:
    """The comments are checked against the diff of exactly the head they are pinned to, or nothing is sent."""
    before, branch = sent_reviews(write_emulator), gitea_get(write_emulator, "/repos/acme/service-a/pulls/6")["head"]
    faults = f"{write_emulator.base_url}/_emulator/faults"
    diff_path = "/api/v1/repos/acme/service-a/pulls/6.diff"
    httpx2.post(faults, json={"method": "GET", "path": diff_path, "kind": "latency", "latency_ms": 4000})
    results: list[ToolResult] = []
    worker = threading.Thread(target=lambda: results.append(review(
        runtime, write_emulator, event="COMMENT", comments=[{"path": "src/service_a/metrics.py", "line": 3,
                                                               "body": "Here."}])))
    worker.start()
    while not any(f["path"] == diff_path and f["hits"] for f in httpx2.get(faults).json()):
        worker.join(0.05)  # the diff is being read (held by the latency fault): push now
    old, new = push_empty_commit(write_emulator, branch["ref"])
    try:
        worker.join()
    finally:
        httpx2.delete(faults)
        subprocess.run(["git", "-C", str(Path(write_emulator.state_dir) / "repositories" / "acme" / "service-a.git"),
                        "update-ref", f"refs/heads/{branch['ref']}", old, new], check=True)
    assert results[0].is_error and "head moved" in results[0].text, results[0].text
    assert sent_reviews(write_emulator) == before
