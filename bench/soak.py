"""Soak (issue #19 part 4): 50,000 mixed tool calls at 16 clients against 2 workers, bounded at 10 minutes.

gunicorn (2 workers, GUNICORN_REUSE_PORT, Redis, write mode with one whitelisted repository) in front of the
Gitea emulator, which answers 1% of API requests with an injected fault (500, 502 or a reset connection, a third
each; seeded). 16 closed-loop clients send 2026-07-28 tools/call requests on kept-alive connections, in a fixed
mix per 20 calls: 14 reads (get_repository_info, list_issues, list_branches), 3 dry-run writes (create_issue
with dry_run on the whitelisted repository), 3 denials (create_issue on a repository outside the whitelist).
With one shared listening socket the 16 connections, opened at once, all went to one worker (measured 16/0);
with SO_REUSEPORT the kernel spreads them, and the soak checks that each worker did at least a tenth of the work.
The workers' RSS, threads and open files are sampled every second: each thread by name (bench/thread_names names
the server's OS threads after their Python threads), each file by kind (a connection by its other end). The
server is not warmed up: a worker starts its GUNICORN_THREADS request threads at boot (app/gunicorn_config.py).
At the end the audit log's hash chain is verified from genesis with `python -m app verify-audit`.
Targets (exit 1 when one misses): RSS growth after warm-up (the first 10% of calls) <= 5%; no growth in threads
or in open files other than connections; connections to Redis and Gitea are pools that grow, lazily, to the
calls a worker has had in flight at once, and stay within that bound (per client connection of the worker:
Redis <= 2, the store's and the rate limiter's pools; Gitea <= 1); no 5xx other than 502/503/504, and no more of
those than faults injected; every call answered (no connection error); the audit chain validates and holds at
least one entry per call.
Usage: make soak, or .venv/bin/python -m bench.soak [--calls 50000] [--clients 16] [--fault-rate 0.01]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from bench.bench_mcp import META
from bench.bench_streams import Footprint, cpu_seconds, worker_pids
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import ROOT, TEST_API_KEY, GunicornServer, base_env
from tests.fixtures.redis import RedisServer

TIME_LIMIT_S = 600
THREAD_NAMES = Path(__file__).with_name("thread_names")  # its sitecustomize.py names the server's OS threads
REPO = {"owner": "acme", "repo": "service-a"}
READS = [("get_repository_info", REPO), ("list_issues", REPO), ("list_branches", REPO)]
DRY_RUN = ("create_issue", {**REPO, "title": "Soak", "body": "planned only", "dry_run": True})
DENIED = ("create_issue", {"owner": "bob", "repo": "dotfiles", "title": "Soak"})
FAULT_KINDS = ("500", "502", "reset")
UPSTREAM_STATUSES = {502, 503, 504}


def call_of(index: int) -> tuple[str, str, dict[str, Any]]:
    """The index-th call of the mix: (kind, tool, arguments)."""
    slot = index % 20
    if slot < 14:  # reads
        return ("read", *READS[slot % len(READS)])
    return ("dry-run write", *DRY_RUN) if slot < 17 else ("denial", *DENIED)


@dataclass
class Tally:
    """What the clients saw, shared by them."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    done: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.outcomes[(kind, outcome)] += 1
            self.done += 1


