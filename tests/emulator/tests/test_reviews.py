"""Pull request reviews on the emulator: Gitea's shapes, its 422s and 404s, and its quirks (comments off
the diff are stored anyway; pending reviews are their author's alone)."""

from __future__ import annotations

import requests

from tests.emulator.tests.conftest import Gitea
from tests.emulator.tests.swagger_schema import validate_response

REVIEWS = "/repos/acme/service-a/pulls/6/reviews"
T = "/repos/{owner}/{repo}/pulls/{index}/reviews"


def test_create_review_is_200_with_comments_positioned_on_both_sides(gitea: Gitea, bob: requests.Session) -> None:
    """POST answers 200 (not 201); new_position lands in `position`, old_position in `original_position`."""
    comments = [{"path": "src/service_a/handlers.py", "new_position": 10, "body": "Count later?"},
                {"path": "scripts/deploy.sh", "old_position": 3, "body": "Moved where?"}]
    created = bob.post(gitea.api + REVIEWS, json={"event": "REQUEST_CHANGES", "body": "Two things.",
                                                  "comments": comments}, timeout=10)
    assert created.status_code == 200, created.text
    validate_response("POST", T, 200, created.json())
    review = created.json()
    assert (review["state"], review["official"], review["comments_count"]) == ("REQUEST_CHANGES", True, 2)
    listed = bob.get(f"{gitea.api}{REVIEWS}/{review['id']}/comments", timeout=10)
    validate_response("GET", T + "/{id}/comments", 200, listed.json())
    assert [(c["position"], c["original_position"]) for c in listed.json()] == [(10, 0), (0, 3)]
    assert listed.json()[0]["diff_hunk"].endswith("+    observe()")
    assert listed.json()[1]["diff_hunk"].endswith("-echo deploying")


def test_a_comment_off_the_diff_is_stored_anyway_with_no_hunk(gitea: Gitea, bob: requests.Session) -> None:
    """Gitea never checks a line against the diff: the review is created and the comment shows nowhere."""
    created = bob.post(gitea.api + REVIEWS, json={"event": "COMMENT", "comments": [
        {"path": "README.md", "new_position": 2, "body": "Not in this pull request."}]}, timeout=10)
    assert created.status_code == 200
    comments = bob.get(f"{gitea.api}{REVIEWS}/{created.json()['id']}/comments", timeout=10).json()
    assert (comments[0]["path"], comments[0]["position"], comments[0]["diff_hunk"]) == ("README.md", 2, "")


def test_review_refusals_are_gitea_422s(gitea: Gitea, alice: requests.Session, bob: requests.Session) -> None:
    """The author cannot approve or reject; REQUEST_CHANGES needs a body; COMMENT needs a body or a comment."""
    cases = [(alice, {"event": "APPROVED"}, "approve your own pull is not allowed"),
             (alice, {"event": "REQUEST_CHANGES", "body": "x"}, "reject your own pull is not allowed"),
             (bob, {"event": "REQUEST_CHANGES"}, "review event REQUEST_CHANGES requires a body"),
             (bob, {"event": "COMMENT"}, "review event COMMENT requires a body or a comment")]
    for session, body, message in cases:
        refused = session.post(gitea.api + REVIEWS, json=body, timeout=10)
        assert (refused.status_code, refused.json()["message"]) == (422, message)


def test_unknown_or_foreign_review_ids_and_pending_reviews_are_404(gitea: Gitea, alice: requests.Session,
                                                                  bob: requests.Session) -> None:
    """A review of another pull request, an unknown id and someone else's pending review all answer 404."""
    assert alice.get(f"{gitea.api}{REVIEWS}/999", timeout=10).status_code == 404
    assert alice.get(f"{gitea.api}/repos/acme/service-a/pulls/7/reviews/1", timeout=10).status_code == 404
    pending = next(r for r in bob.get(gitea.api + REVIEWS, timeout=10).json() if r["state"] == "PENDING")
    assert alice.get(f"{gitea.api}{REVIEWS}/{pending['id']}", timeout=10).status_code == 404
    seen = alice.get(gitea.api + REVIEWS, timeout=10)
    assert pending["id"] not in [r["id"] for r in seen.json()]
    assert int(seen.headers["X-Total-Count"]) > len(seen.json())  # CountReviews counts the hidden ones
