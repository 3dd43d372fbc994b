"""Audit events carry the context an investigator needs, never a secret or an unbounded blob."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.audit import (
    AuditChain,
    AuditContext,
    AuditRecorder,
    AuditWriteError,
    access_denied,
    security_event,
    tool_invocation,
    verify_chain,
)

CONTEXT = AuditContext(request_id="req-1", correlation_id="corr-1", principal="alice", client_id="claude")


def test_tool_invocation_has_every_field_and_bounded_arguments() -> None:
    arguments = {
        "owner": "acme",
        "body": "x" * 10_000,
        "labels": list(range(100)),
        "nested": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}},
        "gitea_token": "abc",
        "Authorization": "Bearer abc",
    }
    event = tool_invocation(
        CONTEXT, tool="create_issue", repository="acme/app", arguments=arguments,
        decision="allow", status="success", duration_ms=12.34567,
    )  # fmt: skip
    for field in ("request_id", "correlation_id", "principal", "client_id", "tool", "repository", "status"):
        assert event[field] is not None
    bounded = event["arguments"]
    assert len(bounded["body"]) < 300 and bounded["body"].endswith("(+9744 chars)")
    assert len(bounded["labels"]) == 21
    assert bounded["nested"]["a"]["b"]["c"]["d"] == "[depth limit]"
    assert bounded["gitea_token"] == bounded["Authorization"] == "***"
    assert event["duration_ms"] == 12.346


def test_access_denied_names_the_rule() -> None:
    event = access_denied(
        CONTEXT, tool="search_code", repository="acme/app", arguments={"query": "password"},
        reason="tool 'search_code' is denied by tools.deny", rule="tools.deny",
    )  # fmt: skip
    assert (event["event"], event["decision"], event["rule"]) == ("access_denied", "deny", "tools.deny")


GLUED = "rt-ghp_FAKE7Fk0123456789abcdefABCDEFGHIJ0123"


def test_a_refused_write_is_audited_with_glued_and_split_tokens_masked() -> None:
    split = "ghp_FAKE7Fk0123<!-- x -->456789abcdefABCDEFGHIJ0123"
    arguments = {"tag_name": GLUED, "body": f"build-{GLUED[3:]}-done", "notes": f"use {split} today"}
    for event in (
        access_denied(CONTEXT, tool="create_release", repository="acme/app", arguments=arguments,
                      reason="Inbound secret check", rule="inbound_secrets"),
        tool_invocation(CONTEXT, tool="create_release", repository="acme/app", arguments=arguments,
                        decision="allow", status="pending"),
    ):  # fmt: skip
        assert event["arguments"] == {"tag_name": "rt-[REDACTED:github_token]",
                                      "body": "build-[REDACTED:github_token]-done",
                                      "notes": "use [REDACTED:github_token] today"}  # fmt: skip


def test_events_survive_a_round_trip_through_the_chain(tmp_path: Path) -> None:
    chain = AuditChain(str(tmp_path / "audit.log"))
    chain.append(security_event(CONTEXT, kind="policy_reload_refused", details={"errors": ["x"] * 50}))
    chain.append(access_denied(CONTEXT, tool=None, repository=None, arguments=None, reason="r", rule="auth"))
    assert verify_chain([str(tmp_path / "audit.log")]).ok


@pytest.fixture
def broken_recorder(tmp_path: Path) -> AuditRecorder:
    blocker = tmp_path / "file"
    blocker.write_text("")
    return AuditRecorder(AuditChain(str(blocker / "audit.log")), fail_mode="open")


def test_a_write_tool_fails_closed_even_in_open_mode(broken_recorder: AuditRecorder) -> None:
    with pytest.raises(AuditWriteError):
        broken_recorder.record({"event": "tool_invocation"}, is_write=True)


def test_a_read_continues_in_open_mode(broken_recorder: AuditRecorder) -> None:
    assert broken_recorder.record({"event": "tool_invocation"}, is_write=False) is None


def test_a_read_fails_closed_by_default(broken_recorder: AuditRecorder) -> None:
    closed = AuditRecorder(broken_recorder.chain)
    with pytest.raises(AuditWriteError):
        closed.record({"event": "tool_invocation"}, is_write=False)
