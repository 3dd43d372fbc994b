"""Tampering with a written audit log is detected at the right line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.audit import AuditChain, verify_chain
from app.audit.hashing import canonical_json, line_sha256, seal


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    for n in range(1, 7):
        chain.append({"event": "tool_invocation", "tool": "get_issue", "n": n, "status": "success"})
    return path


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def rewrite(path: Path, new_lines: list[str]) -> None:
    path.write_text("".join(new_lines))


def test_an_untouched_log_verifies(log: Path) -> None:
    result = verify_chain([str(log)], require_genesis=True)
    assert (result.ok, result.entries, result.first_bad_line) == (True, 6, None)


def test_an_edited_field_is_reported_at_its_line(log: Path) -> None:
    content = lines(log)
    content[2] = content[2].replace('"status":"success"', '"status":"failure"')
    rewrite(log, content)
    result = verify_chain([str(log)])
    assert (result.ok, result.first_bad_line, result.path) == (False, 3, str(log))
    assert "entry_hash does not match" in result.reason


def test_a_deleted_line_is_reported_where_the_gap_is(log: Path) -> None:
    content = lines(log)
    del content[3]
    rewrite(log, content)
    result = verify_chain([str(log)])
    assert (result.ok, result.first_bad_line) == (False, 4)
    assert "prev_hash does not link" in result.reason


def test_reordered_lines_are_reported(log: Path) -> None:
    content = lines(log)
    content[1], content[2] = content[2], content[1]
    rewrite(log, content)
    result = verify_chain([str(log)])
    assert (result.ok, result.first_bad_line) == (False, 2)


def test_an_inserted_well_formed_entry_breaks_the_next_link(log: Path) -> None:
    content = lines(log)
    previous = json.loads(content[1])
    forged = seal({"event": "tool_invocation", "tool": "create_issue"}, previous["entry_hash"], previous["ts"])
    content.insert(2, canonical_json(forged) + "\n")
    rewrite(log, content)
    result = verify_chain([str(log)])
    assert (result.ok, result.first_bad_line) == (False, 4)


def test_an_inserted_garbage_line_is_reported(log: Path) -> None:
    content = lines(log)
    content.insert(4, "{}\n")
    rewrite(log, content)
    assert verify_chain([str(log)]).first_bad_line == 5


def test_a_reformatted_line_with_the_same_content_is_reported(log: Path) -> None:
    content = lines(log)
    content[0] = json.dumps(json.loads(content[0]), indent=None) + "\n"
    rewrite(log, content)
    result = verify_chain([str(log)])
    assert (result.first_bad_line, result.reason) == (1, "line is not in canonical form (edited)")


def test_deleting_the_head_is_caught_when_genesis_is_required(log: Path) -> None:
    rewrite(log, lines(log)[2:])
    assert verify_chain([str(log)]).ok
    result = verify_chain([str(log)], require_genesis=True)
    assert (result.ok, result.first_bad_line) == (False, 1)


def test_only_the_exact_recovery_pattern_excuses_a_bad_line(log: Path) -> None:
    content = lines(log)
    previous = json.loads(content[-1])
    garbage = b'{"event":"tool_invoc'
    wrong = {"event": "security_event", "kind": "audit_torn_line_recovered",
             "details": {"torn_line_sha256": line_sha256(b"something else")}}  # fmt: skip
    forged = seal(wrong, previous["entry_hash"], previous["ts"])
    rewrite(log, [*content, garbage.decode() + "\n", canonical_json(forged) + "\n"])
    result = verify_chain([str(log)])
    assert (result.ok, result.first_bad_line) == (False, 7)
    assert result.reason == "not valid JSON"


def test_segments_verify_only_in_order_and_without_gaps(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    segments: list[str] = []
    for segment in range(3):
        for n in range(3):
            chain.append({"event": "tool_invocation", "segment": segment, "n": n})
        rotated = tmp_path / f"audit.log.{3 - segment}"
        rotated.write_bytes(path.read_bytes())
        path.write_bytes(b"")
        segments.insert(0, str(rotated))
    ordered = list(reversed(segments))
    assert verify_chain(ordered, require_genesis=True).ok
    result = verify_chain([ordered[0], ordered[2]])
    assert (result.ok, result.path, result.first_bad_line) == (False, ordered[2], 1)
    assert "does not link to the end of the previous one" in result.reason
