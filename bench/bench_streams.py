"""Streams at scale (issue #19 part 3): what 1,000 idle streams cost one host, and what they do to tool calls.

One host: gunicorn with 2 workers sharing Redis, in front of the Gitea emulator. In one run:
  1. tool-call p50/p99 at 1 client and at 16 closed-loop clients with no stream open;
  2. open --streams idle streams (half legacy HTTP+SSE `GET /mcp/sse`, half legacy Streamable HTTP `GET /mcp`),
     one reader thread counting the keep-alives they receive; count any refused stream or connection;
  3. the same tool-call measurements with every stream held open, and 16 clients paced below saturation.
The workers' CPU with no tool call running is taken over --idle-seconds with and without the streams, with
the keep-alives received and the Redis commands run per second (INFO commandstats) over the same window.
--compare-root DIR instead runs two servers at once, one from DIR (a checkout of the code before a change) and
one from this tree, each with its own Redis and --streams idle streams, and compares their idle CPU over the
same windows (the machine's load hits both alike). --root DIR serves the whole run from DIR.
Every latency is measured side by side with a twin server (same settings, same Redis, no streams), calls
interleaved: the rise charged to the streams is (held - twin) with streams minus (held - twin) without, so the
machine's drift between the phases (other engineers' tests) cancels out.
Workers' RSS, threads and open file descriptors (from /proc) and Redis's client count are sampled in each
phase; memory per stream = RSS rise of both workers / streams.
Usage: .venv/bin/python -m bench.bench_streams [--streams 1000] [--threads 640] [--calls 400] [--root DIR]
       .venv/bin/python -m bench.bench_streams --compare-root DIR [--streams 1000] [--threads 640] ...
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

import random

import redis as redis_client
import requests

from bench.bench_mcp import tool_maker
from bench.loadgen import interleaved, pct, time_each
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import GUNICORN, TEST_API_KEY, GunicornServer, base_env
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


@dataclass
class IdleWindow:
    """What a server did over a window with no tool call running."""

    cpu: float  # percent of one core, both workers
    keepalives: float  # keep-alives its streams received, per second
    commands: dict[str, float]  # Redis commands per second, by command

    @property
    def redis_total(self) -> float:
        return sum(self.commands.values())


class IdleProbe:
    """Counters of one server read at the start and the end of a window."""

    def __init__(self, pids: list[int], redis: RedisServer, streams: IdleStreams | None) -> None:
        self.pids, self.redis, self.streams = pids, redis, streams
        self.started = time.perf_counter()
        self.cpu, self.keepalives, self.commands = self.counters()

    def counters(self) -> tuple[float, int, dict[str, int]]:
        return cpu_seconds(self.pids), self.streams.keepalives if self.streams else 0, redis_commands(self.redis)

    def window(self) -> IdleWindow:
        cpu, keepalives, commands = self.counters()
        seconds = time.perf_counter() - self.started
        ran = {name: (calls - self.commands.get(name, 0)) / seconds for name, calls in commands.items()
               if name not in ("info", "client|list") and calls > self.commands.get(name, 0)}
        return IdleWindow((cpu - self.cpu) / seconds * 100, (keepalives - self.keepalives) / seconds, ran)


def redis_commands(redis: RedisServer) -> dict[str, int]:
    """Calls so far of each Redis command (INFO commandstats)."""
    stats = redis_client.Redis.from_url(redis.url).info("commandstats")
    return {name.removeprefix("cmdstat_"): int(fields["calls"]) for name, fields in stats.items()}


def idle_window(pids: list[int], redis: RedisServer, streams: IdleStreams | None, seconds: float) -> IdleWindow:
    probe = IdleProbe(pids, redis, streams)
    time.sleep(seconds)
    return probe.window()


class CheckoutServer(GunicornServer):
    """gunicorn serving another checkout of this project (the code before a change) with its own settings file."""

    def __init__(self, env: dict[str, str], root: str) -> None:
        super().__init__(env)
        self.root = root

    def command(self) -> list[str]:
        return [GUNICORN, "-c", f"{self.root}/ops/gunicorn.conf.py", "--chdir", self.root, "wsgi:app"]


def serve(env: dict[str, str], root: str | None) -> GunicornServer:
    return (CheckoutServer(env, root) if root else GunicornServer(env)).start()


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


PACED = "16 clients, paced"


def latencies(held: str, plain: str, calls: int, pace: float) -> dict[str, dict[str, list[float]]]:
    """Tool calls to the server that holds the streams and to its twin that holds none, side by side: one
    call of each in turn (bench/loadgen.py says why), by 1 client, then by 16 closed-loop clients at once
    (each alternating between the two, so both servers see the same machine at every moment), then by 16
    clients each calling both once every `pace` seconds (below saturation: latency is work, not queueing)."""
    one = interleaved({"held": tool_maker(held)(), "plain": tool_maker(plain)()}, calls)
    with ThreadPoolExecutor(16) as pool:
        rounds = list(pool.map(lambda _: interleaved({"held": tool_maker(held)(), "plain": tool_maker(plain)()},
                                                      max(10, calls // 8), warmup=2), range(16)))
        origin = time.perf_counter() + 1.0
        steps = max(20, calls // 16)
        spread = list(pool.map(lambda index: paced_pair(held, plain, origin, pace, index, steps=steps), range(16)))
    closed = {name: [sample for samples in rounds for sample in samples[name]] for name in ("held", "plain")}
    paced = {name: [sample for samples in spread for sample in samples[name]] for name in ("held", "plain")}
    return {"1 client": one, "16 clients, closed loop": closed, PACED: paced}


def paced_pair(held: str, plain: str, origin: float, pace: float, index: int, *, steps: int) -> dict[str, list[float]]:
    """One paced client: both servers once per `pace` seconds, in a shuffled order, its phase 1/16 of the
    pace after the previous client's."""
    calls = {"held": tool_maker(held)(), "plain": tool_maker(plain)()}
    for call in calls.values():
        call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    order, shuffle = list(calls.items()), random.Random(index).shuffle
    for step in range(steps):
        time.sleep(max(0.0, origin + pace * (step + index / 16) - time.perf_counter()))
        shuffle(order)
        time_each(order, samples)
    return samples


