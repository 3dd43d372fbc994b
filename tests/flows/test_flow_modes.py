"""FLOW_GUARD=warn lets a flagged write through and audits it; the policy file's flows.allow is validated."""

from __future__ import annotations

import pytest

from app.policy import Policy, PolicyError
from tests.flows.conftest import KEYS, FlowWorld, text_of

PRIVATE_READ = ("get_file_contents", {"owner": "acme", "repo": "roadmap", "filepath": "notes/plan.md"})


def test_warn_mode_writes_and_audits_flow_warned(warned: FlowWorld) -> None:
    key = KEYS[0]
    warned.call(*PRIVATE_READ, key)
    result = warned.call("create_issue", {"owner": "acme", "repo": "docs", "title": "warned write"}, key)
    assert not result.get("isError"), text_of(result)
    assert result["structuredContent"]["title"] == "warned write"
    warned_events = [e for e in warned.audit_entries() if e["event"] == "flow_warned"]
    assert len(warned_events) == 1
    assert warned_events[0]["decision"] == "allow" and warned_events[0]["sink"]["repository"] == "acme/docs"
    assert warned_events[0]["sources"][0]["repository"] == "acme/roadmap"
    assert not [e for e in warned.audit_entries() if e["event"] == "flow_denied"]


def test_policy_flow_grants_match_owner_wildcards_case_insensitively() -> None:
    policy = Policy.parse("flows:\n  allow:\n    - {from: 'acme/*', to: 'ACME/Docs'}\n")
    assert policy.flow_grant("acme/roadmap", "acme/docs") is not None
    assert policy.flow_grant("Acme/Ledger", "acme/DOCS") is not None
    assert policy.flow_grant("globex/vault", "acme/docs") is None
    assert policy.flow_grant("acme/roadmap", "acme/docs-public") is None


@pytest.mark.parametrize(("document", "problem"), [
    ("flows:\n  allow:\n    - {from: acme}\n", "flows.allow.0.from: invalid repository key 'acme'"),
    ("flows:\n  allow:\n    - {from: 'acme/*'}\n", "flows.allow.0.to: Missing data for required field."),
    ("flows:\n  deny: []\n", "flows.deny: Unknown field."),
])
def test_bad_flow_grant_is_refused_naming_the_entry(document: str, problem: str) -> None:
    with pytest.raises(PolicyError) as refused:
        Policy.parse(document)
    assert any(problem in error for error in refused.value.errors), refused.value.errors
