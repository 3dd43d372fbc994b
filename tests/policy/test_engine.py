"""Policy file validation and decisions, as an operator writing a policy would see them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.policy import Policy, PolicyError

SPEC_EXAMPLE = """
defaults:
  read: allow
  write: deny
tools:
  deny:
    - search_code
repositories:
  acme/service-a:
    tools:
      allow:
        - get_file_contents
        - list_commits
    paths:
      allow:
        - src/*
      deny:
        - src/secrets/*
"""


def test_spec_example_decisions_name_their_rule() -> None:
    policy = Policy.parse(SPEC_EXAMPLE)
    denied = policy.decide("search_code", False, "acme/other")
    assert (denied.allowed, denied.rule) == (False, "tools.deny")
    assert "search_code" in denied.reason
    exclusive = policy.decide("list_issues", False, "acme/service-a")
    assert (exclusive.allowed, exclusive.rule) == (False, "repositories.acme/service-a.tools.allow")
    assert policy.decide("list_issues", False, "acme/other").rule == "defaults.read"
    assert policy.decide("get_file_contents", False, "acme/service-a", "src/app.py").allowed


def test_path_deny_wins_over_path_allow() -> None:
    policy = Policy.parse(SPEC_EXAMPLE)
    decision = policy.decide("get_file_contents", False, "acme/service-a", "src/secrets/key.pem")
    assert (decision.allowed, decision.rule) == (False, "repositories.acme/service-a.paths.deny")
    outside = policy.decide("get_file_contents", False, "acme/service-a", "docs/readme.md")
    assert (outside.allowed, outside.rule) == (False, "repositories.acme/service-a.paths.allow")


def test_tool_deny_wins_over_allow_everywhere() -> None:
    policy = Policy.parse(
        "tools: {allow: [list_issues], deny: [list_issues]}\n"
        "repositories:\n  a/b: {tools: {allow: [list_issues, get_issue], deny: [get_issue]}}\n"
    )
    assert policy.decide("list_issues", False, "a/b").rule == "tools.deny"
    assert policy.decide("get_issue", False, "a/b").rule == "repositories.a/b.tools.deny"
    assert not policy.decide("get_issue", False, "a/b").allowed


def test_repository_keys_match_case_insensitively() -> None:
    policy = Policy.parse("repositories:\n  Acme/Service-A: {tools: {deny: [list_commits]}}\n")
    for spelling in ("acme/service-a", "ACME/SERVICE-A", "Acme/Service-a"):
        assert not policy.decide("list_commits", False, spelling).allowed
    assert policy.decide("list_commits", False, "acme/service-b").allowed


def test_malformed_or_suffixed_repository_names_cannot_dodge_a_rule() -> None:
    policy = Policy.parse("repositories:\n  acme/app: {tools: {deny: [list_commits]}}\n")
    for spelling in ("acme/app/", "acme/app/../other", "acme//app", " acme/app", "acme/app\x00"):
        decision = policy.decide("list_commits", False, spelling)
        assert (decision.allowed, decision.rule) == (False, "repository.name")
    assert not policy.decide("list_commits", False, "Acme/App.git").allowed
    suffixed_key = Policy.parse("repositories:\n  acme/app.git: {tools: {deny: [list_commits]}}\n")
    assert not suffixed_key.decide("list_commits", False, "acme/app").allowed
    assert policy.decide("list_commits", False, "acme/application").allowed


def test_owner_wildcard_applies_to_every_repository_of_the_owner() -> None:
    policy = Policy.parse(
        "repositories:\n"
        "  acme/*: {paths: {deny: ['.env', 'secrets/*']}}\n"
        "  acme/special: {tools: {deny: [list_commits]}}\n"
    )
    assert not policy.decide("get_file_contents", False, "acme/anything", "secrets/db.yml").allowed
    assert not policy.decide("get_file_contents", False, "ACME/special", ".env").allowed
    assert not policy.decide("list_commits", False, "acme/special").allowed
    assert policy.decide("get_file_contents", False, "other/anything", "secrets/db.yml").allowed


def test_write_tools_follow_the_write_default_unless_granted() -> None:
    builtin = Policy.default()
    assert builtin.decide("create_issue", True, "a/b").rule == "built-in defaults.write"
    assert not builtin.decide("create_issue", True, "a/b").allowed
    assert builtin.decide("list_issues", False, "a/b").allowed
    granted = Policy.parse("repositories:\n  a/b: {tools: {allow: [create_issue, list_issues]}}\n")
    assert granted.decide("create_issue", True, "a/b").allowed
    assert not granted.decide("create_issue", True, "a/c").allowed
    opened = Policy.parse("defaults: {write: allow}\n")
    assert opened.decide("create_issue", True, "a/c").allowed


def test_automation_tools_need_a_repository_rule() -> None:
    policy = Policy.parse(
        "defaults: {read: allow, write: allow}\ntools: {allow: [automation_stale_issue_detection]}\n"
        "repositories:\n  a/b: {tools: {allow: ['automation_*', list_issues]}}\n"
        "  a/c: {tools: {allow: [list_issues], deny: ['automation_*']}}\n"
    )
    assert policy.decide("automation_stale_issue_detection", False, "a/b").allowed
    assert policy.decide("automation_stale_issue_detection", False, "x/y").rule == "automation"
    assert not policy.decide("automation_dependency_hygiene_scan", False, "a/c").allowed


def test_tool_denied_everywhere_hides_only_tools_nowhere_allowed() -> None:
    policy = Policy.parse(
        "tools: {deny: [search_code]}\nrepositories:\n  a/b: {tools: {allow: [create_issue, list_issues]}}\n"
    )
    assert policy.tool_denied_everywhere("search_code", False)
    assert not policy.tool_denied_everywhere("create_issue", True)
    assert policy.tool_denied_everywhere("create_label", True)
    assert not policy.tool_denied_everywhere("get_issue", False)
    assert policy.tool_denied_everywhere("automation_stale_issue_detection", False)


def test_filter_paths_withholds_denied_and_unsafe_entries() -> None:
    policy = Policy.parse(SPEC_EXAMPLE)
    allowed, withheld = policy.filter_paths(
        "acme/service-a", ["src", "src/app.py", "src/secrets", "src/secrets/key", "README.md", "src/../x"]
    )
    assert allowed == ["src", "src/app.py"]
    assert withheld == ["src/secrets", "src/secrets/key", "README.md", "src/../x"]


def test_ancestor_directories_of_allowed_globs_stay_visible() -> None:
    policy = Policy.parse("repositories:\n  a/b: {paths: {allow: ['docs/public/*']}}\n")
    allowed, withheld = policy.filter_paths("a/b", ["", "docs", "docs/public", "docs/public/x.md", "docs/private"])
    assert allowed == ["", "docs", "docs/public", "docs/public/x.md"]
    assert withheld == ["docs/private"]


def test_every_schema_error_is_listed_together() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.parse(
            "defaults: {read: maybe}\nbogus: 1\ntools: {deny: [Bad-Name]}\n"
            "repositories:\n  not-a-key: {}\n  a/b: {paths: {deny: ['../etc/*']}, extra: 1}\n"
            "  A/B2: {}\n  a/b2: {}\n"
        )
    errors = "\n".join(caught.value.errors)
    assert len(caught.value.errors) >= 6
    for fragment in ("defaults.read", "bogus", "tools.deny.0", "not-a-key", "a/b.paths.deny.0", "a/b.extra"):
        assert fragment in errors


def test_case_duplicate_repository_keys_are_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.parse("repositories:\n  A/B: {}\n  a/b: {}\n")
    assert "case-insensitive" in caught.value.errors[0]


def test_duplicate_yaml_keys_and_empty_files_are_refused() -> None:
    with pytest.raises(PolicyError, match="duplicate keys"):
        Policy.parse("tools: {deny: [a]}\ntools: {allow: [a]}\n")
    with pytest.raises(PolicyError, match="mapping"):
        Policy.parse("")


def test_unknown_tool_names_are_refused_when_the_catalog_is_given() -> None:
    with pytest.raises(PolicyError, match="unknown tool 'serch_code'"):
        Policy.parse("tools: {deny: [serch_code]}\n", known_tools={"search_code"})


def test_load_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        Policy.load(str(tmp_path / "missing.yaml"))
