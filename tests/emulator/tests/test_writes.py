"""Writes against the emulator: status codes, validation, conflicts, permissions; bodies match the swagger."""

from __future__ import annotations

import requests

from tests.emulator.tests.conftest import Gitea
from tests.emulator.tests.swagger_schema import validate_response

REPO = "/repos/acme/service-a"
T = "/repos/{owner}/{repo}"


def test_create_issue_is_201_and_requires_a_title(gitea: Gitea, bob: requests.Session) -> None:
    """POST issues gives 201 with labels by ID; no title is `[Title]: Required`."""
    created = bob.post(f"{gitea.api}{REPO}/issues", json={"title": "New bug", "labels": [3], "assignees": ["alice"]},
                       timeout=10)
    assert created.status_code == 201
    validate_response("POST", T + "/issues", 201, created.json())
    assert ([label["name"] for label in created.json()["labels"]], created.json()["assignee"]["login"]) == (
        ["bug"], "alice")
    missing = bob.post(f"{gitea.api}{REPO}/issues", json={"body": "no title"}, timeout=10)
    assert (missing.status_code, missing.json()["message"]) == (422, "[Title]: Required")


def test_patch_issue_answers_201_and_changes_only_sent_fields(gitea: Gitea, alice: requests.Session) -> None:
    """PATCH gives 201; closing sets closed_at; milestone 0 removes the milestone; assignees [] clears."""
    url = f"{gitea.api}{REPO}/issues/5"
    response = alice.patch(url, json={"state": "closed", "milestone": 0, "assignees": []}, timeout=10)
    assert response.status_code == 201
    validate_response("PATCH", T + "/issues/{index}", 201, response.json())
    issue = response.json()
    assert (issue["state"], issue["milestone"], issue["assignees"]) == ("closed", None, None)
    assert issue["closed_at"] is not None
    assert issue["title"] == "Flaky test in CI"


def test_label_colours_are_normalized_and_bad_ones_refused(gitea: Gitea, alice: requests.Session) -> None:
    """#ABC, abc, #aabbcc and aabbcc are one colour, returned without '#'; junk is 422."""
    url = f"{gitea.api}{REPO}/labels"
    for name, color in (("c1", "#ABC"), ("c2", "abc"), ("c3", "#AaBbCc"), ("c4", "aabbcc")):
        response = alice.post(url, json={"name": name, "color": color}, timeout=10)
        assert response.status_code == 201
        assert response.json()["color"] == "aabbcc"
    validate_response("POST", T + "/labels", 201, response.json())
    bad = alice.post(url, json={"name": "bad", "color": "zzz"}, timeout=10)
    assert (bad.status_code, bad.json()["message"]) == (422, "bad color code: zzz")
    edited = alice.patch(f"{url}/{response.json()['id']}", json={"color": "#123"}, timeout=10)
    assert edited.json()["color"] == "112233"


def test_issue_labels_by_names_or_ids_and_exclusive_scopes(gitea: Gitea, alice: requests.Session) -> None:
    """Names (incl. org labels) or IDs; unknown dropped; mixed is 400; priority/* labels exclude each other."""
    url = f"{gitea.api}{REPO}/issues/2/labels"
    named = alice.post(url, json={"labels": ["priority/low", "documentation", "no-such-label"]}, timeout=10)
    assert named.status_code == 200
    assert sorted(label["name"] for label in named.json()) == ["documentation", "enhancement", "priority/low"]
    swapped = alice.post(url, json={"labels": ["priority/high"]}, timeout=10).json()
    assert sorted(label["name"] for label in swapped) == ["documentation", "enhancement", "priority/high"]
    mixed = alice.post(url, json={"labels": [3, "bug"]}, timeout=10)
    assert mixed.status_code == 400
    replaced = alice.put(url, json={"labels": [3]}, timeout=10).json()
    assert [label["name"] for label in replaced] == ["bug"]
    assert alice.delete(f"{url}/3", timeout=10).status_code == 204
    assert alice.get(url, timeout=10).json() == []


def test_comments_create_and_edit(gitea: Gitea, alice: requests.Session, bob: requests.Session) -> None:
    """POST comment 201, PATCH own comment 200; PR comments set pull_request_url instead of issue_url."""
    created = bob.post(f"{gitea.api}{REPO}/issues/6/comments", json={"body": "LGTM"}, timeout=10)
    assert created.status_code == 201
    validate_response("POST", T + "/issues/{index}/comments", 201, created.json())
    assert created.json()["issue_url"] == ""
    assert created.json()["pull_request_url"].endswith("/pulls/6")
    edited = bob.patch(f"{gitea.api}{REPO}/issues/comments/{created.json()['id']}", json={"body": "LGTM!"}, timeout=10)
    assert (edited.status_code, edited.json()["body"]) == (200, "LGTM!")