class SoakClient:
    """One client on one kept-alive connection; reconnects (and records it) if the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": tool, "arguments": arguments, "_meta": META}}
        headers = {"Authorization": f"Bearer {TEST_API_KEY}", "MCP-Protocol-Version": "2026-07-28",
                   "Mcp-Method": "tools/call", "Mcp-Name": tool, "Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"}
        self.connection.request("POST", "/mcp", json.dumps(body).encode(), headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")


def outcome(status: int, reply: dict[str, Any]) -> str:
    """ok, a tool error (named by its first words: a refusal, an upstream failure), or the HTTP status."""
    result = reply.get("result", {})
    if status == 200 and result.get("isError"):
        text = " ".join(str(result.get("content", [{}])[0].get("text", "")).split()[:4])
        return f"tool error: {text}"
    return "ok" if status == 200 else f"HTTP {status}"


def run_client(port: int, next_index: Any, tally: Tally, stop_at: float) -> None:
    client = SoakClient(port)
    while time.monotonic() < stop_at and (index := next_index()) is not None:
        kind, tool, arguments = call_of(index)
        try:
            status, reply = client.call(tool, arguments)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            with tally.lock:
                tally.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
            client = SoakClient(port)
            continue
        tally.add(kind, outcome(status, reply))


def counter(total: int) -> Any:
    """A thread-safe source of call indexes, None when all are handed out."""
    lock, state = threading.Lock(), {"next": 0}

    def take() -> int | None:
        with lock:
            if state["next"] >= total:
                return None
            state["next"] += 1
            return state["next"] - 1

    return take


@dataclass
class Sample:
    elapsed: float
    done: int
    footprint: Footprint
    pids: list[int]
    threads: Counter[tuple[int, str]]  # (worker, OS thread name): how many
    files: Counter[tuple[int, str]]  # (worker, kind of open file: clients, redis, gitea, other): how many


def thread_names(pids: list[int]) -> Counter[tuple[int, str]]:
    """Every thread of the workers as (worker, name); a thread that ends while being read is left out."""
    names: Counter[tuple[int, str]] = Counter()
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                names[(pid, Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip())] += 1
            except FileNotFoundError:
                continue
    return names


def tcp_ports() -> dict[str, tuple[int, int]]:
    """Every TCP socket of the machine: inode -> (local port, remote port)."""
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            ports[fields[9]] = (int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def open_files(pids: list[int], peers: dict[int, str], server_port: int) -> Counter[tuple[int, str]]:
    """Each worker's open files by kind: a connection by who is at the other end (the soak's clients, Redis,
    Gitea), anything else (files, pipes, listening sockets) as "other"."""
    ports, files = tcp_ports(), Counter[tuple[int, str]]()
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(FileNotFoundError):
                local, remote = ports.get(os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1], (0, 0))
                files[(pid, "clients" if local == server_port and remote else peers.get(remote, "other"))] += 1
    return files


def sample_workers(server: GunicornServer, tally: Tally, samples: list[Sample], stop: threading.Event,
                   peers: dict[int, str]) -> None:
    started = time.monotonic()
    while not stop.wait(1.0):
        pids = worker_pids(server)
        try:
            samples.append(Sample(time.monotonic() - started, tally.done, Footprint.of(pids), pids,
                                  thread_names(pids), open_files(pids, peers, server.port)))
        except (FileNotFoundError, ProcessLookupError):
            continue  # a worker went away between listing and reading: the pid check below reports it


def arm_faults(emulator: EmulatorProcess, rate: float) -> None:
    for kind in FAULT_KINDS:
        spec = {"path": "/api/v1/*", "kind": kind, "rate": rate / len(FAULT_KINDS)}
        armed = requests.post(f"{emulator.base_url}/_emulator/faults", json=spec, timeout=10)
        assert armed.status_code == 201, armed.text


def faults_injected(emulator: EmulatorProcess) -> int:
    return sum(fault["hits"] for fault in requests.get(f"{emulator.base_url}/_emulator/faults", timeout=10).json())


def verify_audit(path: str) -> tuple[bool, int, str]:
    """The operator's command, from genesis: (valid, entries, its output)."""
    done = subprocess.run([sys.executable, "-m", "app", "verify-audit", path, "--from-genesis"], cwd=ROOT,
                          env=base_env(), capture_output=True, text=True, timeout=300, check=False)
    text = (done.stdout + done.stderr).strip()
    entries = int(text.split(" entries")[0].rsplit(" ", 1)[1]) if done.returncode == 0 and " entries" in text else 0
    return done.returncode == 0, entries, text


def window(samples: list[Sample], low: float, high: float, total: int) -> list[Sample]:
    return [s for s in samples if low * total <= s.done <= high * total]


@dataclass
class Verdict:
    lines: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def check(self, label: str, value: str, ok: bool) -> None:
        self.lines.append(f"| {label} | {value} | {'met' if ok else '**MISSED**'} |")
        if not ok:
            self.missed.append(label)

    def note(self, label: str, value: str) -> None:
        self.lines.append(f"| {label} | {value} | - |")


def by_kind(threads: Counter[tuple[int, str]]) -> str:
    """Threads of all workers by name without its sequence number: "gunicorn 2, TPE-0 64"."""
    kinds: Counter[str] = Counter()
    for (_, name), count in threads.items():
        kinds[re.sub(r"[-_]\d+$", "", name)] += count
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))


