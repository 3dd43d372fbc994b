"""Every write endpoint of the bound client, checked by reading the result back."""

from __future__ import annotations

import uuid

import pytest

from app.gitea import BoundGiteaClient, GiteaConflict, GiteaValidationError

ACME = ("acme", "service-a")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def label_ids(alice: BoundGiteaClient, *names: str) -> list[int]:
    labels = {label["name"]: label["id"] for label in alice.list_labels(*ACME, limit=50).items}
    return [labels[name] for name in names]


def test_create_and_edit_issue(alice: BoundGiteaClient) -> None:
    bug, = label_ids(alice, "bug")
    issue = alice.create_issue(*ACME, unique("Broken"), body="It broke.", labels=[bug], assignees=["bob"])
    assert [label["name"] for label in issue["labels"]] == ["bug"]
    edited = alice.edit_issue(*ACME, issue["number"], state="closed", assignees=[], body="Fixed.")
    assert edited["state"] == "closed"
    assert edited["assignees"] is None  # Gitea: null, not []
    assert alice.get_issue(*ACME, issue["number"])["body"] == "Fixed."


def test_issue_labels_add_and_replace(alice: BoundGiteaClient) -> None:
    bug, enhancement = label_ids(alice, "bug", "enhancement")
    number = alice.create_issue(*ACME, unique("Labels"))["number"]
    assert [label["name"] for label in alice.add_issue_labels(*ACME, number, [bug])] == ["bug"]
    replaced = alice.replace_issue_labels(*ACME, number, ["enhancement"])  # names work too
    assert [label["id"] for label in replaced] == [enhancement]
    assert alice.replace_issue_labels(*ACME, number, []) == []  # how labels come off: no DELETE is ever sent
    assert alice.get_issue(*ACME, number)["labels"] == []


def test_create_and_edit_comment(alice: BoundGiteaClient) -> None:
    number = alice.create_issue(*ACME, unique("Comments"))["number"]
    comment = alice.create_comment(*ACME, number, "first")
    assert alice.edit_comment(*ACME, comment["id"], "second")["body"] == "second"
    assert [c["body"] for c in alice.list_issue_comments(*ACME, number).items] == ["second"]


def test_add_assignees(alice: BoundGiteaClient) -> None:
    number = alice.create_issue(*ACME, unique("Assign"))["number"]
    issue = alice.add_assignees(*ACME, number, ["bob"])
    assert [user["login"] for user in issue["assignees"]] == ["bob"]


def test_create_and_edit_label(alice: BoundGiteaClient) -> None:
    label = alice.create_label(*ACME, unique("area"), "#AABBCC", description="An area")
    assert label["color"] == "aabbcc"
    edited = alice.edit_label(*ACME, label["id"], color="112233", description="Changed")
    assert (edited["color"], edited["description"]) == ("112233", "Changed")


def test_bad_label_color_is_a_validation_error(alice: BoundGiteaClient) -> None:
    with pytest.raises(GiteaValidationError) as err:
        alice.create_label(*ACME, unique("bad"), "not-a-color")
    assert (err.value.status, err.value.upstream_status) == (400, 422)
    assert "color" in err.value.message


def test_create_milestone(alice: BoundGiteaClient) -> None:
    title = unique("v9")
    milestone = alice.create_milestone(*ACME, title, description="Later", due_on="2030-01-01T00:00:00Z")
    listed = {m["id"]: m["title"] for m in alice.list_milestones(*ACME, state="all", limit=50).items}
    assert listed[milestone["id"]] == title


def test_create_branch_then_conflict_on_the_same_name(alice: BoundGiteaClient) -> None:
    name = unique("topic")
    branch = alice.create_branch(*ACME, name, old_ref_name="develop")
    assert branch["name"] == name
    with pytest.raises(GiteaConflict) as err:
        alice.create_branch(*ACME, name, old_ref_name="develop")
    assert err.value.status == 409


def test_create_pull_request(alice: BoundGiteaClient) -> None:
    head = unique("pr")
    alice.create_branch(*ACME, head, old_ref_name="develop")
    pull = alice.create_pull(*ACME, head=head, base="main", title="Bring develop in", body="Docs.")
    assert pull["head"]["ref"] == head
    assert alice.get_pull(*ACME, pull["number"])["state"] == "open"


def test_create_and_edit_release(alice: BoundGiteaClient) -> None:
    tag = unique("v2.0.0")
    release = alice.create_release(*ACME, tag, target_commitish="main", name="Two", body="Big.", draft=True)
    assert release["draft"] is True
    edited = alice.edit_release(*ACME, release["id"], draft=False, name="Two final")
    assert (edited["draft"], edited["name"]) == (False, "Two final")
