"""The flow guard's lattice as a table: which reads may flow into which writes, and how Gitea's fields label."""

from __future__ import annotations

import pytest

from app.tools.flow_guard import Read, Repository, level_of, may_flow, repository_of_raw

ROADMAP = Repository("acme/roadmap", "private")
CASES = [
    (Repository("acme/docs", "public"), Repository("globex/site", "public"), True),
    (Repository("acme/docs", "public"), ROADMAP, True),
    (ROADMAP, ROADMAP, True),
    (ROADMAP, Repository("acme/ledger", "private"), True),
    (ROADMAP, Repository("alice/roadmap-fork", "private", "acme/roadmap"), True),
    (Repository("alice/roadmap-fork", "private", "acme/roadmap"), ROADMAP, True),
    (Repository("acme/handbook", "internal"), Repository("globex/intranet", "internal"), True),
    (Repository("acme/handbook", "internal"), Repository("globex/vault", "private"), True),
    (ROADMAP, Repository("acme/docs", "public"), False),
    (ROADMAP, Repository("acme/handbook", "internal"), False),
    (ROADMAP, Repository("globex/vault", "private"), False),
    (ROADMAP, Repository("globex/fork", "private", "acme/other"), False),
    (Repository("acme/handbook", "internal"), Repository("acme/docs", "public"), False),
]


@pytest.mark.parametrize(("source", "sink", "allowed"), CASES, ids=[f"{s.name}->{k.name}" for s, k, _ in CASES])
def test_may_flow_follows_the_documented_lattice(source: Repository, sink: Repository, allowed: bool) -> None:
    assert may_flow(source, sink) is allowed


@pytest.mark.parametrize(("fields", "level"), [
    ({"private": False, "internal": False}, "public"),
    ({"private": False, "internal": True}, "internal"),
    ({"private": True, "internal": False}, "private"),
    ({}, "private"),  # Gitea did not say: fail closed
    ({"private": None, "internal": None}, "private"),
])
def test_gitea_fields_label_a_repository_failing_closed(fields: dict, level: str) -> None:
    assert level_of(fields) == level


def test_a_fork_is_labelled_with_its_parent_in_lower_case() -> None:
    raw = {"full_name": "Alice/Roadmap-Fork", "private": True, "parent": {"full_name": "ACME/Roadmap"}}
    assert repository_of_raw(raw) == Repository("alice/roadmap-fork", "private", "acme/roadmap")


def test_a_label_survives_the_store_round_trip() -> None:
    label = Read(Repository("acme/roadmap", "private", None), "get_file_contents", True, 1765000000.5)
    assert Read.decoded(label.encoded()) == label
