"""Issue tools: lists, one issue, comments, and the DEBUG instrumentation of get_issue."""

from __future__ import annotations

import logging

import pytest

from tests.tools.conftest import Caller, assert_ok


def test_list_issues_excludes_pull_requests_and_filters_by_label(call_tool: Caller) -> None:
    everything = assert_ok(call_tool("list_issues", owner="acme", repo="service-a", state="all"), "list_issues")
    titles = {issue["title"] for issue in everything["items"]}
    assert "Crash on startup when the config file is missing" in titles
    assert "Add metrics endpoint" not in titles
    bugs = assert_ok(call_tool("list_issues", owner="acme", repo="service-a", labels=["bug"]), "list_issues")
    assert {issue["number"] for issue in bugs["items"]} == {1, 5}


def test_get_issue_with_body_labels_and_null_fields(call_tool: Caller) -> None:
    crash = assert_ok(call_tool("get_issue", owner="acme", repo="service-a", issue_number=1), "get_issue")
    assert crash["body"].startswith("Steps:\n1. remove config.yaml")
    assert crash["labels"] == ["bug", "priority/high"] and crash["assignees"] == ["alice"]
    assert crash["closed_at"] is None and crash["due_date"] is None
    typo = assert_ok(call_tool("get_issue", owner="acme", repo="service-a", issue_number=3), "get_issue")
    assert typo["milestone"] is None and typo["assignees"] == [] and typo["closed_at"] is not None


def test_get_issue_debug_instrumentation(call_tool: Caller, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="aegis.tools.issues"):
        assert_ok(call_tool("get_issue", owner="acme", repo="service-a", issue_number=3), "get_issue")
    events = [record.getMessage() for record in caplog.records]
    assert {"get_issue.start", "get_issue.payload_shape", "get_issue.field_check"} <= set(events)
    field_checks = [r for r in caplog.records if r.getMessage() == "get_issue.field_check"]
    checks = {r.__dict__["context"]["field"]: r.__dict__["context"]["is_null"] for r in field_checks}
    assert checks["milestone"] is True and checks["assignees"] is True
    assert all("Orders is misspelled" not in str(getattr(r, "context", "")) for r in caplog.records)


def test_list_issue_comments_in_order_and_paged(call_tool: Caller) -> None:
    result = call_tool("list_issue_comments", owner="acme", repo="service-a", issue_number=1)
    out = assert_ok(result, "list_issue_comments")
    assert [c["body"] for c in out["items"]] == ["I can reproduce this.", "Thanks, it also happens on 0.2."]
    first = assert_ok(call_tool("list_issue_comments", owner="acme", repo="service-a", issue_number=1, limit=1),
                      "list_issue_comments")
    assert first["has_more"] is True and first["items"][0]["author"] == "alice"


def test_issue_of_a_private_repository_is_not_found_for_others(call_tool: Caller) -> None:
    result = call_tool("get_issue", as_user="bob", owner="alice", repo="private-notes", issue_number=1)
    assert result.is_error and result.status == "not_found"
    assert "Private todo" not in result.text
