"""The emulated wiki against Gitea's source: names, paging, quirks of its edit route; bodies match the swagger."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.emulator.api_wiki import git_path_to_web_path, title_to_web_path, web_path_to_git_path, web_path_to_title
from tests.emulator.tests.conftest import Gitea
from tests.emulator.tests.swagger_schema import validate_response

WIKI = "/repos/acme/service-a/wiki"
T = "/repos/{owner}/{repo}/wiki"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("title", "web", "git"), [
    ("Home", "Home", "Home.md"),
    ("Home Page", "Home-Page", "Home-Page.md"),
    ("2026-01-05 meeting", "2026-01-05+meeting.-", "2026-01-05 meeting.-.md"),
    ("100% Free", "100%25-Free", "100%25-Free.md"),
    ("notes.md", "notes.md.-", "notes.md.-.md"),
    ("Ünïcode page", "%C3%9Cn%C3%AFcode-page", "%C3%9Cn%C3%AFcode-page.md"),
])
def test_names_follow_giteas_wiki_path_rules(title: str, web: str, git: str) -> None:
    """UserTitleToWebPath, WebPathToGitPath, GitPathToWebPath and WebPathToUserTitle agree on every form."""
    assert title_to_web_path(title) == web
    assert web_path_to_git_path(web) == git
    assert git_path_to_web_path(git) == web
    assert web_path_to_title(web) == title


def test_listing_pages_over_every_file_of_the_wiki(gitea: Gitea, alice: requests.Session) -> None:
    """Six files, five pages: logo.png counts for paging and X-Total-Count but is not listed; _Sidebar is."""
    first = alice.get(f"{gitea.api}{WIKI}/pages", timeout=10)
    assert first.headers["X-Total-Count"] == "6"
    assert [p["title"] for p in first.json()] == [
        "2026-01-05 meeting", "Home", "Release Process", "Secret Runbook", "_Sidebar"]
    validate_response("GET", T + "/pages", 200, first.json())
    last = alice.get(f"{gitea.api}{WIKI}/pages", params={"limit": 2, "page": 3}, timeout=10)
    assert [p["title"] for p in last.json()] == ["_Sidebar"] and 'rel="next"' not in last.headers.get("Link", "")
    one = alice.get(f"{gitea.api}{WIKI}/pages", params={"limit": 1}, timeout=10)
    assert len(one.json()) == 5  # `limit <= 1` means the default page size


def test_a_page_carries_content_sidebar_footer_and_its_last_commit(gitea: Gitea, alice: requests.Session) -> None:
    page = alice.get(f"{gitea.api}{WIKI}/page/Home", timeout=10).json()
    validate_response("GET", T + "/page/{pageName}", 200, page)
    assert base64.b64decode(page["content_base64"]).startswith(b"# Service A wiki")
    assert base64.b64decode(page["sidebar"]) == b"[[Home]] | [[Release Process]]\n" and page["footer"] == ""
    assert (page["commit_count"], page["sub_url"]) == (3, "Home")
    assert page["html_url"] == f"{gitea.base_url}/acme/service-a/wiki/Home"
    assert set(page["last_commit"]) == {"sha", "author", "commiter", "message"}  # Gitea's spelling
    assert page["last_commit"]["message"] == 'Update "Home"\n\nLink the meeting notes.\n'


def test_revisions_list_with_count_and_no_link(gitea: Gitea, alice: requests.Session) -> None:
    response = alice.get(f"{gitea.api}{WIKI}/revisions/Home", timeout=10)
    validate_response("GET", T + "/revisions/{pageName}", 200, response.json())
    assert response.json()["count"] == 3 and response.headers["X-Total-Count"] == "3"
    assert [c["author"]["name"] for c in response.json()["commits"]] == ["Alice Liddell", "Bob Builder",
                                                                         "Alice Liddell"]


def test_missing_pages_and_missing_wikis_are_404(gitea: Gitea, alice: requests.Session) -> None:
    assert alice.get(f"{gitea.api}{WIKI}/page/Nope", timeout=10).status_code == 404
    assert alice.get(f"{gitea.api}{WIKI}/revisions/Nope", timeout=10).status_code == 404
    assert alice.get(f"{gitea.api}/repos/bob/dotfiles/wiki/pages", timeout=10).status_code == 404


def test_create_is_201_and_refuses_existing_reserved_and_bad_base64(gitea: Gitea, bob: requests.Session) -> None:
    created = bob.post(f"{gitea.api}{WIKI}/new", json={"title": "Deploy-Notes", "content_base64": b64("x\n")},
                       timeout=10)
    assert created.status_code == 201
    validate_response("POST", T + "/new", 201, created.json())
    assert (created.json()["sub_url"], created.json()["last_commit"]["message"]) == (
        "Deploy-Notes.-", 'Add "Deploy-Notes"\n')
    assert created.json()["last_commit"]["author"]["name"] == "Bob Builder"
    again = bob.post(f"{gitea.api}{WIKI}/new", json={"title": "Deploy-Notes", "content_base64": b64("y")}, timeout=10)
    assert again.status_code == 400 and "already exists" in again.json()["message"]
    reserved = bob.post(f"{gitea.api}{WIKI}/new", json={"title": "_edit", "content_base64": ""}, timeout=10)
    assert reserved.status_code == 400 and "reserved" in reserved.json()["message"]
    garbled = bob.post(f"{gitea.api}{WIKI}/new", json={"title": "G", "content_base64": "%%%"}, timeout=10)
    assert garbled.status_code == 400


def test_patch_keeps_the_page_only_when_the_title_is_sent(gitea: Gitea, alice: requests.Session) -> None:
    """Gitea's EditWikiPage: no title renames the page to "unnamed"; a missing page is created."""
    kept = alice.patch(f"{gitea.api}{WIKI}/page/Release-Process",
                       json={"title": "Release Process", "content_base64": b64("v2\n")}, timeout=10)
    assert kept.status_code == 200 and kept.json()["sub_url"] == "Release-Process"
    validate_response("PATCH", T + "/page/{pageName}", 200, kept.json())
    renamed = alice.patch(f"{gitea.api}{WIKI}/page/Release-Process", json={"content_base64": b64("v3\n")},
                          timeout=10)
    assert renamed.json()["title"] == "unnamed"
    assert alice.get(f"{gitea.api}{WIKI}/page/Release-Process", timeout=10).status_code == 404
    made = alice.patch(f"{gitea.api}{WIKI}/page/Brand-New", json={"title": "Brand New", "content_base64": ""},
                       timeout=10)
    assert made.status_code == 200 and made.json()["commit_count"] == 1


def test_wiki_writes_need_write_access(gitea: Gitea) -> None:
    reader = gitea.session("alice", "read-repo-only")
    denied = reader.post(f"{gitea.api}{WIKI}/new", json={"title": "R", "content_base64": ""}, timeout=10)
    assert denied.status_code == 403
    outsider = gitea.session("alice").post(f"{gitea.api}/repos/bob/dotfiles/wiki/new",
                                           json={"title": "R", "content_base64": ""}, timeout=10)
    assert outsider.status_code == 403
