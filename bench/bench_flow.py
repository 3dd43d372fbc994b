"""The toxic-flow guard: the scenario table (tests/flows/scenarios.py replayed through execute_tool against
the emulator) and the guard's per-call overhead, measured side by side with FLOW_GUARD=off in the same run.

Run: .venv/bin/python -m bench.bench_flow   (target: 100% of attacks refused, 0 benign refused,
overhead <= 50 us per call)
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audit.events import correlation_id_from
from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.config import Settings
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.policy import Policy
from app.store import Store, create_store
from app.tools import build_catalog
from app.tools.call import ToolCall, ToolResult
from app.tools.execution import ToolRuntime, execute_tool
from app.tools.flow_guard import flow_violation, record_read
from tests.emulator.process import EmulatorProcess
from tests.fixtures.redis import RedisServer
from tests.flows.conftest import POLICY
from tests.flows.scenarios import ATTACKS, BENIGN, Scenario

TARGET_US = 50.0
ROUNDS = 20_000
END_TO_END_ROUNDS = 300


def runtime_for(emulator: EmulatorProcess, store: Store, guard: str) -> ToolRuntime:
    settings = Settings.from_mapping({"GITEA_URL": emulator.base_url, "MCP_API_KEYS": "k" * 40, "WRITE_MODE": "true",
                                      "WRITE_ALLOW_ALL_TOKEN_REPOS": "true", "FLOW_GUARD": guard,
                                      "MCP_TOOLSETS": "all"})
    policy = Policy.parse(POLICY)
    gitea = GiteaClient(emulator.base_url, 60.0, 4, 1 << 20)
    return ToolRuntime(settings, build_catalog(settings, lambda: policy), gitea, policy=lambda: policy, store=store)


def principal(emulator: EmulatorProcess, client: str) -> Principal:
    return Principal("alice", frozenset({READ_SCOPE, WRITE_SCOPE}), client, "api_key",
                     GiteaCredentials("token", emulator.token("alice")))


def run(runtime: ToolRuntime, who: Principal, tool: str, arguments: dict[str, Any]) -> ToolResult:
    return execute_tool(runtime, ToolCall(who, tool, arguments, correlation_id_from(None)))


def replay(runtime: ToolRuntime, emulator: EmulatorProcess, scenario: Scenario, client: str) -> bool | None:
    """Whether the last write was refused by the guard; None when an earlier step failed (a broken scenario)."""
    who = principal(emulator, client)
    for tool, arguments in scenario.steps[:-1]:
        if run(runtime, who, tool, arguments).is_error:
            return None
    tool, arguments = scenario.write
    return "flow guard" in run(runtime, who, tool, arguments).text


def scenario_table(emulator: EmulatorProcess, store: Store) -> None:
    runtime = runtime_for(emulator, store, "enforce")
    rows = []
    for group, scenarios in (("attack", ATTACKS), ("benign", BENIGN)):
        outcomes = [replay(runtime, emulator, s, f"table-{group}-{i}") for i, s in enumerate(scenarios)]
        refused = outcomes.count(True)
        rows.append((group, len(scenarios), refused, outcomes.count(None)))
    print("| sequences | count | refused | broken | target |")
    print("|---|---|---|---|---|")
    for group, count, refused, broken in rows:
        target = "100% refused" if group == "attack" else "0 refused"
        print(f"| {group} | {count} | {refused} ({100 * refused / count:.0f}%) | {broken} | {target} |")


def per_call_us(action: Callable[[], object], rounds: int = ROUNDS, repeats: int = 5) -> float:
    """Best of `repeats` runs (the machine is shared: the best run is the one least disturbed)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(rounds // repeats):
            action()
        best = min(best, (time.perf_counter() - started) / (rounds // repeats) * 1e6)
    return best


def bound(runtime: ToolRuntime, who: Principal, tool: str, arguments: dict[str, Any]) -> ToolCall:
    found = runtime.catalog.offered(tool)
    assert found is not None
    return ToolCall(who, tool, arguments, "bench").bind(runtime, found, f"{arguments['owner']}/{arguments['repo']}")


def guard_cost(emulator: EmulatorProcess, store: Store, label: str) -> float:
    """The guard's own work per call (labels recorded, window read, lattice), repository facts cached, with
    FLOW_GUARD=enforce and off side by side; returns the worst difference."""
    on = guard_calls(emulator, store, label, "enforce")
    off = guard_calls(emulator, store, label, "off")
    for name in on:
        cost = on[name] - off[name]
        print(f"{label:<7} {name:<42} on {on[name]:7.2f} us  off {off[name]:5.2f} us  overhead {cost:7.2f} us"
              f"   target {TARGET_US:.0f} us   ratio {cost / TARGET_US:5.2f}")
    return max(on[name] - off[name] for name in on)


def guard_calls(emulator: EmulatorProcess, store: Store, label: str, guard: str) -> dict[str, float]:
    """Per-call time of the guard's two entry points in the core, for one FLOW_GUARD mode."""
    runtime = runtime_for(emulator, store, guard)
    who = principal(emulator, f"cost-{label}")
    read = bound(runtime, who, "get_issue", {"owner": "acme", "repo": "roadmap", "issue_number": 2})
    structured = run(runtime, who, "get_issue", read.arguments).structured
    write_args = {"owner": "acme", "repo": "ledger", "issue_number": 1, "body": "x", "dry_run": True}
    write = bound(runtime, who, "create_issue_comment", write_args)
    for repository in ("acme/docs", "globex/vault", "acme/handbook", "alice/diary", "globex/intranet"):
        run(runtime, who, "get_file_contents", {"owner": repository.split("/")[0], "repo": repository.split("/")[1],
                                                "filepath": "README.md"})
    # globex/vault was read: with the guard on, the lattice is really walked and the write refused
    assert (flow_violation(write) is not None) is (guard == "enforce")
    return {"read: label recorded": per_call_us(lambda: record_read(read, structured)),
            "write: window read + lattice (4 labels)": per_call_us(lambda: flow_violation(write))}


def end_to_end(emulator: EmulatorProcess, store: Store) -> None:
    """execute_tool on the emulator with FLOW_GUARD=enforce and off, interleaved call by call (medians)."""
    runtimes = {guard: runtime_for(emulator, store, guard) for guard in ("enforce", "off")}
    cases = {"get_issue (private repo)": ("get_issue", {"owner": "acme", "repo": "roadmap", "issue_number": 2}),
             "create_issue_comment dry run": ("create_issue_comment", {"owner": "acme", "repo": "roadmap",
                                                                        "issue_number": 1, "body": "x",
                                                                        "dry_run": True})}
    for name, (tool, arguments) in cases.items():
        samples: dict[str, list[float]] = {"enforce": [], "off": []}
        for index in range(END_TO_END_ROUNDS):
            for guard, runtime in runtimes.items():
                who = principal(emulator, f"e2e-{guard}-{index % 10}")
                started = time.perf_counter()
                assert not run(runtime, who, tool, arguments).is_error
                samples[guard].append(time.perf_counter() - started)
        on, off = (statistics.median(samples[g]) * 1e6 for g in ("enforce", "off"))
        print(f"end-to-end {name:<30} guard on {on:8.0f} us   off {off:8.0f} us   difference {on - off:6.0f} us")


def main() -> int:
    with ExitStack() as stack:
        root = tempfile.mkdtemp(prefix="bench-flow-")
        stack.callback(shutil.rmtree, root, True)
        emulator = EmulatorProcess().start(str(Path(root) / "emulator"), seed="flows")
        stack.callback(emulator.stop)
        memory = create_store(None)
        print(f"scenario suite: {len(ATTACKS)} attack and {len(BENIGN)} benign sequences, execute_tool, memory store")
        scenario_table(emulator, memory)
        print()
        worst = guard_cost(emulator, memory, "memory")
        if shutil.which("redis-server"):
            redis = stack.enter_context(RedisServer())
            worst_redis = guard_cost(emulator, create_store(redis.url), "redis")
            print(f"(redis: one loopback round trip per write, and per read of a non-public repository once a "
                  f"minute per process; worst {worst_redis:.0f} us)")
        end_to_end(emulator, memory)
        verdict = "PASS" if worst <= TARGET_US else "FAIL"
        print(f"worst guard overhead per call (memory store) {worst:.2f} us -> {verdict} (<= {TARGET_US:.0f} us)")
        return 0 if worst <= TARGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
