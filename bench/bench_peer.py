"""AegisGitea against the peer a user would otherwise install, and against the bare proxy floor, on pinned cores.

The peer is `gitea-mcp` 0.5.1 from PyPI (FastMCP on uvicorn, one process, a personal access token), in
its own venv (`make peer` installs it into .venv-peer). Both servers run in this one run against one Gitea
emulator, spoken to as MCP clients do: Streamable HTTP 2025-06-18, a session per client, kept-alive
connections (bench/mcp_session.py). Ours runs as shipped (gunicorn, 1 worker x 32 threads) with all of
its governance: API-key authentication, policy, the hash-chained audit log, secret scanning, untrusted
fencing and the rate limiter (limits raised so that they count but never refuse).

Pinning (bench/pinning.py): the server under test on one core, the emulator and this load generator on
the other. Measured in short alternating windows (each a closed loop of N clients for --seconds; the
servers' order shuffled in every window) so that the machine's noise hits every variant alike.

  1. The peer: five pairs of equivalent tools (checked to return the same data first, with the Gitea
     requests each makes), 1, 8 and 32 clients: throughput, p50, p99, server CPU per call, RSS.
     Targets: geometric-mean throughput >= 2.0x the peer at 32 clients, >= 1.5x at 1 and 8; p99 <= 0.5x
     at 32.
  2. Concurrency against the floor: tools/call get_repository_info through the gateway and through the
     bare Flask proxy (bench/bare_proxy_wsgi.py, same gunicorn settings, none of our work), and the same
     Gitea read made directly from the load core, at 1, 16 and 32 clients. Added latency = p50 - direct p50.
     Targets at 16 clients: our added p50 <= 1.3x the floor's, our throughput >= 0.75x the floor's.
Usage: .venv/bin/python -m bench.bench_peer [--rounds 4] [--seconds 1.0] [--part peer|floor|both] [--no-pin]
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_tools import requests_served
from bench.loadgen import FAILURE_REASONS, Call, JsonClient, pct, saturated
from bench.mcp_session import McpSession
from bench.pinning import cpu_seconds, pin, rss_mib, two_cores
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env, free_port

ROOT = Path(__file__).resolve().parents[1]
PEER_BIN = ROOT / ".venv-peer" / "bin" / "gitea-mcp"
REPO = {"owner": "acme", "repo": "service-a"}
OURS, PEER, FLOOR, DIRECT = "aegis", "gitea-mcp 0.5.1", "bare proxy floor", "direct Gitea call"
CHECK_CALLS = 10  # calls per tool when counting Gitea requests (our ref memory makes the first dearer)


# --- The five pairs of equivalent tools, and the data each must agree on ---------------------------------


def peer_value(result: dict[str, Any]) -> Any:
    """FastMCP wraps a list result as {"result": [...]} in structuredContent."""
    data = result["structuredContent"]
    return data["result"] if set(data) == {"result"} else data


def repository_facts(repo: Mapping[str, Any]) -> tuple[Any, ...]:
    keys = ("full_name", "description", "default_branch", "open_issues_count", "open_pr_counter", "release_counter")
    return tuple(repo[key] for key in keys)


def peer_repository(result: dict[str, Any]) -> tuple[Any, ...]:
    repo = next(item for item in peer_value(result) if item["full_name"] == "acme/service-a")
    return repository_facts(repo)


def issue_facts(issue: Mapping[str, Any], labels: list[str]) -> tuple[Any, ...]:
    return issue["number"], issue["title"], issue["state"], issue["body"], labels, issue["comments"]


def peer_issue(result: dict[str, Any]) -> tuple[Any, ...]:
    issue = peer_value(result)
    return issue_facts(issue, [label["name"] for label in issue["labels"]])


def issue_rows(issues: list[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    return [(issue["number"], issue["title"], issue["state"]) for issue in issues]


@dataclass(frozen=True)
class Pair:
    """One question asked of both servers: each side's tool and arguments, and the facts both must return."""

    label: str
    ours: tuple[str, dict[str, Any]]
    peer: tuple[str, dict[str, Any]]
    ours_facts: Callable[[dict[str, Any]], Any]
    peer_facts: Callable[[dict[str, Any]], Any]
    note: str

    def side(self, server: str) -> tuple[str, dict[str, Any]]:
        return self.ours if server == OURS else self.peer

    def facts(self, server: str, result: dict[str, Any]) -> Any:
        return (self.ours_facts if server == OURS else self.peer_facts)(result)


