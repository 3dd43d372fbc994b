"""Organization tools."""

from __future__ import annotations

from tests.tools.conftest import Caller, assert_ok


def test_list_organizations(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_organizations", as_user="bob"), "list_organizations")
    assert [(o["name"], o["full_name"]) for o in out["items"]] == [("acme", "ACME Corporation")]


def test_list_org_repositories(call_tool: Caller) -> None:
    result = call_tool("list_org_repositories", org="acme")
    out = assert_ok(result, "list_org_repositories")
    assert [r["full_name"] for r in out["items"]] == ["acme/service-a"]
    assert "acme/service-a" in result.text