def redis_clients(redis: RedisServer) -> int:
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as sock:
        sock.sendall(b"INFO clients\r\n")
        time.sleep(0.1)
        text = sock.recv(65536).decode()
    return int(text.split("connected_clients:", 1)[1].split()[0])


def measure(server: GunicornServer, twin: GunicornServer, redis: RedisServer, *, streams: int, calls: int,
            settle: float, pace: float, idle_seconds: float) -> list[str]:
    pids = worker_pids(server)
    latencies(server.url, twin.url, 50, pace)  # warm both workers of both servers and their upstream pools
    before, idle_before, redis_before = latencies(server.url, twin.url, calls, pace), Footprint.of(pids), \
        redis_clients(redis)
    quiet = idle_window(pids, redis, None, idle_seconds / 3)
    held, opening = open_streams(server, streams)
    time.sleep(settle)  # at least one keep-alive interval: every stream has been written to since it opened
    busy = idle_window(pids, redis, held, idle_seconds)
    during, idle_during = latencies(server.url, twin.url, calls, pace), Footprint.of(pids)
    split = [Footprint.of([pid]).threads - 12 for pid in pids]  # a worker has ~12 threads before any stream
    redis_during, keepalives, cut = redis_clients(redis), held.keepalives, held.closed_by_server
    held.close()
    opened = len(held.sockets)
    lines = [f"streams asked {streams}, opened {opened} in {opening:.1f} s, refused {len(held.refused)} "
             f"{sorted(set(held.refused))[:3]}, cut by the server {cut}, keep-alives received {keepalives}, "
             f"streams per worker ~{split}",
             "| tools/call get_repository_info | held p50 | twin p50 | held p99 | twin p99 |", "|---|---|---|---|---|"]
    for clients in ("1 client", "16 clients, closed loop", PACED):
        name = f"{PACED} (both servers once every {pace:g} s each)" if clients == PACED else clients
        for label, phase in (("no streams", before), (f"{opened} idle streams on held", during)):
            held_s, twin_s = phase[clients]["held"], phase[clients]["plain"]
            lines.append(f"| {name}, {label} | {pct(held_s, 0.5):.2f} | {pct(twin_s, 0.5):.2f} | "
                         f"{pct(held_s, 0.99):.2f} | {pct(twin_s, 0.99):.2f} |")
        rise50 = gap(during[clients], 0.5) - gap(before[clients], 0.5)
        rise99 = gap(during[clients], 0.99) - gap(before[clients], 0.99)
        lines.append(f"| **{name}: rise from the streams (held - twin, minus the same gap without streams)** | "
                     f"**{rise50:+.2f}** | | **{rise99:+.2f}** | |")
    per_stream = (idle_during.rss_mib - idle_before.rss_mib) * 1024 / max(1, opened)
    lines += ["", "| held server, both workers | no streams | with streams | per stream |", "|---|---|---|---|",
              f"| RSS MiB | {idle_before.rss_mib:.1f} | {idle_during.rss_mib:.1f} | {per_stream:.1f} KiB |",
              f"| threads | {idle_before.threads} | {idle_during.threads} | "
              f"{(idle_during.threads - idle_before.threads) / max(1, opened):.2f} |",
              f"| open fds | {idle_before.fds} | {idle_during.fds} | "
              f"{(idle_during.fds - idle_before.fds) / max(1, opened):.2f} |",
              f"| CPU with no tool call, % of a core ({idle_seconds / 3:g} s / {idle_seconds:g} s) | {quiet.cpu:.2f} | "
              f"{busy.cpu:.2f} | {(busy.cpu - quiet.cpu) / max(1, opened) * 1000:.2f} per 1,000 |",
              f"| keep-alives received per second | 0 | {busy.keepalives:.1f} | |",
              f"| Redis commands per second, no tool call | {quiet.redis_total:.1f} | {busy.redis_total:.1f} | |",
              f"| Redis clients (host, both servers) | {redis_before} | {redis_during} | "
              f"{(redis_during - redis_before) / max(1, opened):.2f} |",
              "", "Redis commands per second with the streams and no tool call: " + commands_line(busy)]
    return lines