def test_pull_request_create_and_duplicate_conflict(gitea: Gitea, alice: requests.Session) -> None:
    """A new PR is 201; the same head/base again is 409 with Gitea's message."""
    alice.post(f"{gitea.api}{REPO}/branches", json={"new_branch_name": "fix/typo", "old_ref_name": "develop"},
               timeout=10)
    body = {"head": "fix/typo", "base": "main", "title": "Fix the typo"}
    created = alice.post(f"{gitea.api}{REPO}/pulls", json=body, timeout=10)
    assert created.status_code == 201
    validate_response("POST", T + "/pulls", 201, created.json())
    again = alice.post(f"{gitea.api}{REPO}/pulls", json=body, timeout=10)
    assert again.status_code == 409
    assert again.json()["message"].startswith("pull request already exists for these targets [id: ")
    assert again.json()["message"].endswith("head_branch: fix/typo, base_branch: main]")


def test_create_branch_conflicts_and_missing_old_ref(gitea: Gitea, bob: requests.Session) -> None:
    """201 Branch; existing name 409; unknown old ref 404."""
    url = f"{gitea.api}{REPO}/branches"
    created = bob.post(url, json={"new_branch_name": "release/1.0", "old_ref_name": "v1.0.0"}, timeout=10)
    assert created.status_code == 201
    validate_response("POST", T + "/branches", 201, created.json())
    assert bob.post(url, json={"new_branch_name": "release/1.0"}, timeout=10).status_code == 409
    assert bob.post(url, json={"new_branch_name": "x", "old_ref_name": "nope"}, timeout=10).status_code == 404
    assert bob.get(f"{url}/release/1.0", timeout=10).json()["commit"]["id"] == created.json()["commit"]["id"]


def test_create_release_and_duplicate_tag(gitea: Gitea, alice: requests.Session) -> None:
    """A release on a new tag creates the tag; the same tag again is 409; PATCH edits."""
    url = f"{gitea.api}{REPO}/releases"
    created = alice.post(url, json={"tag_name": "v1.0.1", "name": "1.0.1", "body": "Fixes"}, timeout=10)
    assert created.status_code == 201
    validate_response("POST", T + "/releases", 201, created.json())
    assert alice.get(f"{gitea.api}{REPO}/tags/v1.0.1", timeout=10).status_code == 200
    assert alice.post(url, json={"tag_name": "v1.0.1"}, timeout=10).status_code == 409
    assert alice.post(url, json={"name": "no tag"}, timeout=10).json()["message"] == "[TagName]: Required"
    edited = alice.patch(f"{url}/{created.json()['id']}", json={"body": "More fixes"}, timeout=10)
    assert (edited.status_code, edited.json()["body"]) == (200, "More fixes")


def test_milestone_without_due_date_and_status_on_commit(gitea: Gitea, alice: requests.Session) -> None:
    """A milestone without due_on comes back null; a posted status shows in the combined status."""
    milestone = alice.post(f"{gitea.api}{REPO}/milestones", json={"title": "v2.0"}, timeout=10)
    assert (milestone.status_code, milestone.json()["due_on"]) == (201, None)
    validate_response("POST", T + "/milestones", 201, milestone.json())
    status = alice.post(f"{gitea.api}{REPO}/statuses/develop", json={"state": "pending", "context": "ci/build"},
                        timeout=10)
    assert status.status_code == 201
    validate_response("POST", T + "/statuses/{sha}", 201, status.json())
    combined = alice.get(f"{gitea.api}{REPO}/commits/develop/status", timeout=10).json()
    assert (combined["state"], combined["total_count"]) == ("pending", 1)


def test_assignees_add_and_remove(gitea: Gitea, alice: requests.Session) -> None:
    """POST assignees is 201; DELETE removes them again."""
    url = f"{gitea.api}{REPO}/issues/2/assignees"
    added = alice.post(url, json={"assignees": ["bob"]}, timeout=10)
    assert (added.status_code, [u["login"] for u in added.json()["assignees"]]) == (201, ["bob"])
    removed = alice.delete(url, json={"assignees": ["bob"]}, timeout=10)
    assert removed.json()["assignees"] is None


def test_permission_denials_are_403_without_the_scope_prefix(gitea: Gitea, alice: requests.Session) -> None:
    """alice only reads bob/dotfiles: writing there is a permission 403, not a scope 403."""
    response = alice.post(f"{gitea.api}/repos/bob/dotfiles/labels", json={"name": "x", "color": "fff"}, timeout=10)
    assert response.status_code == 403
    assert not response.json()["message"].startswith("token does not have")
    anonymous = requests.post(f"{gitea.api}{REPO}/issues", json={"title": "x"}, timeout=10)
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, "token is required")


def test_read_token_cannot_write(gitea: Gitea) -> None:
    """A read:issue token gets the scope 403 on POST issues (write:issue required)."""
    response = gitea.session("bob", "read-all").post(f"{gitea.api}{REPO}/issues", json={"title": "x"}, timeout=10)
    assert response.status_code == 403
    assert "required=[write:issue]" in response.json()["message"]
