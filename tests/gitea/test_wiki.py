"""The bound client's wiki endpoints: pages by their escaped web path, sent exactly as Gitea reads them."""

from __future__ import annotations

import base64
import uuid

import pytest

from app.gitea import BoundGiteaClient, GiteaNotFound
from app.gitea.request import UnsafePathValue
from tests.gitea.conftest import EmulatorControl

ACME = ("acme", "service-a")


def test_pages_are_listed_and_read_by_web_path(alice: BoundGiteaClient) -> None:
    listed = alice.list_wiki_pages(*ACME, limit=3)
    assert [page["sub_url"] for page in listed.items] == ["2026-01-05+meeting.-", "Home", "Release-Process"]
    assert listed.has_more is True
    meeting = alice.get_wiki_page(*ACME, "2026-01-05+meeting.-")  # '+' and '.-' reach Gitea unchanged
    assert base64.b64decode(meeting["content_base64"]).startswith(b"Attendees")
    assert alice.list_wiki_page_revisions(*ACME, "Home")["count"] == 3


def test_a_page_is_created_and_edited(alice: BoundGiteaClient) -> None:
    title = f"Notes {uuid.uuid4().hex[:6]}"
    created = alice.create_wiki_page(*ACME, title, base64.b64encode(b"one").decode(), message="First")
    edited = alice.edit_wiki_page(*ACME, created["sub_url"], title, base64.b64encode(b"two").decode())
    assert (edited["sub_url"], edited["commit_count"]) == (created["sub_url"], 2)
    with pytest.raises(GiteaNotFound):
        alice.get_wiki_page(*ACME, "No-Such-Page")


UNSENDABLE = ["..", ".", "", "a/b", "../Home", "a b", "%zz", "Home?x=1", "Home#top", "%2e%2E", "%2E%2E", "a%2Fb",
              "a%5Cb"]


@pytest.mark.parametrize("name", UNSENDABLE)
def test_an_unescaped_or_traversing_page_name_is_never_sent(alice: BoundGiteaClient, control: EmulatorControl,
                                                           name: str) -> None:
    before = control.requests()
    with pytest.raises(UnsafePathValue) as refused:
        alice.get_wiki_page(*ACME, name)
    assert "pageName=" in refused.value.message
    assert control.requests() == before
