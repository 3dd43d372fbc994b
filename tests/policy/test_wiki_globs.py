"""`wiki:` path globs: wiki page titles are a namespace of their own, allowed or denied like paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.policy import Policy, PolicyError

POLICY = """
repositories:
  acme/service-a:
    paths:
      deny: ["wiki:Secret*", "secrets/*"]
  acme/*:
    paths:
      allow: ["wiki:*", "src/*", "secrets/*"]
  acme/handbook:
    paths:
      allow: ["wiki:Public *", "wiki:Home"]
"""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.parse(POLICY)


def test_wiki_deny_glob_matches_titles_case_insensitively(policy: Policy) -> None:
    for title in ("Secret Runbook", "SECRET runbook", "secrets"):
        decision = policy.decide("get_wiki_page", False, "acme/service-a", title, "wiki")
        assert not decision.allowed and decision.rule == "repositories.acme/service-a.paths.deny"
        assert f"wiki page '{title}' is denied" in decision.reason
    assert policy.decide("get_wiki_page", False, "acme/service-a", "Home", "wiki").allowed


def test_file_globs_and_wiki_globs_never_cross(policy: Policy) -> None:
    """'secrets/*' denies no wiki page and 'wiki:Secret*' no file; a file named like a wiki glob is still a file."""
    assert policy.decide("get_file_contents", False, "acme/service-a", "src/Secret.py").allowed
    forged = policy.decide("get_file_contents", False, "acme/service-a", "wiki:Secret")
    assert forged.rule == "repositories.acme/*.paths.allow"  # judged as a file: not in the file allow list
    assert policy.decide("get_wiki_page", False, "acme/service-a", "secrets/x", "wiki").allowed is False  # Secret*
    assert policy.decide("get_wiki_page", False, "acme/other", "secrets", "wiki").allowed


def test_wiki_allow_list_is_exclusive_for_wiki_pages(policy: Policy) -> None:
    assert policy.decide("get_wiki_page", False, "acme/handbook", "Public FAQ", "wiki").allowed
    assert policy.decide("get_wiki_page", False, "acme/handbook", "Home", "wiki").allowed
    refused = policy.decide("get_wiki_page", False, "acme/handbook", "home", "wiki")  # allow globs keep case
    assert not refused.allowed and refused.rule == "repositories.acme/handbook.paths.allow"
    assert "wiki page 'home' is not in repositories.acme/handbook.paths.allow" in refused.reason


def test_filter_paths_splits_titles_in_the_wiki_namespace(policy: Policy) -> None:
    shown, withheld = policy.filter_paths("acme/handbook", ["Home", "Public FAQ", "Salaries"], "wiki")
    assert (shown, withheld) == (["Home", "Public FAQ"], ["Salaries"])
    # Files follow the file globs only: acme/*'s allow list, which no wiki glob widens.
    assert policy.filter_paths("acme/handbook", ["src/app.py", "Salaries"]) == (["src/app.py"], ["Salaries"])


def test_a_policy_without_wiki_globs_restricts_no_wiki_page() -> None:
    files_only = Policy.parse("repositories:\n  acme/*:\n    paths:\n      allow: ['docs/*']\n")
    assert files_only.decide("get_wiki_page", False, "acme/x", "Anything", "wiki").allowed
    assert not files_only.decide("get_file_contents", False, "acme/x", "src/app.py").allowed


@pytest.mark.parametrize(("glob", "problem"), [
    ("wiki:", "empty"), ("wiki:docs/Home", "hold no '/' or '..'"), ("wiki:a..b", "hold no '/' or '..'"),
    ("wiki:Home\\x", "backslash"), ("wiki:Home\x07", "control character"),
])
def test_bad_wiki_globs_are_refused_with_the_reason(glob: str, problem: str) -> None:
    text = f"repositories:\n  acme/x:\n    paths:\n      deny: [{glob!r}]\n".replace("'", '"')
    with pytest.raises(PolicyError) as refused:
        Policy.parse(text.replace("\x07", "\\a"))
    assert "invalid wiki glob" in str(refused.value) and problem in str(refused.value)


def test_policy_check_explains_a_wiki_decision_by_page_title(tmp_path: Path) -> None:
    from tests.policy.test_cli import flask_policy

    path = tmp_path / "policy.yaml"
    path.write_text("repositories:\n  acme/app: {paths: {deny: ['wiki:Secret*', 'Home']}}\n")
    denied = flask_policy("check", str(path), "--tool", "get_wiki_page", "--repo", "acme/app", "--path", "secret x")
    allowed = flask_policy("check", str(path), "--tool", "get_wiki_page", "--repo", "acme/app", "--path", "Home")
    assert "DENY get_wiki_page" in denied.stdout and "wiki page 'secret x' is denied" in denied.stdout
    assert "ALLOW get_wiki_page" in allowed.stdout  # the file glob 'Home' names a file, not the page