PAIRS = (
    Pair("repository", ("get_repository_info", REPO), ("list_repos", {"owner": "acme"}),
         lambda r: repository_facts(r["structuredContent"]), peer_repository,
         "the peer has no get-repository tool: it lists the owner's repositories (GET /users/acme/repos, "
         "404 for an organization, then /orgs/acme/repos) and answers all of them, raw"),
    Pair("file read", ("get_file_contents", {**REPO, "filepath": "README.md"}),
         ("read_file", {**REPO, "path": "README.md"}),
         lambda r: r["structuredContent"]["content"], lambda r: peer_value(r)["text"],
         "ours resolves the default branch to a commit and checks no tag shadows it (remembered 5 s), "
         "then reads the raw file; the peer reads /contents (base64) at the default branch"),
    Pair("one issue", ("get_issue", {**REPO, "issue_number": 1}), ("get_issue", {**REPO, "issue_number": 1}),
         lambda r: issue_facts(r["structuredContent"], r["structuredContent"]["labels"]), peer_issue,
         "the peer also fetches every comment (a second Gitea request); ours gives the count and "
         "leaves comments to list_issue_comments"),
    Pair("list issues", ("list_issues", REPO), ("list_issues", REPO),
         lambda r: issue_rows(r["structuredContent"]["items"]), lambda r: issue_rows(peer_value(r)),
         "same Gitea request; the peer returns Gitea's raw objects, ours a summary per issue"),
    Pair("list branches", ("list_branches", REPO), ("list_branches", REPO),
         lambda r: [(b["name"], b["commit"]["sha"]) for b in r["structuredContent"]["items"]],
         lambda r: [(b["name"], b["commit"]["id"]) for b in peer_value(r)],
         "same Gitea request; the peer returns Gitea's raw objects, ours name, head commit, protection"),
)


# --- Servers and their clients ----------------------------------------------------------------------------


