"""Two builds of the gateway side by side: an earlier commit and this working tree, same machine, same run.

Each build runs its own gunicorn (ops/gunicorn.conf.py of that build, one worker, the same settings) in
front of one Gitea emulator; one call of each variant in turn (bench/loadgen.py `interleaved`), so the
machine's noise hits both builds alike. Measured per build, with the direct GiteaClient call as the floor:
  - tools/call get_repository_info (2026-07-28, JSON answer): what every tool call pays;
  - tools/call get_file_contents README.md: a file read, which resolves its ref to a commit first
    since issue 20 (one more Gitea request than before).
Usage: .venv/bin/python -m bench.bench_before_after [--base 7dae140] [--calls 400]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.principal import service_credentials
from app.config import Secret
from app.gitea.client import GiteaClient
from bench.bench_mcp import direct_call, mcp_call
from bench.loadgen import interleaved, pct
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import GunicornServer, base_env

ROOT = Path(__file__).resolve().parents[1]
REPO = {"owner": "acme", "repo": "service-a"}
CALLS = {
    "get_repository_info": {"name": "get_repository_info", "arguments": REPO},
    "get_file_contents": {"name": "get_file_contents", "arguments": {**REPO, "filepath": "README.md"}},
}


class BuildServer(GunicornServer):
    """GunicornServer started from another checkout (its own code and ops/gunicorn.conf.py)."""

    def __init__(self, env: dict[str, str], checkout: Path) -> None:
        super().__init__(env)
        self.checkout = checkout

    def start(self, timeout: float = 20.0) -> GunicornServer:
        from tests.fixtures import gunicorn as fixture

        original = fixture.ROOT
        fixture.ROOT = self.checkout  # GunicornServer.start runs gunicorn with cwd=ROOT
        try:
            return super().start(timeout)
        finally:
            fixture.ROOT = original


@contextmanager
def checkout_of(revision: str) -> Iterator[Path]:
    """A detached worktree of `revision`, removed afterwards."""
    target = Path(tempfile.mkdtemp(prefix="aegis-base-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(target), revision], check=True)
    try:
        yield target
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(target)], check=False)


def direct_raw(gitea_url: str, token: str) -> Callable[[], Any]:
    """The same file read straight from Gitea, the way the earlier build asked for it (no ref)."""
    client = GiteaClient(gitea_url, 30.0, 32, 1 << 20).bind(service_credentials(Secret(token)))
    return lambda: client.get_raw_file(REPO["owner"], REPO["repo"], "README.md")


def row(label: str, samples: list[float], floor: list[float]) -> str:
    p50, p99, f50 = pct(samples, 0.5), pct(samples, 0.99), pct(floor, 0.5)
    return f"| {label:<44} | {p50:8.2f} | {p99:8.2f} | {p50 - f50:9.2f} |"


def measure(base: Path, calls: int) -> None:
    with tempfile.TemporaryDirectory(prefix="aegis-before-after-") as state:
        emulator = EmulatorProcess().start(os.path.join(state, "emulator"))
        try:
            env = base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"), GUNICORN_WORKERS="1",
                           LOG_LEVEL="WARNING", AUDIT_LOG_PATH=os.path.join(state, "audit.log"))
            with BuildServer(env, base).start() as before, BuildServer(dict(env), ROOT).start() as after:
                variants: dict[str, Callable[[], Any]] = {
                    "direct get_repository": direct_call(emulator.base_url, emulator.token("alice")),
                    "direct raw README": direct_raw(emulator.base_url, emulator.token("alice"))}
                for name, params in CALLS.items():
                    variants[f"before {name}"] = mcp_call(before.url, "tools/call", params, name)
                    variants[f"after {name}"] = mcp_call(after.url, "tools/call", params, name)
                samples = interleaved(variants, calls)
        finally:
            emulator.stop()
    floors = {"get_repository_info": samples["direct get_repository"],
              "get_file_contents": samples["direct raw README"]}
    label = "variant (ms; added = p50 - direct p50 of the same read)"
    print(f"| {label:<44} | {'p50':>8} | {'p99':>8} | {'added':>9} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 11}|")
    print(row("direct GiteaClient.get_repository", floors["get_repository_info"], floors["get_repository_info"]))
    print(row("direct GiteaClient.get_raw_file README.md", floors["get_file_contents"], floors["get_file_contents"]))
    for name in CALLS:
        print(row(f"before: tools/call {name}", samples[f"before {name}"], floors[name]))
        print(row(f"after:  tools/call {name}", samples[f"after {name}"], floors[name]))
    for name in CALLS:
        ratio = pct(samples[f"after {name}"], 0.5) / pct(samples[f"before {name}"], 0.5)
        print(f"{name}: after/before p50 = {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="7dae140", help="the earlier commit (default: the session's start)")
    parser.add_argument("--calls", type=int, default=400)
    options = parser.parse_args()
    with checkout_of(options.base) as base:
        measure(base, options.calls)


if __name__ == "__main__":
    main()
