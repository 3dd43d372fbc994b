"""What checking inline comments against the diff costs create_pull_request_review (issue 16).

Dry runs through execute_tool on the emulator (nothing is written; a dry run makes the same reads and
checks as the real call and stops at the POST), side by side: a review with no inline comments (one
GET of the pull request), the same with inline comments (plus the diff download, split and checked), and
the two upstream reads made directly with the GiteaClient (the floor). On demo PR #6 (3 files) and on
alice/large PR #51 (300 files, bench/bench_results.py's seed).

Run: .venv/bin/python -m bench.bench_reviews
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from typing import Any

from app.audit.events import correlation_id_from
from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.config import Settings
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.policy import Policy
from app.tools import build_catalog
from app.tools.call import ToolCall
from app.tools.execution import ToolRuntime, execute_tool
from bench.bench_results import seed_file
from bench.loadgen import interleaved
from tests.emulator.process import EmulatorProcess

ROUNDS = 60
DEMO = {"owner": "acme", "repo": "service-a", "pull_number": 6}
LARGE = {"owner": "alice", "repo": "large", "pull_number": 51}
DEMO_COMMENTS = [{"path": "src/service_a/metrics.py", "line": n, "body": f"Note {n}."} for n in (1, 3, 6, 8, 10)]
LARGE_COMMENTS = [{"path": f"pkg{i // 50}/mod_{i}.py", "line": 2, "body": f"Note {i}."} for i in range(0, 300, 6)]


def runtime_for(emulator: EmulatorProcess) -> ToolRuntime:
    values = {"GITEA_URL": emulator.base_url, "MCP_API_KEYS": "k" * 40, "WRITE_MODE": "true",
              "WRITE_ALLOW_ALL_TOKEN_REPOS": "true", "MCP_TOOLSETS": "reviews", "AUDIT_LOG_PATH": "/dev/null"}
    settings = Settings.from_mapping(values)
    policy = Policy.parse("defaults:\n  write: allow\n")
    client = GiteaClient(emulator.base_url, 60.0, 4, settings.max_file_size_bytes)
    return ToolRuntime(settings, build_catalog(settings, lambda: policy), client, policy=lambda: policy)


def dry_review(runtime: ToolRuntime, who: Principal, pull: dict[str, Any],
               comments: list[dict[str, Any]]) -> Callable[[], Any]:
    arguments = {**pull, "event": "COMMENT", "body": "Benchmark.", "dry_run": True,
                 **({"comments": comments} if comments else {})}

    def review() -> None:
        call = ToolCall(who, "create_pull_request_review", arguments, correlation_id_from(None))
        result = execute_tool(runtime, call)
        assert not result.is_error, result.text

    return review


def direct_reads(runtime: ToolRuntime, who: Principal, pull: dict[str, Any]) -> Callable[[], Any]:
    gitea = runtime.gitea.bind(who.upstream)
    return lambda: (gitea.get_pull(pull["owner"], pull["repo"], pull["pull_number"]),
                    gitea.get_pull_diff(pull["owner"], pull["repo"], pull["pull_number"]))


def report(label: str, samples: dict[str, list[float]]) -> list[str]:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = medians["direct GET pull + diff"]
    lines = [f"{label}: median ms over {ROUNDS} rounds (interleaved), ratio to the direct reads"]
    lines += [f"  {name:38} {median:7.2f} ms  {median / floor:5.2f}x" for name, median in medians.items()]
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="aegis-bench-reviews-") as directory:
        emulator = EmulatorProcess().start(f"{directory}/state", seed=seed_file(directory))
        try:
            runtime = runtime_for(emulator)
            alice = Principal("alice", frozenset({READ_SCOPE, WRITE_SCOPE}), None, "api_key",
                              GiteaCredentials("token", emulator.token("alice")))
            lines: list[str] = []
            for label, pull, comments in (("demo PR #6, 3 files", DEMO, DEMO_COMMENTS),
                                          ("alice/large PR #51, 300 files", LARGE, LARGE_COMMENTS)):
                samples = interleaved({
                    "direct GET pull + diff": direct_reads(runtime, alice, pull),
                    "dry run, no inline comments": dry_review(runtime, alice, pull, []),
                    f"dry run, {len(comments)} inline comments checked": dry_review(runtime, alice, pull, comments),
                }, ROUNDS)
                lines += report(label, samples)
            print("\n".join(lines))
        finally:
            emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
