"""Release and tag tools."""

from __future__ import annotations

from tests.tools.conftest import Caller, assert_ok


def test_list_tags_and_releases(call_tool: Caller) -> None:
    tags = assert_ok(call_tool("list_tags", owner="acme", repo="service-a"), "list_tags")
    assert {"v0.1.0", "v0.2.0", "v1.0.0", "v1.1.0-rc.1"} == {t["name"] for t in tags["items"]}
    releases = assert_ok(call_tool("list_releases", owner="acme", repo="service-a"), "list_releases")
    rc = next(r for r in releases["items"] if r["tag_name"] == "v1.1.0-rc.1")
    assert rc["prerelease"] is True and rc["name"] == "1.1.0 RC 1"


def test_get_release_by_id(call_tool: Caller) -> None:
    releases = assert_ok(call_tool("list_releases", owner="acme", repo="service-a"), "list_releases")
    stable = next(r for r in releases["items"] if r["tag_name"] == "v1.0.0")
    out = assert_ok(call_tool("get_release", owner="acme", repo="service-a", release_id=stable["id"]), "get_release")
    assert out["body"] == "First stable release." and out["assets"] == []


def test_latest_release_skips_prereleases(call_tool: Caller) -> None:
    out = assert_ok(call_tool("get_latest_release", owner="acme", repo="service-a"), "get_latest_release")
    assert out["release"]["tag_name"] == "v1.0.0"


def test_latest_release_of_a_repository_without_releases_is_an_answer(call_tool: Caller) -> None:
    result = call_tool("get_latest_release", owner="bob", repo="dotfiles")
    out = assert_ok(result, "get_latest_release")
    assert out["release"] is None and "No published release" in result.text


def test_latest_release_of_a_missing_repository_is_not_found(call_tool: Caller) -> None:
    result = call_tool("get_latest_release", owner="bob", repo="no-such-repo")
    assert result.is_error and result.status == "not_found"