class PeerServer:
    """`gitea-mcp serve --transport http` from .venv-peer on a free loopback port; stopped by PID."""

    def __init__(self, gitea_url: str, token: str) -> None:
        self.port = free_port()
        self.env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
        self.env.update(GITEA_URL=gitea_url, GITEA_TOKEN=token)
        self.log_path = Path(tempfile.mkdtemp(prefix="aegis-peer-")) / "peer.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self, timeout: float = 30.0) -> PeerServer:
        if not PEER_BIN.exists():
            raise SystemExit(f"{PEER_BIN} is missing: run `make peer` (installs gitea-mcp==0.5.1 into .venv-peer)")
        command = [str(PEER_BIN), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gitea-mcp did not start:\n{self.log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        return self

    def __enter__(self) -> PeerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Target(NamedTuple):
    """A server under test: where MCP clients connect, their headers, and the PID whose tree does the work."""

    url: str
    headers: dict[str, str]
    pid: int


class Client(NamedTuple):
    call: Call
    close: Callable[[], None]


Maker = Callable[[], Client]


def session_client(target: Target, tool: str, arguments: dict[str, Any]) -> Maker:
    def make() -> Client:
        session = McpSession(target.url, target.headers)
        return Client(lambda: session.call(tool, arguments), session.end)

    return make


def floor_client(url: str) -> Maker:
    """The bare proxy answers any POST /mcp with the upstream repository: the same tools/call body."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_repository_info", "arguments": REPO}}

    def make() -> Client:
        client = JsonClient(url, "/mcp", body, {})
        return Client(client, client.connection.close)

    return make


def direct_client(gitea_url: str, token: str) -> Maker:
    """The same upstream read made by the client itself, on the thin client the MCP variants use (http.client,
    kept alive, JSON parsed): from 16 clients on the load core saturates, and a heavier client there
    (GiteaClient on requests costs ~1 ms more) would make the floor's added latency negative."""
    url = urlsplit(gitea_url)
    headers = {"Authorization": f"token {token}", "Accept": "application/json"}

    def make() -> Client:
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=60)

        def call() -> Any:
            connection.request("GET", "/api/v1/repos/acme/service-a", headers=headers)
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200, data[:300]
            return json.loads(data)

        return Client(call, connection.close)

    return make


# --- Measuring ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Everything measured for one variant over all its windows."""

    samples: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    failures: int = 0

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / len(self.samples)

    def p(self, q: float) -> float:
        return pct(self.samples, q)


def merged(rounds: list[dict[Any, Tally]]) -> dict[Any, Tally]:
    """All rounds' windows of each variant together."""
    total: dict[Any, Tally] = {}
    for tallies in rounds:
        for key, tally in tallies.items():
            into = total.setdefault(key, Tally())
            into.samples += tally.samples
            into.seconds += tally.seconds
            into.cpu += tally.cpu
            into.failures += tally.failures
    return total


def per_round(rounds: list[dict[Any, Tally]], measure: Callable[[dict[Any, Tally]], float]) -> str:
    """A measure of each round alone: how far the machine's noise moved it."""
    values = [measure(tallies) for tallies in rounds]
    judged = [value for value in values if not math.isnan(value)]
    middle = f"{statistics.median(judged):.2f}" if judged else "n/a"
    return f"per round {', '.join(f'{value:.2f}' for value in values)}; median {middle}"


def window(make: Maker, clients: int, seconds: float, pid: int | None, tally: Tally) -> None:
    """One short closed-loop window; connections and sessions are opened and warmed outside the timing."""
    opened = [make() for _ in range(clients)]
    for client in opened:
        try:
            client.call()
        except Exception as error:  # counted like a failure in the window: a busy server must not stop the run
            tally.failures += 1
            FAILURE_REASONS[f"warm-up {type(error).__name__}: {str(error)[:160]}"] += 1
    before = cpu_seconds(pid) if pid else 0.0
    samples, elapsed, failures = saturated([client.call for client in opened], seconds)
    tally.cpu += (cpu_seconds(pid) - before) if pid else 0.0
    tally.failures += failures
    tally.samples += samples
    tally.seconds += elapsed
    for client in opened:
        client.close()


Variants = Mapping[str, tuple[Maker, int | None]]  # name: its clients, and the PID whose CPU is counted
Step = tuple[Variants, int, Callable[[str], Any]]  # the variants, how many clients, each variant's tally key


def measured_rounds(steps: list[Step], rounds: int, seconds: float, seed: int) -> list[dict[Any, Tally]]:
    """Every step once a round, each as one window per variant in a shuffled order; the tallies of each round."""
    shuffle = random.Random(seed).shuffle
    every: list[dict[Any, Tally]] = []
    for _ in range(rounds):
        tallies: dict[Any, Tally] = {}
        for variants, clients, key in steps:
            order = list(variants)
            shuffle(order)
            for name in order:
                make, pid = variants[name]
                window(make, clients, seconds, pid, tallies.setdefault(key(name), Tally()))
        every.append(tallies)
    return every


# --- Part 1: the peer -----------------------------------------------------------------------------------


def check_pairs(targets: dict[str, Target], emulator: EmulatorProcess) -> dict[str, dict[str, float]]:
    """Both servers return the same facts for every pair (else stop); Gitea requests per call of each."""
    upstream: dict[str, dict[str, float]] = {}
    for pair in PAIRS:
        facts, upstream[pair.label] = {}, {}
        for name, target in targets.items():
            session = McpSession(target.url, target.headers)
            requests_served(emulator)
            results = [session.call(*pair.side(name)) for _ in range(CHECK_CALLS)]
            upstream[pair.label][name] = requests_served(emulator) / CHECK_CALLS
            session.end()
            facts[name] = pair.facts(name, results[0])
        if facts[OURS] != facts[PEER] or not facts[OURS]:
            raise SystemExit(f"{pair.label}: the servers disagree:\n  ours {facts[OURS]!r}\n  peer {facts[PEER]!r}")
    return upstream


def pair_key(label: str, clients: int, name: str) -> tuple[str, str, int]:
    return name, label, clients


def peer_steps(targets: dict[str, Target], counts: tuple[int, ...]) -> list[Step]:
    """For each client count and pair, both servers asked that pair's question."""
    return [({name: (session_client(target, *pair.side(name)), target.pid) for name, target in targets.items()},
             clients, functools.partial(pair_key, pair.label, clients)) for clients in counts for pair in PAIRS]


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(value) for value in values) / len(values))