def commands_line(window: IdleWindow) -> str:
    return ", ".join(f"{name} {rate:.1f}" for name, rate in sorted(window.commands.items(), key=lambda c: -c[1]))


def gap(samples: dict[str, list[float]], q: float) -> float:
    return pct(samples["held"], q) - pct(samples["plain"], q)


def compare(emulator: EmulatorProcess, args: argparse.Namespace) -> list[str]:
    """Idle CPU of the code in --compare-root and of this tree, each server with its own Redis and streams,
    measured over the same windows (both hold their streams at once, so the machine's load hits both)."""
    stores = {"before": RedisServer().start(), "after": RedisServer().start()}
    servers: dict[str, GunicornServer] = {}
    held: dict[str, IdleStreams] = {}
    try:
        for name, root in (("before", args.compare_root), ("after", None)):
            servers[name] = serve(base_env(**server_env(args, emulator, stores[name])), root)
        for name, server in servers.items():
            held[name] = open_streams(server, args.streams)[0]
        time.sleep(args.keepalive + 1)
        lines = ["| window | code | streams held | CPU % of a core, no tool call | keep-alives received/s | "
                 "Redis commands/s |", "|---|---|---|---|---|---|"]
        for window in range(1, args.windows + 1):
            probes = {name: IdleProbe(worker_pids(server), stores[name], held[name])
                      for name, server in servers.items()}
            time.sleep(args.idle_seconds)
            for name, probe in probes.items():
                seen, open_now = probe.window(), len(held[name].sockets) - held[name].closed_by_server
                lines.append(f"| {window} | {name} | {open_now} | {seen.cpu:.2f} | {seen.keepalives:.1f} | "
                             f"{seen.redis_total:.1f} ({commands_line(seen)}) |")
    finally:
        for streams in held.values():
            streams.close()
        for server in servers.values():
            server.stop()
        for store in stores.values():
            store.stop()
    return lines


def server_env(args: argparse.Namespace, emulator: EmulatorProcess, redis: RedisServer) -> dict[str, str]:
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
    return env


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0, help="GUNICORN_THREADS (0: the shipped default)")
    parser.add_argument("--per-worker", type=int, default=0, help="MCP_MAX_STREAMS_PER_WORKER (0: the default)")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--reuse-port", action="store_true", help="GUNICORN_REUSE_PORT=true")
    parser.add_argument("--keepalive", type=float, default=5.0, help="SSE_KEEPALIVE_SECONDS")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between a paced client's rounds")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="the idle CPU window with streams")
    parser.add_argument("--root", help="serve from this checkout instead of this tree")
    parser.add_argument("--compare-root", help="idle CPU only: this checkout against this tree, side by side")
    parser.add_argument("--windows", type=int, default=2, help="--compare-root: how many idle windows")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="bench-streams-emulator-"))
    try:
        lines = compare(emulator, args) if args.compare_root else held_and_twin(emulator, args)
    finally:
        emulator.stop()
    print(f"2 workers + Redis, GUNICORN_THREADS={args.threads or 'default'}, "
          f"MCP_MAX_STREAMS_PER_WORKER={args.per_worker or 'default'}, GUNICORN_REUSE_PORT={args.reuse_port}, "
          f"keep-alive {args.keepalive:g} s, code {args.root or 'this tree'}"
          f"{f' vs {args.compare_root}' if args.compare_root else ''}, load average {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))


def held_and_twin(emulator: EmulatorProcess, args: argparse.Namespace) -> list[str]:
    redis = RedisServer().start()
    try:
        server = serve(base_env(**server_env(args, emulator, redis)), args.root)
        twin = serve(base_env(**server_env(args, emulator, redis)), args.root)
        try:
            return measure(server, twin, redis, streams=args.streams, calls=args.calls, settle=args.keepalive + 1,
                           pace=args.pace, idle_seconds=args.idle_seconds)
        finally:
            twin.stop()
            server.stop()
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
