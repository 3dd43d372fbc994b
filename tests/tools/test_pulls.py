"""Pull request tools: lists, one pull request, its files with patches, its commits."""

from __future__ import annotations

import logging

import pytest

from tests.tools.conftest import Caller, assert_ok


def test_list_pull_requests_by_state(call_tool: Caller) -> None:
    open_ = assert_ok(call_tool("list_pull_requests", owner="acme", repo="service-a"), "list_pull_requests")
    assert [(p["number"], p["title"]) for p in open_["items"]] == [(6, "Add metrics endpoint")]
    everything = assert_ok(call_tool("list_pull_requests", owner="acme", repo="service-a", state="all"),
                           "list_pull_requests")
    assert {p["head"] for p in everything["items"]} == {"feature/metrics", "develop"}


def test_get_pull_request_with_branches_size_and_null_merge_fields(call_tool: Caller) -> None:
    result = call_tool("get_pull_request", owner="acme", repo="service-a", pull_number=6)
    pull = assert_ok(result, "get_pull_request")
    assert (pull["head"], pull["base"], pull["body"]) == ("feature/metrics", "main", "Closes #2.")
    assert pull["merged"] is False and pull["merged_at"] is None and pull["merged_by"] is None
    assert pull["changed_files"] == 3
    assert "feature/metrics -> main" in result.text


def test_get_pull_request_debug_instrumentation(call_tool: Caller, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="aegis.tools.pulls"):
        assert_ok(call_tool("get_pull_request", owner="acme", repo="service-a", pull_number=6), "get_pull_request")
    events = [record.getMessage() for record in caplog.records]
    assert {"get_pull_request.start", "get_pull_request.payload_shape", "get_pull_request.field_check"} <= set(events)
    checks = {r.__dict__["context"]["field"]: r.__dict__["context"]["is_null"]
              for r in caplog.records if r.getMessage() == "get_pull_request.field_check"}
    assert checks["merged_at"] is True and checks["head"] is False
    assert all("Closes #2." not in str(getattr(r, "context", "")) for r in caplog.records)


def test_list_pull_request_files_carry_their_patches(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_pull_request_files", owner="acme", repo="service-a", pull_number=6),
                    "list_pull_request_files")
    files = {f["path"]: f for f in out["items"]}
    assert set(files) == {"scripts/deploy.sh", "src/service_a/handlers.py", "src/service_a/metrics.py"}
    assert "+def observe() -> int:" in files["src/service_a/metrics.py"]["patch"]
    assert files["scripts/deploy.sh"]["deletions"] == 3


def test_list_pull_request_commits(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_pull_request_commits", owner="acme", repo="service-a", pull_number=6),
                    "list_pull_request_commits")
    assert {c["message"] for c in out["items"]} == {
        "Add a metrics module", "Count requests in the handlers", "Remove the deploy script (moved to ops)",
    }


def test_unknown_pull_request_is_not_found(call_tool: Caller) -> None:
    result = call_tool("get_pull_request", owner="acme", repo="service-a", pull_number=999)
    assert result.is_error and result.status == "not_found" and "pull_number=999" in result.text
