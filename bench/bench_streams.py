"""Streams at scale (issue #19 part 3): what 1,000 idle streams cost one host, and what they do to tool calls.

One host: gunicorn with 2 workers sharing Redis, in front of the Gitea emulator. In one run:
  1. tool-call p50/p99 at 1 client and at 16 closed-loop clients with no stream open;
  2. open --streams idle streams (half legacy HTTP+SSE `GET /mcp/sse`, half legacy Streamable HTTP `GET /mcp`),
     one reader thread counting the keep-alives they receive; count any refused stream or connection;
  3. the same tool-call measurements with every stream held open.
Every latency is measured side by side with a twin server (same settings, same Redis, no streams), calls
interleaved: the rise charged to the streams is (held - twin) with streams minus (held - twin) without, so the
machine's drift between the phases (other engineers' tests) cancels out.
Workers' RSS, threads and open file descriptors (from /proc) and Redis's client count are sampled in each
phase; memory per stream = RSS rise of both workers / streams.
Usage: .venv/bin/python -m bench.bench_streams [--streams 1000] [--threads 640] [--calls 400]
Targets: every stream opens (no refusal), p50 rises <= 1 ms at 1 client.
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from bench.bench_mcp import tool_maker
from bench.loadgen import interleaved, pct
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env
from tests.fixtures.redis import RedisServer

KEEPALIVE = b": keep-alive"


@dataclass
class Footprint:
    """One process tree's resources at one moment (summed over the workers)."""

    rss_mib: float
    threads: int
    fds: int

    @classmethod
    def of(cls, pids: list[int]) -> Footprint:
        rss = threads = fds = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            rss += int(fields["VmRSS"].split()[0])
            threads += int(fields["Threads"])
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        return cls(rss / 1024, threads, fds)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def idle_cpu(pids: list[int], seconds: float) -> float:
    """Percent of one core the processes use over `seconds` with no tool call running."""
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return (cpu_seconds(pids) - before) / seconds * 100


def worker_pids(server: GunicornServer) -> list[int]:
    """The gunicorn workers: the master's children."""
    assert server.process is not None
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


