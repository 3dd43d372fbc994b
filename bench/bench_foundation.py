"""Cost of our middleware (request id, JSON access log, metrics, error handling) on the bare request path.

Runs `/health` through the same gunicorn settings for wsgi:app and for a bare Flask app, side by side
in one run, with wrk at 16 connections, each round measuring the bare app right before the variant.
Target: throughput >= 75% of bare, p99 <= 1.5x bare. A second variant removes Flask-Limiter's
hooks (bench/nolimiter_wsgi.py) to show the middleware stack's own cost apart from rate limiting.
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


VARIANTS = (("aegis", "wsgi:app"), ("aegis without rate limiter", "bench.nolimiter_wsgi:app"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ratios: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in VARIANTS}
    header = ("round", "variant", "rps", "bare rps", "ratio", "p99", "bare p99", "ratio")
    print("{:>5} {:<28} {:>7} {:>9} {:>6} {:>9} {:>9} {:>6}".format(*header))
    for n in range(1, args.rounds + 1):
        for name, app in VARIANTS:
            bare = measure("bench.bare_wsgi:app", args.seconds)
            ours = measure(app, args.seconds)
            ratios[name].append((ours[0] / bare[0], ours[1] / bare[1]))
            print(
                f"{n:>5} {name:<28} {ours[0]:>7.0f} {bare[0]:>9.0f} {ours[0] / bare[0]:>6.2f} "
                f"{ours[1]:>7.2f}ms {bare[1]:>7.2f}ms {ours[1] / bare[1]:>6.2f}"
            )
    for name, rows in ratios.items():
        rps, p99 = sorted(r[0] for r in rows), sorted(r[1] for r in rows)
        print(f"{name}: median rps ratio {rps[len(rows) // 2]:.2f} (target >= 0.75), "
              f"median p99 ratio {p99[len(rows) // 2]:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