def peer_table(tallies: dict[tuple[str, str, int], Tally], counts: tuple[int, ...]) -> list[str]:
    lines = ["| clients | pair | ours calls/s | peer calls/s | x peer | ours p50 | peer p50 | ours p99 | peer p99 "
             "| p99 / peer | ours CPU ms/call | peer CPU ms/call |", "|" + "---|" * 12]
    for clients in counts:
        ratios, p99s = [], []
        for pair in PAIRS:
            ours, peer = tallies[OURS, pair.label, clients], tallies[PEER, pair.label, clients]
            ratios.append(ours.throughput / peer.throughput)
            p99s.append(ours.p(0.99) / peer.p(0.99))
            lines.append(f"| {clients} | {pair.label} | {ours.throughput:.0f} | {peer.throughput:.0f} | "
                         f"{ratios[-1]:.2f} | {ours.p(0.5):.2f} | {peer.p(0.5):.2f} | {ours.p(0.99):.2f} | "
                         f"{peer.p(0.99):.2f} | {p99s[-1]:.2f} | {ours.cpu_ms:.2f} | {peer.cpu_ms:.2f} |")
        lines.append(f"| {clients} | **geometric mean** | | | **{geomean(ratios):.2f}** | | | | | "
                     f"**{geomean(p99s):.2f}** | | |")
    return lines


def failures_line(tallies: dict[Any, Tally]) -> str:
    """Calls that failed during the windows (not timed), per variant: none, or which and how many."""
    counts: dict[str, list[int]] = {}
    for key, tally in tallies.items():
        counts.setdefault(key[0], [0, 0])
        counts[key[0]][0] += tally.failures
        counts[key[0]][1] += len(tally.samples) + tally.failures
    reasons = "".join(f"\n  {count} x {reason}" for reason, count in FAILURE_REASONS.most_common(5))
    return "Failed calls (not timed): " + "; ".join(f"{name} {failed} of {total}"
                                                     for name, (failed, total) in counts.items()) + reasons


def peer_throughput(tallies: dict[Any, Tally], clients: int) -> float:
    """Geometric mean over the pairs of our throughput over the peer's."""
    return geomean([tallies[OURS, p.label, clients].throughput / tallies[PEER, p.label, clients].throughput
                    for p in PAIRS])


def peer_p99(tallies: dict[Any, Tally], clients: int) -> float:
    return geomean([tallies[OURS, p.label, clients].p(0.99) / tallies[PEER, p.label, clients].p(0.99) for p in PAIRS])


