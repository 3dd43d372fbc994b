"""Server CPU per tools/call: this tree against a baseline tree (e.g. main), side by side, and where it goes.

Both gateways run as shipped (gunicorn, 1 worker x 32 threads, API key, policy, hash-chained audit log,
secret scanning, fencing, rate limiter counting with limits that never refuse) against one Gitea emulator,
and are spoken to as MCP clients do (bench/mcp_session.py: Streamable HTTP 2025-06-18, one session per
client). The figure is CPU, not wall time: the machine is shared, and a server's user+system time from
/proc (bench/pinning.py) over a fixed number of calls does not depend on how much of a core it was given.

Each round runs, for each tool, one window per gateway in a shuffled order: --clients sessions make
--calls tools/call between them (closed loop); CPU per call = the server process tree's utime+stime over
the window / calls. Sessions are opened and warmed before the window and ended after it.

--pyspy SECONDS then samples each gateway's worker with py-spy (a dev tool, not a dependency: pass its
path with --pyspy-bin) while the clients call the three tools in turn, and prints the functions with the
most samples while holding the GIL (py-spy --gil: the worker's Python CPU), by self and cumulative share.

Usage: .venv/bin/python -m bench.bench_percall [--baseline DIR] [--rounds 5] [--calls 400] [--clients 4]
       [--pyspy SECONDS --pyspy-bin PATH] [--no-pin]
       .venv/bin/python -m bench.bench_percall --report STACKS   (the tables of a saved py-spy raw file)
  DIR: a checkout of the code to compare with, e.g. `git archive main | tar -x -C /tmp/aegis-main`.
Results and the commands that produced them: bench/RESULTS.md, "Server CPU per tool call".
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mcp_session import McpSession
from bench.pinning import cpu_seconds, pin, process_tree, two_cores
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env

ROOT = Path(__file__).resolve().parents[1]
REPO = {"owner": "acme", "repo": "service-a"}
TOOLS: dict[str, dict[str, Any]] = {
    "get_repository_info": REPO,
    "get_file_contents": {**REPO, "filepath": "README.md"},
    "list_issues": REPO,
}


class TreeServer(GunicornServer):
    """GunicornServer running the code of another checkout (its own ops/gunicorn.conf.py and wsgi:app)."""

    def __init__(self, env: dict[str, str], root: Path) -> None:
        super().__init__(env)
        self.root = root

    def start(self, timeout: float = 20.0) -> GunicornServer:
        original = ROOT
        try:
            import tests.fixtures.gunicorn as fixture

            fixture.ROOT = self.root  # the fixture starts gunicorn with cwd=ROOT
            return super().start(timeout)
        finally:
            fixture.ROOT = original


def worker_pid(master: int) -> int:
    """The single gunicorn worker under the master."""
    children = [pid for pid in process_tree(master) if pid != master]
    if len(children) != 1:
        raise RuntimeError(f"expected one worker under {master}, found {children}")
    return children[0]


def window(url: str, tool: str, clients: int, calls: int, pid: int) -> float:
    """Server CPU seconds per call over `calls` tools/call made by `clients` warmed sessions."""
    sessions = [McpSession(url, {"Authorization": f"Bearer {TEST_API_KEY}"}) for _ in range(clients)]
    for session in sessions:
        session.call(tool, TOOLS[tool])
    left = itertools.count()

    def run(session: McpSession) -> None:
        while next(left) < calls:
            session.call(tool, TOOLS[tool])

    before = cpu_seconds(pid)
    threads = [threading.Thread(target=run, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = cpu_seconds(pid) - before
    for session in sessions:
        session.end()
    return spent / calls


def measure(servers: dict[str, tuple[str, int]], args: argparse.Namespace) -> dict[tuple[str, str], list[float]]:
    """CPU ms per call of each (server, tool), one value per round."""
    shuffle = random.Random(19).shuffle
    values: dict[tuple[str, str], list[float]] = {}
    for round_number in range(args.rounds):
        for tool in TOOLS:
            order = list(servers)
            shuffle(order)
            for name in order:
                url, pid = servers[name]
                values.setdefault((name, tool), []).append(1000 * window(url, tool, args.clients, args.calls, pid))
        print(f"round {round_number + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.2f}", flush=True)
    return values


def table(values: dict[tuple[str, str], list[float]], names: list[str]) -> list[str]:
    """CPU ms per call of each tree (median over rounds, then each round's); with two trees, the first's over
    the second's: each round's ratio (the two windows of a round ran within seconds) and their median."""
    pair = len(names) == 2
    lines = ["| tool | " + " | ".join(f"{name} CPU ms/call: median (rounds)" for name in names)
             + (f" | {names[0]} / {names[1]}: median (rounds) |" if pair else " |"),
             "|" + "---|" * (len(names) + 1 + pair)]
    for tool in TOOLS:
        cells = [f"{statistics.median(values[name, tool]):.2f} ({', '.join(f'{v:.2f}' for v in values[name, tool])})"
                 for name in names]
        if pair:
            ratios = [a / b for a, b in zip(values[names[0], tool], values[names[1], tool], strict=True)]
            cells.append(f"{statistics.median(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)})")
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return lines


# --- py-spy: where the worker's CPU goes --------------------------------------------------------------------


def keep_calling(url: str, clients: int, stop: threading.Event) -> list[threading.Thread]:
    def run() -> None:
        session = McpSession(url, {"Authorization": f"Bearer {TEST_API_KEY}"})
        for tool in itertools.cycle(TOOLS):
            if stop.is_set():
                break
            session.call(tool, TOOLS[tool])
        session.end()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def sample(pyspy: str, url: str, pid: int, seconds: float, clients: int) -> Path:
    """py-spy's raw (collapsed) stacks of the worker while clients call the three tools in turn."""
    output = Path(tempfile.mkdtemp(prefix="aegis-pyspy-")) / "stacks.txt"
    stop = threading.Event()
    threads = keep_calling(url, clients, stop)
    time.sleep(0.5)
    subprocess.run([pyspy, "record", "--pid", str(pid), "--rate", "500", "--duration", str(int(seconds)), "--gil",
                    "--nonblocking", "--format", "raw", "--output", str(output)], check=True, capture_output=True)
    stop.set()
    for thread in threads:
        thread.join()
    return output


def frame_name(frame: str) -> str:
    """py-spy's 'function (path/module.py:123)' -> 'path/module.py:function' (paths as py-spy shortens them)."""
    function, _, where = frame.rpartition(" (")
    return f"{where.rsplit(':', 1)[0]}:{function}" if function else frame


def stacks_of(raw: Path) -> list[tuple[list[str], int]]:
    """Each collapsed stack (root first) and its sample count."""
    found = []
    for line in raw.read_text().splitlines():
        trace, _, count = line.rpartition(" ")
        if trace and count.isdigit():
            found.append(([frame_name(frame) for frame in trace.split(";")], int(count)))
    return found


def shares(raw: Path) -> tuple[Counter[str], Counter[str], int]:
    """Self and cumulative sample counts per function (a function counted once per stack), and the total."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for frames, count in stacks_of(raw):
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            cumulative[name] += count
    return own, cumulative, total


# Where a sample's CPU goes: the innermost frame matching one of these (checked in this order) names it.
COMPONENTS = (
    ("Gitea request (requests, urllib3)", ("app/gitea/client.py:GiteaClient.send",)),
    ("secret scan, text normalisation (app/safety)", ("app/safety/",)),
    ("audit log (app/audit)", ("app/audit/",)),
    ("rate limits (Flask-Limiter, limits)", ("flask_limiter/", "limits/")),
    ("metrics (prometheus_client)", ("prometheus_client/",)),
    ("argument validation (marshmallow)", ("marshmallow/",)),
    ("policy (app/policy)", ("app/policy/",)),
    ("tool core (app/tools: execute_tool, handlers, shaping, flow guard)", ("app/tools/",)),
    ("MCP layer and auth (blueprints/mcp.py, app/mcp, app/auth)", ("blueprints/mcp.py", "app/mcp/", "app/auth/")),
    ("other app code (logging, errors, hosts, CORS, JSON)", ("app/", "blueprints/")),
    ("Flask and Werkzeug", ("flask/", "werkzeug/")),
    ("gunicorn (parsing, writing, event loop)", ("gunicorn/",)),
)


def component_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for label, patterns in COMPONENTS:
            if any(frame.startswith(pattern) or f"/{pattern}" in frame for pattern in patterns):
                return label
    return "other (threads, stdlib)"


def profile_lines(name: str, raw: Path, top: int = 15) -> list[str]:
    own, cumulative, total = shares(raw)
    parts: Counter[str] = Counter()
    for frames, count in stacks_of(raw):
        parts[component_of(frames)] += count
    lines = [f"{name}: {total} samples holding the GIL", "", "| share | where |", "|---|---|"]
    lines += [f"| {count / total:.1%} | {label} |" for label, count in parts.most_common()]
    lines += ["", "| self | function | | cumulative | function |", "|---|---|---|---|---|"]
    ours = [(key, count) for key, count in cumulative.most_common() if key.startswith(("app/", "blueprints/"))]
    for (self_name, self_count), (cum_name, cum_count) in zip(own.most_common(top), ours[:top], strict=False):
        lines.append(f"| {self_count / total:.1%} | {self_name} | | {cum_count / total:.1%} | {cum_name} |")
    return lines


def report(raw: Path, name: str) -> None:
    """Print the tables of a stacks file sampled earlier (--report)."""
    print("\n".join(profile_lines(name, raw)))


# --- Running it ---------------------------------------------------------------------------------------------


def start(env: dict[str, str], root: Path, cores: tuple[set[int], set[int]] | None) -> GunicornServer:
    server = (GunicornServer(env) if root == ROOT else TreeServer(env, root)).start()
    assert server.process is not None
    if cores:
        pin(server.process.pid, cores[0])
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with (e.g. main)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pyspy", type=float, default=0.0, help="seconds of py-spy sampling per gateway")
    parser.add_argument("--pyspy-bin", default="py-spy")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--report", type=Path, help="only print the tables of a py-spy raw stacks file")
    args = parser.parse_args()
    if args.report:
        report(args.report, args.report.name)
        return
    cores = None if args.no_pin else two_cores()
    if cores:
        os.sched_setaffinity(0, cores[1])
    trees = {"after": ROOT} if args.baseline is None else {"after": ROOT, "before": args.baseline.resolve()}
    where = f"pinned: servers on core {sorted(cores[0])}" if cores else "not pinned"
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.2f}, {where}; "
          f"{args.rounds} rounds x {args.calls} calls, {args.clients} clients; trees: "
          + ", ".join(f"{name} {path}" for name, path in trees.items()), flush=True)
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="bench-percall-emulator-"))
    env = base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"))
    servers: list[GunicornServer] = []
    try:
        for root in trees.values():
            servers.append(start(env, root, cores))
        targets = {name: (f"{server.url}/mcp", server.process.pid)  # type: ignore[union-attr]
                   for name, server in zip(trees, servers, strict=True)}
        if args.rounds:
            values = measure(targets, args)
            print("\n".join(["", *table(values, list(trees))]))
        if args.pyspy:
            for name, (url, pid) in targets.items():
                stacks = sample(args.pyspy_bin, url, worker_pid(pid), args.pyspy, args.clients)
                print("\n".join(["", *profile_lines(name, stacks), "", f"(raw stacks: {stacks})"]))
    finally:
        for server in servers:
            server.stop()
        emulator.stop()
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