class IdleStreams:
    """Raw-socket SSE streams held open; one reader thread drains them and counts keep-alives."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sockets: list[socket.socket] = []
        self.refused: list[str] = []
        self.keepalives = 0
        self.closed_by_server = 0
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)

    def open(self, path: str, headers: dict[str, str]) -> None:
        """Open one stream and wait for its first bytes (the headers and first event); record a refusal."""
        try:
            sock = socket.create_connection(self.address, timeout=30)
            lines = [f"GET {path} HTTP/1.1", f"Host: {self.address[0]}:{self.address[1]}",
                     "Accept: text/event-stream", f"Authorization: Bearer {TEST_API_KEY}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            head = sock.recv(4096)
        except OSError as exc:
            self.refused.append(type(exc).__name__)
            return
        if not head.startswith(b"HTTP/1.1 200"):
            self.refused.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
            sock.close()
            return
        sock.setblocking(False)
        self.sockets.append(sock)
        self._selector.register(sock, selectors.EVENT_READ)

    def start_reading(self) -> None:
        self._reader.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.5):
                sock: Any = key.fileobj
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.closed_by_server += 1
                    self._selector.unregister(sock)
                    continue
                self.keepalives += data.count(KEEPALIVE)

    def close(self) -> None:
        self._stop.set()
        self._reader.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def legacy_session(url: str) -> str:
    """A 2025-06-18 session id for GET /mcp."""
    params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
    reply = requests.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params},
                          headers={"Authorization": f"Bearer {TEST_API_KEY}",
                                   "Accept": "application/json, text/event-stream"}, timeout=10)
    assert reply.status_code == 200, reply.text[:300]
    return reply.headers["Mcp-Session-Id"]


def open_streams(server: GunicornServer, count: int) -> tuple[IdleStreams, float]:
    streams = IdleStreams("127.0.0.1", server.port)
    session = legacy_session(server.url)
    started = time.perf_counter()
    for index in range(count):
        if index % 2:
            streams.open("/mcp", {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"})
        else:
            streams.open("/mcp/sse", {})
    elapsed = time.perf_counter() - started
    streams.start_reading()
    return streams, elapsed


def latencies(held: str, plain: str, calls: int) -> dict[str, dict[str, list[float]]]:
    """Tool calls to the server that holds the streams and to its twin that holds none, side by side: one
    call of each in turn (bench/loadgen.py says why), by 1 client, then by 16 closed-loop clients at once
    (each alternating between the two, so both servers see the same machine at every moment)."""
    one = interleaved({"held": tool_maker(held)(), "plain": tool_maker(plain)()}, calls)
    with ThreadPoolExecutor(16) as pool:
        rounds = list(pool.map(lambda _: interleaved({"held": tool_maker(held)(), "plain": tool_maker(plain)()},
                                                      max(10, calls // 8), warmup=2), range(16)))
    closed = {name: [sample for samples in rounds for sample in samples[name]] for name in ("held", "plain")}
    return {"1 client": one, "16 clients, closed loop": closed}


def redis_clients(redis: RedisServer) -> int:
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as sock:
        sock.sendall(b"INFO clients\r\n")
        time.sleep(0.1)
        text = sock.recv(65536).decode()
    return int(text.split("connected_clients:", 1)[1].split()[0])


def measure(server: GunicornServer, twin: GunicornServer, redis: RedisServer, *, streams: int, calls: int,
            settle: float) -> list[str]:
    pids = worker_pids(server)
    latencies(server.url, twin.url, 50)  # warm both workers of both servers and their upstream pools
    before, idle_before, redis_before = latencies(server.url, twin.url, calls), Footprint.of(pids), redis_clients(redis)
    cpu_before = idle_cpu(pids, 2 * settle)
    held, opening = open_streams(server, streams)
    time.sleep(settle)  # at least one keep-alive interval: every stream has been written to since it opened
    cpu_during = idle_cpu(pids, 2 * settle)
    during, idle_during = latencies(server.url, twin.url, calls), Footprint.of(pids)
    split = [Footprint.of([pid]).threads - 12 for pid in pids]  # a worker has ~12 threads before any stream
    redis_during, keepalives, cut = redis_clients(redis), held.keepalives, held.closed_by_server
    held.close()
    opened = len(held.sockets)
    lines = [f"streams asked {streams}, opened {opened} in {opening:.1f} s, refused {len(held.refused)} "
             f"{sorted(set(held.refused))[:3]}, cut by the server {cut}, keep-alives received {keepalives}, "
             f"streams per worker ~{split}",
             "| tools/call get_repository_info | held p50 | twin p50 | held p99 | twin p99 |", "|---|---|---|---|---|"]
    for clients in ("1 client", "16 clients, closed loop"):
        for label, phase in (("no streams", before), (f"{opened} idle streams on held", during)):
            held_s, twin_s = phase[clients]["held"], phase[clients]["plain"]
            lines.append(f"| {clients}, {label} | {pct(held_s, 0.5):.2f} | {pct(twin_s, 0.5):.2f} | "
                         f"{pct(held_s, 0.99):.2f} | {pct(twin_s, 0.99):.2f} |")
        rise50 = gap(during[clients], 0.5) - gap(before[clients], 0.5)
        rise99 = gap(during[clients], 0.99) - gap(before[clients], 0.99)
        lines.append(f"| **{clients}: rise from the streams (held - twin, minus the same gap without streams)** | "
                     f"**{rise50:+.2f}** | | **{rise99:+.2f}** | |")
    per_stream = (idle_during.rss_mib - idle_before.rss_mib) * 1024 / max(1, opened)
    lines += ["", "| held server, both workers | no streams | with streams | per stream |", "|---|---|---|---|",
              f"| RSS MiB | {idle_before.rss_mib:.1f} | {idle_during.rss_mib:.1f} | {per_stream:.1f} KiB |",
              f"| threads | {idle_before.threads} | {idle_during.threads} | "
              f"{(idle_during.threads - idle_before.threads) / max(1, opened):.2f} |",
              f"| open fds | {idle_before.fds} | {idle_during.fds} | "
              f"{(idle_during.fds - idle_before.fds) / max(1, opened):.2f} |",
              f"| CPU with no tool call, % of a core | {cpu_before:.1f} | {cpu_during:.1f} | "
              f"{(cpu_during - cpu_before) / max(1, opened) * 1000:.2f} per 1,000 |",
              f"| Redis clients (host, both servers) | {redis_before} | {redis_during} | "
              f"{(redis_during - redis_before) / max(1, opened):.2f} |"]
    return lines


def gap(samples: dict[str, list[float]], q: float) -> float:
    return pct(samples["held"], q) - pct(samples["plain"], q)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0, help="GUNICORN_THREADS (0: the shipped default)")
    parser.add_argument("--per-worker", type=int, default=0, help="MCP_MAX_STREAMS_PER_WORKER (0: the default)")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--reuse-port", action="store_true", help="GUNICORN_REUSE_PORT=true")
    parser.add_argument("--keepalive", type=float, default=5.0, help="SSE_KEEPALIVE_SECONDS")
    args = parser.parse_args()
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="bench-streams-emulator-"))
    redis = RedisServer().start()
    env = {"GITEA_URL": emulator.base_url, "GITEA_TOKEN": emulator.token("alice"), "LOG_LEVEL": "WARNING",
           "GUNICORN_WORKERS": "2", "REDIS_URL": redis.url, "SSE_KEEPALIVE_SECONDS": str(args.keepalive),
           # one client address and one key open every stream here: the caps would refuse them (tests/mcp)
           "MCP_MAX_STREAMS_PER_CREDENTIAL": str(args.streams), "MCP_MAX_STREAMS_PER_ADDRESS": str(args.streams)}
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    if args.reuse_port:
        env["GUNICORN_REUSE_PORT"] = "true"
    if args.per_worker:
        env["MCP_MAX_STREAMS_PER_WORKER"] = str(args.per_worker)
    server = GunicornServer(base_env(**env)).start()
    twin = GunicornServer(base_env(**env)).start()
    try:
        lines = measure(server, twin, redis, streams=args.streams, calls=args.calls, settle=args.keepalive + 1)
    finally:
        twin.stop()
        server.stop()
        redis.stop()
        emulator.stop()
    print(f"2 workers + Redis, GUNICORN_THREADS={args.threads or 'default'}, "
          f"MCP_MAX_STREAMS_PER_WORKER={args.per_worker or 'default'}, GUNICORN_REUSE_PORT={args.reuse_port}, "
          f"keep-alive {args.keepalive:g} s, load average {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
