"""The toxic-flow guard replayed with no model in the loop: the calls an injected agent makes are refused at
the write that would leak, the calls real work makes are not (tests/flows/scenarios.py)."""

from __future__ import annotations

import pytest

from tests.flows.conftest import KEYS, FlowWorld, text_of
from tests.flows.scenarios import ATTACKS, BENIGN, Scenario

SCENARIOS = (*ATTACKS, *BENIGN)
ACROSS_HOSTS = (*ATTACKS[:3], *ATTACKS[-8:-3], *BENIGN[:2], *BENIGN[-6:])


def replay(world: FlowWorld, scenario: Scenario, key: str, hosts: int = 1) -> dict:
    """Every call but the last must succeed (or the scenario tests nothing); return the last result."""
    for position, (tool, arguments) in enumerate(scenario.steps[:-1]):
        result = world.call(tool, arguments, key, host=position % hosts)
        assert not result.get("isError"), f"step {position} {tool} failed: {text_of(result)}"
    tool, arguments = scenario.write
    return world.call(tool, arguments, key, host=(len(scenario.steps) - 1) % hosts)


def test_the_suite_has_thirty_attacks_and_thirty_benign_sequences() -> None:
    assert len(ATTACKS) >= 30 and len(BENIGN) >= 30
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[s.name for s in SCENARIOS])
def test_scenario_last_write_is_refused_exactly_when_it_leaks(world: FlowWorld, index: int) -> None:
    scenario = SCENARIOS[index]
    result = replay(world, scenario, KEYS[index])
    text = text_of(result)
    if scenario.refused:
        assert result.get("isError") is True, text
        assert "Refused by the flow guard; nothing was written" in text
        assert f"to {scenario.write[1]['owner']}/{scenario.write[1]['repo']}" in text
    else:
        assert not result.get("isError"), text


def test_refused_flow_is_audited_as_flow_denied_naming_source_and_sink(world: FlowWorld) -> None:
    key = KEYS[len(SCENARIOS)]  # a window of its own
    world.call("get_file_contents", {"owner": "globex", "repo": "vault", "filepath": "notes/plan.md"}, key)
    result = world.call("create_issue", {"owner": "acme", "repo": "docs", "title": "t", "body": "b"}, key)
    assert "globex/vault" in text_of(result) and "get_file_contents" in text_of(result)
    client = f"api-key-{len(SCENARIOS) + 1}"  # API key ids count from 1
    denied = [e for e in world.audit_entries() if e["event"] == "flow_denied" and e["client_id"] == client]
    assert len(denied) == 1
    assert denied[0]["sink"] == {"repository": "acme/docs", "level": "public"}
    assert [(s["repository"], s["level"], s["tool"]) for s in denied[0]["sources"]] == [
        ("globex/vault", "private", "get_file_contents")]
    assert denied[0]["decision"] == "deny" and denied[0]["tool"] == "create_issue"


def test_each_client_has_its_own_window(world: FlowWorld) -> None:
    reader, writer = KEYS[len(SCENARIOS) + 1], KEYS[len(SCENARIOS) + 2]
    world.call("get_file_contents", {"owner": "acme", "repo": "roadmap", "filepath": "notes/plan.md"}, reader)
    comment = {"owner": "acme", "repo": "docs", "issue_number": 1, "body": "hello", "dry_run": True}
    assert not world.call("create_issue_comment", comment, writer).get("isError")
    assert world.call("create_issue_comment", comment, reader).get("isError") is True


def test_a_failed_read_leaves_no_label(world: FlowWorld) -> None:
    key = KEYS[len(SCENARIOS) + 3]
    missing = world.call("get_file_contents", {"owner": "acme", "repo": "roadmap", "filepath": "nope.md"}, key)
    assert missing.get("isError") is True
    comment = {"owner": "acme", "repo": "docs", "issue_number": 1, "body": "hello", "dry_run": True}
    assert not world.call("create_issue_comment", comment, key).get("isError")


@pytest.mark.parametrize("index", range(len(ACROSS_HOSTS)), ids=[s.name for s in ACROSS_HOSTS])
def test_scenario_across_two_hosts_sharing_redis(two_hosts: FlowWorld, index: int) -> None:
    scenario = ACROSS_HOSTS[index]
    result = replay(two_hosts, scenario, KEYS[index], hosts=2)
    assert bool(result.get("isError")) is scenario.refused, text_of(result)
