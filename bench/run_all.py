"""Run every benchmark in one go and print each one's output under the command that produced it.

Usage: .venv/bin/python bench/run_all.py [NAME ...]   (names: foundation, gitea_client, mcp, tools,
auth, secrets, policy, audit, tokens, results, reviews, flow, peer; tokens and results need `make clients`,
peer needs `make peer`).
Paste the output into bench/RESULTS.md. Benchmarks measure side by side in one run because these machines
are noisy; none is a test.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = ("foundation", "gitea_client", "mcp", "tools", "auth", "secrets", "policy", "audit", "tokens", "results",
           "reviews", "flow", "peer")


def run(name: str) -> None:
    command = [sys.executable, "-m", f"bench.bench_{name}"]
    print(f"\n### {name}\n\n$ .venv/bin/python -m bench.bench_{name}\n```", flush=True)
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    print((done.stdout + done.stderr).rstrip())
    print(f"```\n({time.monotonic() - started:.0f} s, exit {done.returncode})", flush=True)


def main() -> None:
    names = sys.argv[1:] or list(BENCHES)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
          f"{platform.python_version()}, {platform.machine()}, 2 cores")
    for name in names:
        run(name)


if __name__ == "__main__":
    main()
