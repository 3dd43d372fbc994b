"""A worker runs all its GUNICORN_THREADS request threads from boot: its thread count is flat, not creeping up
with traffic (the soak of issue 19 saw gthread's pool add a thread mid-run)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.mcp.conftest import modern_headers, modern_request

THREADS = 8
WORKERS = 2


def thread_counts(server: GunicornServer) -> dict[int, int]:
    """Threads of each gunicorn worker (the master's children), from /proc."""
    assert server.process is not None
    master = server.process.pid
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid): len(list(Path(f"/proc/{pid}/task").iterdir())) for pid in workers}


def counts_once_booted(server: GunicornServer, expected: int, limit: float = 10.0) -> dict[int, int]:
    """The counts once every worker shows `expected` threads, or as they are when `limit` runs out."""
    deadline = time.monotonic() + limit
    while (counts := thread_counts(server)) != dict.fromkeys(counts, expected) or len(counts) < WORKERS:
        if time.monotonic() > deadline:
            return counts
        time.sleep(0.1)
    return counts


def list_issues(server: GunicornServer) -> int:
    body = modern_request("tools/call", {"name": "list_issues", "arguments": {"owner": "acme", "repo": "service-a"}})
    reply = requests.post(f"{server.url}/mcp", json=body, headers=modern_headers("tools/call", "list_issues"),
                          timeout=60)
    return reply.status_code


def test_each_worker_runs_main_plus_all_request_threads_from_boot_and_no_more_under_load(
    mcp_server: Callable[..., GunicornServer],
) -> None:
    server = mcp_server(GUNICORN_WORKERS=str(WORKERS), GUNICORN_THREADS=str(THREADS))
    booted = counts_once_booted(server, THREADS + 1)
    assert sorted(booted.values()) == [THREADS + 1] * WORKERS, booted
    # Three times as many concurrent calls as a worker has threads: a lazily grown pool would add threads here.
    with ThreadPoolExecutor(3 * THREADS) as clients:
        statuses = list(clients.map(lambda _: list_issues(server), range(12 * THREADS)))
    assert statuses == [200] * len(statuses)
    assert thread_counts(server) == booted
