"""The audit writer: one unbroken chain across processes, threads, crashes and rotations."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import threading
from pathlib import Path

import pytest

from app.audit import AuditChain, AuditWriteError, verify_chain
from app.audit.hashing import GENESIS_HASH

PROCESSES, THREADS, PER_THREAD = 4, 8, 25


def write_from_threads(path: str, worker: int) -> None:
    """One process of the concurrency test: THREADS threads sharing one AuditChain."""
    chain = AuditChain(path)

    def run(thread: int) -> None:
        for n in range(PER_THREAD):
            chain.append(
                {"event": "tool_invocation", "tool": "list_issues", "worker": worker, "thread": thread, "n": n}
            )

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def read_entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_entries_are_chained_from_genesis(tmp_path: Path) -> None:
    chain = AuditChain(str(tmp_path / "audit.log"))
    first = chain.append({"event": "tool_invocation", "tool": "get_issue"})
    second = chain.append({"event": "access_denied", "tool": "search_code"})
    assert first["prev_hash"] == GENESIS_HASH
    assert second["prev_hash"] == first["entry_hash"]
    assert read_entries(tmp_path / "audit.log") == [first, second]
    assert (tmp_path / "audit.log").stat().st_mode & 0o777 == 0o600


def test_four_processes_of_eight_threads_never_fork_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_from_threads, args=(str(path), w)) for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    result = verify_chain([str(path)], require_genesis=True)
    assert result.ok, result
    assert result.entries == PROCESSES * THREADS * PER_THREAD
    written = {(e["worker"], e["thread"], e["n"]) for e in read_entries(path)}
    assert len(written) == PROCESSES * THREADS * PER_THREAD


def test_a_torn_last_line_is_recovered_and_the_chain_stays_verifiable(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    last = chain.append({"event": "tool_invocation", "tool": "get_issue"})
    with path.open("ab") as handle:
        handle.write(b'{"event":"tool_invocation","to')
    assert not verify_chain([str(path)]).ok
    recovery = AuditChain(str(path)).recover()
    assert recovery is not None
    assert (recovery["kind"], recovery["prev_hash"]) == ("audit_torn_line_recovered", last["entry_hash"])
    chain.append({"event": "tool_invocation", "tool": "list_issues"})
    result = verify_chain([str(path)])
    assert (result.ok, result.torn_lines, result.entries) == (True, 1, 3)


def test_appending_after_a_crash_recovers_without_an_explicit_call(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    chain.append({"event": "tool_invocation"})
    with path.open("ab") as handle:
        handle.write('{"half": "é'.encode()[:-1])
    entry = chain.append({"event": "tool_invocation"})
    entries = path.read_bytes().split(b"\n")
    assert json.loads(entries[2])["kind"] == "audit_torn_line_recovered"
    assert json.loads(entries[3]) == entry
    assert verify_chain([str(path)]).ok


def test_an_entry_that_only_lost_its_newline_is_kept_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    chain.append({"event": "tool_invocation", "n": 1})
    whole = chain.append({"event": "tool_invocation", "n": 2})
    path.write_bytes(path.read_bytes()[:-1])
    assert chain.recover() is None
    result = verify_chain([str(path)])
    assert (result.ok, result.torn_lines, result.last_hash) == (True, 0, whole["entry_hash"])


def test_copytruncate_rotation_keeps_the_chain_continuous(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    for n in range(5):
        chain.append({"event": "tool_invocation", "n": n})
    shutil.copyfile(path, tmp_path / "audit.log.1")
    with path.open("r+b") as handle:
        handle.truncate(0)
    chain.append({"event": "tool_invocation", "n": 5})
    AuditChain(str(path)).append({"event": "tool_invocation", "n": 6})
    segments = [str(tmp_path / "audit.log.1"), str(path)]
    result = verify_chain(segments, require_genesis=True)
    assert (result.ok, result.entries) == (True, 7)
    assert not verify_chain([str(path)], require_genesis=True).ok
    assert not verify_chain(list(reversed(segments))).ok


def test_an_unwritable_path_raises_audit_write_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(AuditWriteError, match="cannot open audit log"):
        AuditChain(str(blocker / "audit.log")).append({"event": "tool_invocation"})


def test_a_corrupt_tail_stops_writing_instead_of_forking_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    AuditChain(str(path)).append({"event": "tool_invocation"})
    with path.open("ab") as handle:
        handle.write(b"not json at all\n")
    with pytest.raises(AuditWriteError, match="corrupt"):
        AuditChain(str(path)).append({"event": "tool_invocation"})


def test_an_unserialisable_event_raises_audit_write_error(tmp_path: Path) -> None:
    with pytest.raises(AuditWriteError):
        AuditChain(str(tmp_path / "audit.log")).append({"event": "tool_invocation", "value": float("nan")})


def test_rename_rotation_also_keeps_the_chain_continuous(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    for n in range(3):
        chain.append({"event": "tool_invocation", "n": n})
    path.rename(tmp_path / "audit.log.1")
    chain.append({"event": "tool_invocation", "n": 3})
    result = verify_chain([str(tmp_path / "audit.log.1"), str(path)], require_genesis=True)
    assert (result.ok, result.entries) == (True, 4)
