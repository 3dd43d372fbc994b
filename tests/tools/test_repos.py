"""Repository tools against the emulator's demo world."""

from __future__ import annotations

from tests.tools.conftest import Caller, assert_ok


def test_list_repositories_shows_what_alice_can_see(call_tool: Caller) -> None:
    result = call_tool("list_repositories", limit=50)
    names = {repo["full_name"] for repo in assert_ok(result, "list_repositories")["items"]}
    assert {"acme/service-a", "alice/private-notes", "alice/empty"} <= names
    assert "acme/service-a" in result.text


def test_list_repositories_pages(call_tool: Caller) -> None:
    first = call_tool("list_repositories", limit=1)
    second = assert_ok(call_tool("list_repositories", limit=1, page=2), "list_repositories")
    out = assert_ok(first, "list_repositories")
    assert out["has_more"] is True
    assert out["items"][0]["full_name"] != second["items"][0]["full_name"]
    assert "page=2" in first.text


def test_get_repository_info_reports_description_branch_and_topics(call_tool: Caller) -> None:
    result = call_tool("get_repository_info", owner="acme", repo="service-a")
    repo = assert_ok(result, "get_repository_info")
    assert repo["description"] == "Order service of ACME"
    assert repo["default_branch"] == "main"
    assert repo["parent"] is None
    assert "Order service of ACME" in result.text


def test_private_repository_of_another_user_is_not_found(call_tool: Caller) -> None:
    result = call_tool("get_repository_info", as_user="bob", owner="alice", repo="private-notes")
    assert result.is_error
    assert result.status == "not_found"
    assert "not found" in result.text.lower()
    assert "Salary" not in result.text


def test_repo_languages_and_topics(call_tool: Caller) -> None:
    languages = assert_ok(call_tool("get_repo_languages", owner="acme", repo="service-a"), "get_repo_languages")
    topics = assert_ok(call_tool("list_repo_topics", owner="acme", repo="service-a"), "list_repo_topics")
    assert "Python" in {entry["language"] for entry in languages["languages"]}
    assert topics["topics"] == ["orders", "python", "service"]
