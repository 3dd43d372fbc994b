"""Milestone tools."""

from __future__ import annotations

from tests.tools.conftest import Caller, assert_ok


def test_list_milestones_by_state_with_null_due_date(call_tool: Caller) -> None:
    open_ = assert_ok(call_tool("list_milestones", owner="acme", repo="service-a"), "list_milestones")
    assert {m["title"] for m in open_["items"]} == {"v1.1", "Backlog"}
    backlog = next(m for m in open_["items"] if m["title"] == "Backlog")
    assert backlog["due_on"] is None
    closed = assert_ok(call_tool("list_milestones", owner="acme", repo="service-a", state="closed"), "list_milestones")
    assert [m["title"] for m in closed["items"]] == ["v1.0"]
