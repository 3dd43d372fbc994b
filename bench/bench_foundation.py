"""Cost of our middleware (request id, JSON access log, metrics, error handling) on the bare request path.

Runs `/health` through the same gunicorn settings for wsgi:app and for a bare Flask app, side by side
in one run, with wrk at 16 connections. Target: throughput >= 75% of bare, p99 <= 1.5x bare.
Usage: .venv/bin/python bench/bench_foundation.py [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.gunicorn import GunicornServer, base_env


def wrk(url: str, seconds: int) -> tuple[float, float]:
    """Requests/s and p99 latency in ms."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(app: str, seconds: int) -> tuple[float, float]:
    # The access log goes to a file as it would in production (stdout to a collector).
    server = GunicornServer(base_env(LOG_LEVEL="INFO"), app=app).start()
    try:
        wrk(f"{server.url}/health", 2)  # warm-up
        return wrk(f"{server.url}/health", seconds)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    header = ("round", "bare rps", "aegis rps", "ratio", "bare p99", "aegis p99", "ratio")
    print("{:>5} {:>10} {:>10} {:>6} {:>9} {:>10} {:>6}".format(*header))
    for n in range(1, args.rounds + 1):
        bare = measure("bench.bare_wsgi:app", args.seconds)
        ours = measure("wsgi:app", args.seconds)
        rows.append((ours[0] / bare[0], ours[1] / bare[1]))
        print(
            f"{n:>5} {bare[0]:>10.0f} {ours[0]:>10.0f} {ours[0] / bare[0]:>6.2f} "
            f"{bare[1]:>7.2f}ms {ours[1]:>8.2f}ms {ours[1] / bare[1]:>6.2f}"
        )
    rps_ratios, p99_ratios = sorted(r[0] for r in rows), sorted(r[1] for r in rows)
    print(f"median rps ratio {rps_ratios[len(rows) // 2]:.2f} (target >= 0.75), "
          f"median p99 ratio {p99_ratios[len(rows) // 2]:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
