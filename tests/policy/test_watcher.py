"""Hot reload: a changed policy file takes effect without a restart; an invalid one is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from app.policy import PolicyError, PolicyReloadEvent, PolicyStore

DENY_SEARCH = "tools: {deny: [search_code]}\n"
DENY_COMMITS = "tools: {deny: [list_commits]}\n"


def replace_file(path: Path, text: str) -> None:
    """Write a new version the way deploy tools do: write aside, then rename over."""
    staging = path.with_suffix(".tmp")
    staging.write_text(text)
    os.replace(staging, path)


def reloads(result: str) -> float:
    return REGISTRY.get_sample_value("aegis_policy_reload_total", {"result": result}) or 0.0


def test_a_new_valid_file_changes_decisions(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DENY_SEARCH)
    events: list[PolicyReloadEvent] = []
    store = PolicyStore(str(path), events.append, check_interval=0)
    assert not store.current().decide("search_code", False, "a/b").allowed
    before = reloads("reloaded")
    replace_file(path, DENY_COMMITS)
    assert store.current().decide("search_code", False, "a/b").allowed
    assert not store.current().decide("list_commits", False, "a/b").allowed
    assert [event.result for event in events] == ["reloaded"]
    assert reloads("reloaded") == before + 1


def test_an_in_place_edit_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DENY_SEARCH)
    store = PolicyStore(str(path), check_interval=0)
    path.write_text(DENY_COMMITS + "# edited in place\n")
    assert store.current().decide("search_code", False, "a/b").allowed


def test_an_invalid_new_file_keeps_the_old_policy_and_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DENY_SEARCH)
    events: list[PolicyReloadEvent] = []
    store = PolicyStore(str(path), events.append, check_interval=0)
    before = reloads("refused")
    replace_file(path, "tools: {deny: [Not A Tool]}\nsurprise: true\n")
    assert not store.current().decide("search_code", False, "a/b").allowed
    assert [event.result for event in events] == ["refused"]
    assert len(events[0].errors) == 2
    assert reloads("refused") == before + 1
    store.current()
    assert len(events) == 1, "an unchanged invalid file is reported once"


def test_a_deleted_file_keeps_the_old_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DENY_SEARCH)
    events: list[PolicyReloadEvent] = []
    store = PolicyStore(str(path), events.append, check_interval=0)
    path.unlink()
    assert not store.current().decide("search_code", False, "a/b").allowed
    assert events[0].result == "refused"


def test_the_file_is_checked_at_most_once_per_interval(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DENY_SEARCH)
    store = PolicyStore(str(path), check_interval=3600)
    replace_file(path, DENY_COMMITS)
    assert not store.current().decide("search_code", False, "a/b").allowed


def test_an_invalid_file_at_start_up_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("defaults: {read: perhaps}\n")
    with pytest.raises(PolicyError, match=r"defaults\.read"):
        PolicyStore(str(path))


def test_without_a_file_the_built_in_defaults_apply() -> None:
    policy = PolicyStore(None).current()
    assert policy.decide("list_issues", False, "a/b").allowed
    assert not policy.decide("create_issue", True, "a/b").allowed