def started_late(samples: list[Sample], base: list[Sample]) -> str:
    """Threads alive at the end that no sample of the warm-up window saw, with the call they appeared by."""
    seen = {key for s in base for key in s.threads}
    late = sorted(set(samples[-1].threads) - seen)
    appeared = {key: next(s.done for s in samples if key in s.threads) for key in late}
    return ", ".join(f"{name} (worker {pid}, by call {appeared[(pid, name)]:,})" for pid, name in late) or "none"


def of_kind(sample: Sample, kind: str, pid: int | None = None) -> int:
    return sum(n for (worker, seen), n in sample.files.items() if seen == kind and pid in (None, worker))


def judge_files(verdict: Verdict, samples: list[Sample], base: list[Sample], end: list[Sample]) -> None:
    """Files and pipes must not grow at all; connections are pools, bounded by the calls a worker has in flight."""
    top, last = max(of_kind(s, "other") for s in base), statistics.median(of_kind(s, "other") for s in end)
    verdict.check("fds other than connections (max after warm-up vs median at the end)", f"{top} -> {last:g}",
                  last <= top)
    verdict.note("fds, all (max after warm-up vs median at the end)", f"{max(s.footprint.fds for s in base)} -> "
                 f"{statistics.median(s.footprint.fds for s in end):g}")
    worst, held = dict.fromkeys(("redis", "gitea"), 0.0), Counter[int]()
    for sample in samples:
        for pid in sample.pids:
            # A pool holds as many connections as the worker has had calls in flight at once, at most as many as
            # the client connections it has held so far (the clients close theirs as they finish).
            held[pid] = max(held[pid], of_kind(sample, "clients", pid), 1)
            worst["redis"] = max(worst["redis"], of_kind(sample, "redis", pid) / held[pid])
            worst["gitea"] = max(worst["gitea"], of_kind(sample, "gitea", pid) / held[pid])
    verdict.check("connections per client connection, worst worker and sample: Redis <= 2 (the store's and the "
                  "rate limiter's pools), Gitea <= 1", f"Redis {worst['redis']:.2f}, Gitea {worst['gitea']:.2f}",
                  worst["redis"] <= 2 and worst["gitea"] <= 1)
    verdict.note("connections, median after warm-up / at the end (clients, Redis, Gitea; both workers)",
                 " / ".join(", ".join(f"{statistics.median(of_kind(s, kind) for s in w):g}"
                                      for kind in ("clients", "redis", "gitea")) for w in (base, end)))


def judge_threads(verdict: Verdict, samples: list[Sample], base: list[Sample], end: list[Sample]) -> None:
    top = max(s.footprint.threads for s in base)
    last = statistics.median(s.footprint.threads for s in end)
    verdict.check("threads (max after warm-up vs median at the end)", f"{top} -> {last:g}", last <= top)
    counts = [s.footprint.threads for s in samples]
    verdict.note("threads by name: first sample / after warm-up / end",
                 f"{by_kind(samples[0].threads)} / {by_kind(base[-1].threads)} / {by_kind(end[-1].threads)} "
                 f"(every sample: {min(counts)}-{max(counts)})")
    verdict.note("threads started after warm-up, alive at the end", started_late(samples, base))


