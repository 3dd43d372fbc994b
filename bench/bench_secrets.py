"""Secret scanning speed on source text, and how its time grows with input size.

Targets (issue): >= 50 MB/s on source text; the 1 KiB -> 1 MiB time ratio within 1.2x
of the size ratio. The text is built from the labelled corpus (code, lockfiles, go.sum,
SHAs, UUIDs, data URIs, with one secret per ~50 KiB), repeated to >= 5 MB.

    .venv/bin/python bench/bench_secrets.py
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.safety.secrets import SecretScanner

CORPUS = ROOT / "tests" / "safety" / "corpus"
TARGET_BYTES = 5 * 1024 * 1024


def source_text(size: int) -> str:
    """Shuffled corpus snippets up to `size` characters, with a few secrets mixed in."""
    rng = random.Random(7)
    clean = [json.loads(line)["text"] for line in (CORPUS / "clean.jsonl").open()]
    secrets = [json.loads(line)["text"] for line in (CORPUS / "secrets.jsonl").open()]
    parts, total = [], 0
    while total < size:
        snippet = rng.choice(secrets) if rng.random() < 0.004 else rng.choice(clean)
        parts.append(snippet)
        total += len(snippet) + 2
    return "\n\n".join(parts)[:size]


def best_time(run: Callable[[], object], repeats: int) -> float:
    """The fastest of `repeats` runs (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def per_call(run: Callable[[], object], calls: int, rounds: int = 7) -> float:
    """Median over rounds of the mean time of one call (for tiny inputs)."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def throughput(scanner: SecretScanner, text: str) -> None:
    """Print MB/s for find() and mask() on the whole text."""
    megabytes = len(text.encode()) / 1e6
    found = len(scanner.find(text))
    for name, run in (("find", lambda: scanner.find(text)), ("mask", lambda: scanner.mask(text))):
        seconds = best_time(run, repeats=5)
        print(f"{name:5s} {megabytes:6.2f} MB in {seconds * 1000:7.1f} ms = {megabytes / seconds:6.1f} MB/s"
              f"   ({found} secrets found)")  # fmt: skip


def linearity(scanner: SecretScanner, text: str) -> None:
    """Print the 1 KiB -> 1 MiB time ratio next to the size ratio."""
    small, large = text[:1024], text[: 1024 * 1024]
    small_time = per_call(lambda: scanner.find(small), calls=2000)
    large_time = best_time(lambda: scanner.find(large), repeats=7)
    size_ratio, time_ratio = len(large) / len(small), large_time / small_time
    print(f"1 KiB: {small_time * 1e6:8.1f} us   1 MiB: {large_time * 1e3:8.1f} ms")
    print(f"size ratio {size_ratio:7.1f}   time ratio {time_ratio:7.1f}   "
          f"time/size {time_ratio / size_ratio:5.2f} (target <= 1.20)")  # fmt: skip


def main() -> None:
    scanner = SecretScanner()
    text = source_text(TARGET_BYTES)
    print(f"source text: {len(text):,} chars from {CORPUS.relative_to(ROOT)}")
    throughput(scanner, text)
    linearity(scanner, text)


if __name__ == "__main__":
    main()
