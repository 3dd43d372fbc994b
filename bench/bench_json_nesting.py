"""Cost of the JSON nesting limit: json_codec's depth check next to the parse it follows.

Bodies: a typical 1 KB tools/call, a 1 MB file write (one long string), and a pathological 1 MB body
of ~200,000 small arrays and objects (nothing legitimate sends it; it bounds the worst case).
Usage: .venv/bin/python bench/bench_json_nesting.py [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import json_codec


def bodies() -> dict[str, bytes]:
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    arguments = {"owner": "acme", "repo": "service-a", "filepath": "docs/a.md", "branch": "main",
                 "message": "Update docs", "content": "Some [markdown] with {braces} and \"quotes\".\n" * 18}
    source = (ROOT / "app" / "mcp" / "engine.py").read_text()
    shapes: dict[str, dict[str, Any]] = {
        "typical 1 KB call": arguments,
        "1 MB file write": {**arguments, "content": (source * 200)[:1_000_000]},
        "1 MB of containers": {"items": [{"a": [1, {"b": "x"}]}] * 40_000},
    }
    def call(shape: dict[str, Any]) -> bytes:
        params = {"name": "create_or_update_file", "arguments": shape, "_meta": meta}
        return json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}).encode()

    return {name: call(shape) for name, shape in shapes.items()}


def best_of(runs: int, work: Callable[[], Any]) -> float:
    """Fastest run in microseconds (the machine is shared; the minimum is the cost)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"{'body':<20} {'bytes':>9} {'parse us':>10} {'depth check us':>15} {'share':>6}")
    for name, body in bodies().items():
        value = json_codec.parse(body)
        parse = best_of(args.runs, partial(json_codec.parse, body))
        check = best_of(args.runs, partial(json_codec.nesting_exceeds, value, json_codec.MAX_NESTING))
        print(f"{name:<20} {len(body):>9} {parse:>10.1f} {check:>15.1f} {check / parse:>6.1%}")


if __name__ == "__main__":
    main()