def judge(tally: Tally, samples: list[Sample], calls: int, *, injected: int, audit: tuple[bool, int, str],
          elapsed: float, cpu: list[float]) -> Verdict:
    verdict = Verdict()
    verdict.check("calls answered", f"{tally.done:,} of {calls:,} in {elapsed:.0f} s "
                  f"({tally.done / max(elapsed, 1e-9):.0f}/s)", tally.done == calls and elapsed <= TIME_LIMIT_S)
    verdict.check("CPU each worker used (each at least a tenth of the total)", " / ".join(f"{s:.0f} s" for s in cpu),
                  min(cpu) >= sum(cpu) / 10)
    verdict.check("connection errors", f"{len(tally.errors)} {tally.errors[:2]}", not tally.errors)
    statuses = Counter(int(o.split()[1]) for (_, o), n in tally.outcomes.items() for _ in range(n) if o[:4] == "HTTP")
    server_errors = {s: n for s, n in statuses.items() if s >= 500}
    upstream = sum(n for s, n in server_errors.items() if s in UPSTREAM_STATUSES)
    verdict.check("5xx other than 502/503/504", str({s: n for s, n in server_errors.items()
                                                     if s not in UPSTREAM_STATUSES}),
                  all(s in UPSTREAM_STATUSES for s in server_errors))
    # A read fails only through an injected fault: as a tool error result (HTTP 200) or a 502/503/504.
    failed_reads = sum(n for (kind, seen), n in tally.outcomes.items() if kind == "read" and seen != "ok")
    verdict.check("reads failed vs upstream faults injected", f"{failed_reads} reads ({upstream} as 502/503/504, "
                  f"the rest tool errors), {injected} faults (retries of idempotent reads absorb the others)",
                  failed_reads <= injected)
    base, end = window(samples, 0.10, 0.30, calls), window(samples, 0.80, 1.0, calls)
    if not base or not end:
        verdict.check("resource samples", f"{len(samples)} samples: too few to judge", False)
        return verdict
    rss0, rss1 = (statistics.median(s.footprint.rss_mib for s in w) for w in (base, end))
    verdict.check("RSS growth after warm-up (median, calls 10-30% vs 80-100%)",
                  f"{rss0:.1f} -> {rss1:.1f} MiB ({(rss1 / rss0 - 1) * 100:+.1f}%)", rss1 <= rss0 * 1.05)
    judge_files(verdict, samples, base, end)
    judge_threads(verdict, samples, base, end)
    verdict.check("workers replaced", str(len({tuple(s.pids) for s in samples}) - 1),
                  len({tuple(s.pids) for s in samples}) == 1)
    valid, entries, text = audit
    verdict.check("audit chain from genesis", f"{text[:90]}", valid and entries >= tally.done)
    return verdict


def port_of(url: str) -> int:
    return int(urlsplit(url).port or 0)


def soak(calls: int, clients: int, rate: float) -> tuple[Verdict, Tally]:
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="soak-emulator-"))
    redis = RedisServer().start()
    env = {"GITEA_URL": emulator.base_url, "GITEA_TOKEN": emulator.token("alice"), "LOG_LEVEL": "WARNING",
           "GUNICORN_WORKERS": "2", "GUNICORN_REUSE_PORT": "true", "REDIS_URL": redis.url, "WRITE_MODE": "true",
           "WRITE_REPOSITORY_WHITELIST": "acme/service-a"}
    policy = Path(tempfile.mkdtemp(prefix="soak-policy-")) / "policy.yaml"
    policy.write_text("defaults:\n  read: allow\n  write: allow\n")  # the whitelist still refuses bob/dotfiles
    server = GunicornServer(base_env(**env, POLICY_FILE=str(policy), PYTHONPATH=str(THREAD_NAMES))).start()
    tally, stop = Tally(), threading.Event()
    samples: list[Sample] = []
    try:
        arm_faults(emulator, rate)
        peers = {port_of(redis.url): "redis", port_of(emulator.base_url): "gitea"}
        sampler = threading.Thread(target=sample_workers, args=(server, tally, samples, stop, peers), daemon=True)
        sampler.start()
        started = time.monotonic()
        take = counter(calls)
        with ThreadPoolExecutor(clients) as pool:
            for _ in range(clients):
                pool.submit(run_client, server.port, take, tally, started + TIME_LIMIT_S)
        elapsed = time.monotonic() - started
        cpu = [cpu_seconds([pid]) for pid in worker_pids(server)]
        stop.set()
        sampler.join()
        injected = faults_injected(emulator)
    finally:
        stop.set()
        server.stop()
        redis.stop()
        emulator.stop()
    audit = verify_audit(server.env["AUDIT_LOG_PATH"])
    return judge(tally, samples, calls, injected=injected, audit=audit, elapsed=elapsed, cpu=cpu), tally


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    args = parser.parse_args()
    verdict, tally = soak(args.calls, args.clients, args.fault_rate)
    print(f"soak: {args.calls:,} calls, {args.clients} clients, 2 workers + Redis, upstream faults "
          f"{args.fault_rate:.0%}, load average {os.getloadavg()[0]:.2f}")
    print("| what the clients saw | calls |\n|---|---|")
    for (kind, seen), count in sorted(tally.outcomes.items()):
        print(f"| {kind}: {seen} | {count:,} |")
    print("\n| check | measured | target |\n|---|---|---|")
    print("\n".join(verdict.lines))
    if verdict.missed:
        print(f"\nMISSED: {', '.join(verdict.missed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
