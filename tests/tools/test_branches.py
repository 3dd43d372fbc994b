"""Branch tools."""

from __future__ import annotations

from tests.tools.conftest import Caller, assert_ok


def test_list_branches(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_branches", owner="acme", repo="service-a"), "list_branches")
    assert {b["name"] for b in out["items"]} == {"main", "develop", "feature/metrics"}


def test_get_branch_with_a_slash_in_its_name(call_tool: Caller) -> None:
    out = assert_ok(call_tool("get_branch", owner="acme", repo="service-a", branch="feature/metrics"), "get_branch")
    assert out["commit"]["message"] == "Remove the deploy script (moved to ops)"
    assert len(out["commit"]["sha"]) == 40


def test_unknown_branch_is_not_found(call_tool: Caller) -> None:
    result = call_tool("get_branch", owner="acme", repo="service-a", branch="nope")
    assert result.is_error and result.status == "not_found"