def peer_verdicts(rounds: list[dict[Any, Tally]], counts: tuple[int, ...]) -> list[str]:
    tallies, lines = merged(rounds), []
    for clients in counts:
        ratio, goal = peer_throughput(tallies, clients), 2.0 if clients >= 32 else 1.5
        spread = per_round(rounds, functools.partial(peer_throughput, clients=clients))
        lines.append(f"{clients} clients: throughput {ratio:.2f}x the peer (target >= {goal}x): "
                     f"{'met' if ratio >= goal else 'MISSED'} ({spread})")
    if 32 in counts:
        p99 = peer_p99(tallies, 32)
        lines.append(f"32 clients: p99 {p99:.2f}x the peer's (target <= 0.5x): {'met' if p99 <= 0.5 else 'MISSED'} "
                     f"({per_round(rounds, lambda t: peer_p99(t, 32))})")
    return lines


def pairs_table(upstream: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| pair | ours | peer | Gitea requests per call, ours / peer | what differs |", "|---|---|---|---|---|"]
    for pair in PAIRS:
        counts = upstream[pair.label]
        lines.append(f"| {pair.label} | {pair.ours[0]} | {pair.peer[0]} | {counts[OURS]:.1f} / {counts[PEER]:.1f} "
                     f"| {pair.note} |")
    return lines


# --- Part 2: concurrency against the floor ----------------------------------------------------------------


def count_key(clients: int, name: str) -> tuple[str, int]:
    return name, clients


def floor_table(tallies: dict[tuple[str, int], Tally], counts: tuple[int, ...]) -> list[str]:
    lines = ["| clients | variant | calls/s | p50 | p99 | added p50 | added p99 | server CPU ms/call | core busy |",
             "|" + "---|" * 9]
    for clients in counts:
        direct = tallies[DIRECT, clients]
        for name in (OURS, FLOOR, DIRECT):
            tally = tallies[name, clients]
            cpu = f"{tally.cpu_ms:.2f} | {tally.cpu / tally.seconds:.0%}" if name != DIRECT else " | "
            lines.append(f"| {clients} | {name} | {tally.throughput:.0f} | {tally.p(0.5):.2f} | {tally.p(0.99):.2f} "
                         f"| {tally.p(0.5) - direct.p(0.5):.2f} | {tally.p(0.99) - direct.p(0.99):.2f} | {cpu} |")
    return lines


def added_ratio(tallies: dict[Any, Tally], clients: int = 16) -> float:
    """Our added p50 over the floor's (added: p50 minus the direct call's p50 at the same client count)."""
    direct, ours, floor = (tallies[name, clients].p(0.5) for name in (DIRECT, OURS, FLOOR))
    if floor <= direct:  # the noise exceeded the floor's own cost: no ratio to judge
        return math.nan
    return (ours - direct) / (floor - direct)


def floor_throughput(tallies: dict[Any, Tally], clients: int = 16) -> float:
    return tallies[OURS, clients].throughput / tallies[FLOOR, clients].throughput


def floor_verdicts(rounds: list[dict[Any, Tally]], clients: int = 16) -> list[str]:
    tallies = merged(rounds)
    added, throughput = added_ratio(tallies, clients), floor_throughput(tallies, clients)
    verdict = "met" if added <= 1.3 else "MISSED" if added > 1.3 else "not measurable (floor's added p50 <= 0)"
    return [f"{clients} clients: our added p50 {added:.2f}x the floor's (target <= 1.3x): "
            f"{verdict} ({per_round(rounds, added_ratio)})",
            f"{clients} clients: our throughput {throughput:.2f}x the floor's (target >= 0.75x): "
            f"{'met' if throughput >= 0.75 else 'MISSED'} ({per_round(rounds, floor_throughput)})"]


# --- Running it ---------------------------------------------------------------------------------------------


def machine_line(cores: tuple[set[int], set[int]] | None) -> str:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    where = (f"servers on core {sorted(cores[0])}, emulator and load generator on core {sorted(cores[1])}"
             if cores else "not pinned")
    return f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, {where}, load average {load}"


def pinned(pid: int, cores: tuple[set[int], set[int]] | None) -> int:
    if cores:
        pin(pid, cores[0])
    return pid


def run_peer(args: argparse.Namespace, emulator: EmulatorProcess, ours: Target,
             cores: tuple[set[int], set[int]] | None) -> None:
    counts = (1, 8, 32)
    with PeerServer(emulator.base_url, emulator.token("alice")).start() as peer_server:
        assert peer_server.process is not None
        peer = Target(peer_server.url, {}, pinned(peer_server.process.pid, cores))
        targets = {OURS: ours, PEER: peer}
        upstream = check_pairs(targets, emulator)
        rss_before = {name: rss_mib(target.pid) for name, target in targets.items()}
        rounds = measured_rounds(peer_steps(targets, counts), args.rounds, args.seconds, seed=19)
        rss_after = {name: rss_mib(target.pid) for name, target in targets.items()}
    print(f"\n#### Part 1: AegisGitea vs gitea-mcp 0.5.1, {args.rounds} rounds x {args.seconds} s windows\n")
    print("Both servers returned the same data for every pair (checked before timing).\n")
    print("\n".join(pairs_table(upstream)))
    print("\nLatency in ms, closed loop; CPU is the server process tree's user+system time per call.\n")
    print("\n".join(peer_table(merged(rounds), counts)))
    print("\n" + failures_line(merged(rounds)))
    print("\nRSS (MiB, process tree) after start-up and warm-up / after the run: "
          + "; ".join(f"{name} {rss_before[name]:.0f} / {rss_after[name]:.0f}" for name in targets))
    print("\n" + "\n".join(peer_verdicts(rounds, counts)))


def run_floor(args: argparse.Namespace, emulator: EmulatorProcess, ours: Target, env: dict[str, str],
              cores: tuple[set[int], set[int]] | None) -> None:
    counts = (1, 16, 32)
    with GunicornServer(env, app="bench.bare_proxy_wsgi:app").start() as floor:
        assert floor.process is not None
        pid = pinned(floor.process.pid, cores)
        variants: Variants = {
            OURS: (session_client(ours, "get_repository_info", REPO), ours.pid),
            FLOOR: (floor_client(floor.url), pid),
            DIRECT: (direct_client(emulator.base_url, emulator.token("alice")), None),
        }
        steps: list[Step] = [(variants, clients, functools.partial(count_key, clients)) for clients in counts]
        rounds = measured_rounds(steps, args.rounds, args.seconds, seed=16)
    print(f"\n#### Part 2: tools/call get_repository_info vs the bare proxy floor, {args.rounds} rounds x "
          f"{args.seconds} s windows\n")
    print("Latency in ms, closed loop; added = p - the direct Gitea call's p at the same client count.\n")
    print("\n".join(floor_table(merged(rounds), counts)))
    print("\n" + failures_line(merged(rounds)))
    print("\n" + "\n".join(floor_verdicts(rounds)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--part", choices=("peer", "floor", "both"), default="both")
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    cores = None if args.no_pin else two_cores()
    if cores:
        os.sched_setaffinity(0, cores[1])  # before any thread or child: they inherit the load core
    print(machine_line(cores))
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="bench-peer-emulator-"))
    env = base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"))
    try:
        with GunicornServer(env).start() as server:
            assert server.process is not None
            ours = Target(f"{server.url}/mcp", {"Authorization": f"Bearer {TEST_API_KEY}"},
                          pinned(server.process.pid, cores))
            if args.part in ("peer", "both"):
                run_peer(args, emulator, ours, cores)
            if args.part in ("floor", "both"):
                run_floor(args, emulator, ours, env, cores)
    finally:
        emulator.stop()
    print("\n" + machine_line(cores))


if __name__ == "__main__":
    main()
