"""Refs, branches and paths can never steer a request to another route or repository.

Two depths, both checked against the real emulator: the argument schemas refuse what git would
not accept as a ref name (an isError naming the field), and the Gitea client itself refuses any
path value with an empty, '.' or '..' segment, so even a field without ref rules (filepath) or a
future tool that forgets them cannot reach another repository. Refused calls send nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.gitea.errors import GiteaNotFound
from app.gitea.request import UnsafePathValue
from tests.emulator.process import EmulatorProcess
from tests.tools.conftest import Caller, assert_ok, emulator_requests

TRAVERSAL = "../../../alice/private-notes/branches/main"

# (tool, arguments, the field the refusal must name); every one of them must send 0 requests.
HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("get_branch", {"branch": TRAVERSAL}, "branch"),
    ("compare_refs", {"base": "main", "head": "../../../admin"}, "head"),
    ("compare_refs", {"base": "../../../../alice/private-notes/compare/main", "head": "main"}, "base"),
    ("get_branch", {"branch": "%2e%2e/%2e%2e/%2e%2e/alice/private-notes/branches/main"}, "branch"),
    ("get_branch", {"branch": "..%2f..%2f..%2falice%2fprivate-notes"}, "branch"),
    ("get_branch", {"branch": "main/."}, "branch"),
    ("get_branch", {"branch": "main/.."}, "branch"),
    ("get_branch", {"branch": "feature//metrics"}, "branch"),
    ("get_branch", {"branch": "/main"}, "branch"),
    ("get_branch", {"branch": "main/"}, "branch"),
    ("get_branch", {"branch": "..\\..\\..\\alice\\private-notes"}, "branch"),
    ("get_file_contents", {"filepath": "README.md", "ref": "main?ref=secret"}, "ref"),
    ("get_commit_status", {"sha": "main#fragment"}, "sha"),
    ("get_commit_status", {"sha": "main%23x"}, "sha"),
    ("get_branch", {"branch": "\uff0e\uff0e/\uff0e\uff0e/\uff0e\uff0e/alice/private-notes"}, "branch"),
    ("get_branch", {"branch": "\u2025/\u2025/admin"}, "branch"),
    ("get_branch", {"branch": "feature\uff0fmetrics"}, "branch"),
    ("get_commit_diff", {"sha": ".."}, "sha"),
    ("get_commit_diff", {"sha": "."}, "sha"),
    ("list_commits", {"ref": "main\x00"}, "ref"),
    ("list_commits", {"ref": "main\u202e"}, "ref"),
    ("get_file_tree", {"ref": "main.lock"}, "ref"),
    ("search_code", {"query": "x", "ref": "@{-1}"}, "ref"),
    ("get_file_tree", {"ref": "feature/.hidden"}, "ref"),
    ("compare_refs", {"base": "main..feature", "head": "main"}, "base"),
    ("get_commit_diff", {"sha": "main:README.md"}, "sha"),
    ("get_branch", {"branch": "main branch"}, "branch"),
]


@pytest.mark.parametrize(("tool", "arguments", "field"), HOSTILE, ids=[repr(a)[:60] for _, a, _ in HOSTILE])
def test_hostile_ref_is_refused_naming_the_field_and_sends_nothing(
    call_tool: Caller, tools_emulator: EmulatorProcess, tool: str, arguments: dict[str, Any], field: str
) -> None:
    emulator_requests(tools_emulator, reset=True)
    result = call_tool(tool, as_user="bob", owner="bob", repo="dotfiles", **arguments)
    assert result.is_error and result.status == "invalid_arguments", result.text
    assert f"{field}: Not a valid ref" in result.text and "A ref is a branch or tag name" in result.text
    assert emulator_requests(tools_emulator) == 0


def test_reviewer_traversal_does_not_read_alices_branch(call_tool: Caller, tools_emulator: EmulatorProcess) -> None:
    emulator_requests(tools_emulator, reset=True)
    result = call_tool("get_branch", as_user="bob", owner="bob", repo="dotfiles", branch=TRAVERSAL)
    assert result.is_error and "branch: Not a valid ref: it contains '..'" in result.text
    assert "Start my notes" not in result.text and emulator_requests(tools_emulator) == 0


def test_client_refuses_a_traversing_filepath_that_has_no_ref_rules(
    call_tool: Caller, tools_emulator: EmulatorProcess
) -> None:
    emulator_requests(tools_emulator, reset=True)
    result = call_tool("get_file_contents", as_user="bob", owner="bob", repo="dotfiles",
                       filepath="../../../alice/private-notes/raw/notes.md")
    assert result.is_error and "filepath=" in result.text and "'..' part" in result.text
    assert "Salary" not in result.text and emulator_requests(tools_emulator) == 0


def bound_client(emulator: EmulatorProcess, login: str) -> Any:
    client = GiteaClient(emulator.base_url, 10.0, 2, 1024 * 1024)
    return client, client.bind(GiteaCredentials("token", emulator.token(login)))


@pytest.mark.parametrize("branch", [TRAVERSAL, "main/..", "a//b", "main/", "/main", ".", ".."])
def test_client_refuses_dot_and_empty_segments_before_sending(tools_emulator: EmulatorProcess, branch: str) -> None:
    client, gitea = bound_client(tools_emulator, "bob")
    emulator_requests(tools_emulator, reset=True)
    with pytest.raises(UnsafePathValue) as refused:
        gitea.get_branch("bob", "dotfiles", branch)
    client.close()
    assert refused.value.status == 400 and "branch=" in refused.value.message
    assert emulator_requests(tools_emulator) == 0


def test_client_refuses_a_compare_head_that_climbs_out(tools_emulator: EmulatorProcess) -> None:
    client, gitea = bound_client(tools_emulator, "alice")
    emulator_requests(tools_emulator, reset=True)
    with pytest.raises(UnsafePathValue):
        gitea.compare("acme", "service-a", "main", "../../../admin")
    client.close()
    assert emulator_requests(tools_emulator) == 0


def last_request(emulator: EmulatorProcess) -> dict[str, Any]:
    with open(os.path.join(emulator.state_dir, "requests.jsonl"), encoding="utf-8") as log:
        return dict(json.loads(log.readlines()[-1]))


def test_query_and_fragment_characters_stay_inside_the_segment(tools_emulator: EmulatorProcess) -> None:
    client, gitea = bound_client(tools_emulator, "alice")
    with pytest.raises(GiteaNotFound):
        gitea.get_branch("acme", "service-a", "feature/metrics?limit=1#x%2e%2e")
    client.close()
    seen = last_request(tools_emulator)
    assert seen["path"] == "/api/v1/repos/acme/service-a/branches/feature/metrics?limit=1#x%2e%2e"
    assert seen["query"] == []


def test_legitimate_refs_with_slashes_tags_and_shas_still_work(call_tool: Caller) -> None:
    branch = assert_ok(call_tool("get_branch", owner="acme", repo="service-a", branch="feature/metrics"), "get_branch")
    assert branch["name"] == "feature/metrics"
    tagged = assert_ok(call_tool("get_file_contents", owner="acme", repo="service-a", filepath="README.md",
                                 ref="v1.0.0"), "get_file_contents")
    assert tagged["content"]
    sha = branch["commit"]["sha"]
    for ref in (sha, sha[:7]):
        diff = assert_ok(call_tool("get_commit_diff", owner="acme", repo="service-a", sha=ref), "get_commit_diff")
        assert diff["commit"]["sha"] == sha
    history = assert_ok(call_tool("list_commits", owner="acme", repo="service-a", ref=sha, limit=1), "list_commits")
    assert history["items"][0]["sha"] == sha
    compared = assert_ok(call_tool("compare_refs", owner="acme", repo="service-a", base="main",
                                   head="feature/metrics"), "compare_refs")
    assert compared["total_commits"] >= 1
    ancestry = assert_ok(call_tool("compare_refs", owner="acme", repo="service-a", base="main~2", head="main^"),
                         "compare_refs")
    assert ancestry["total_commits"] == 1
