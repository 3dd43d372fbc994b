"""Audit append throughput from 4 processes (target: >= 5,000 entries/s total), chain verified after."""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audit import AuditChain, AuditContext, tool_invocation, verify_chain

TARGET_PER_SECOND = 5_000
PROCESSES = 4
THREADS = 4
PER_THREAD = 1_250


def event(worker: int, n: int) -> dict[str, object]:
    context = AuditContext(f"req-{worker}-{n}", "corr", "alice", "bench-client")
    arguments = {"owner": "acme", "repo": "service-a", "filepath": "src/app.py", "ref": "main"}
    return tool_invocation(
        context, tool="get_file_contents", repository="acme/service-a", arguments=arguments,
        decision="allow", status="success", duration_ms=3.2,
    )  # fmt: skip


def writer(path: str, worker: int, start: Any) -> None:
    import threading

    chain = AuditChain(path)
    events = [event(worker, n) for n in range(PER_THREAD)]
    start.wait()

    def run() -> None:
        for item in events:
            chain.append(dict(item))

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> int:
    path = str(Path(tempfile.mkdtemp(prefix="bench-audit-")) / "audit.log")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=writer, args=(path, w, start)) for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    time.sleep(2.0)  # let every spawned interpreter import and build its events before the clock starts
    began = time.perf_counter()
    start.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    total = PROCESSES * THREADS * PER_THREAD
    rate = total / elapsed
    verify_started = time.perf_counter()
    result = verify_chain([path], require_genesis=True)
    verify_rate = result.entries / (time.perf_counter() - verify_started)
    print(f"{PROCESSES} processes x {THREADS} threads, {total} entries in {elapsed:.2f} s")
    print(f"append rate {rate:9.0f} entries/s   target {TARGET_PER_SECOND}   ratio {rate / TARGET_PER_SECOND:5.2f}")
    print(f"verify: ok={result.ok} entries={result.entries} ({verify_rate:.0f} entries/s) reason={result.reason!r}")
    passed = result.ok and result.entries == total and rate >= TARGET_PER_SECOND
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
