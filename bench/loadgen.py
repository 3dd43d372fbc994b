"""The benchmarks' load generator: one kept-alive http.client connection per client, and side-by-side sampling.

Why http.client and not requests: the quantity the targets are about is what the gateway adds to a call.
A client library's own cost is paid whether the client talks to the gateway or to Gitea directly, and
requests alone costs about 1 ms per call on these machines (measured in bench_mcp's `requests` row), which
would be charged to the gateway. http.client on a persistent connection is the thinnest HTTP/1.1 client
in the standard library; it still parses the JSON answer, as every client must.

Why interleaved: these machines are noisy (the load generator, gunicorn and the emulator share two cores).
Taking one call of each variant in turn puts every variant under the same noise; runs of 300 calls of
one variant, then 300 of the next, measure the machine's mood as much as the code.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

# Why calls failed in saturated windows (exception type and message), for the report to name them.
FAILURE_REASONS: Counter[str] = Counter()

Call = Callable[[], Any]


class JsonClient:
    """POST JSON to one server over one kept-alive connection; check the status, parse the answer."""

    def __init__(self, base_url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        url = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=60)
        self.path = path
        self.body = json.dumps(body).encode()
        self.headers = {**headers, "Content-Type": "application/json"}

    def __call__(self) -> Any:
        self.connection.request("POST", self.path, self.body, self.headers)
        response = self.connection.getresponse()
        data = response.read()
        assert response.status == 200, data[:300]
        return json.loads(data)


def interleaved(calls: dict[str, Call], count: int, warmup: int = 5) -> dict[str, list[float]]:
    """Milliseconds per call for each variant, one call of each per round in a shuffled order.

    Shuffled because a call pays for whatever the previous one left running (a worker's bookkeeping
    after its answer, the emulator's request log): a fixed order would charge that to one variant.
    """
    for call in calls.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls.items())
    shuffle = random.Random(20261127).shuffle
    for _ in range(count):
        shuffle(order)
        time_each(order, samples)
    return samples


def time_each(order: list[tuple[str, Call]], samples: dict[str, list[float]]) -> None:
    """One round: each variant called once in the given order, its latency (ms) added to its samples."""
    for name, call in order:
        started = time.perf_counter()
        call()
        samples[name].append((time.perf_counter() - started) * 1000)


def closed_loop(make: Callable[[], Call], clients: int, per_client: int) -> list[float]:
    """Each client calls again as soon as its answer arrives (the machine runs at saturation)."""
    calls = [make() for _ in range(clients)]
    for call in calls:
        call()
    with ThreadPoolExecutor(clients) as pool:
        results = pool.map(lambda call: timed(call, per_client), calls)
    return [sample for samples in results for sample in samples]


def paced(make: Callable[[], Call], clients: int, per_client: int, interval_s: float) -> list[float]:
    """Each client calls once every interval_s, the clients' phases spread evenly over the interval."""
    calls = [make() for _ in range(clients)]
    for call in calls:
        call()
    origin = time.perf_counter() + 0.05
    samples: list[float] = []
    lock = threading.Lock()

    def run(index: int, call: Call) -> None:
        own = []
        for step in range(per_client):
            due = origin + interval_s * (step + index / clients)
            time.sleep(max(0.0, due - time.perf_counter()))
            started = time.perf_counter()
            call()
            own.append((time.perf_counter() - started) * 1000)
        with lock:
            samples.extend(own)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def timed(call: Call, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def saturated(calls: list[Call], seconds: float) -> tuple[list[float], float, int]:
    """A closed loop for a fixed time: every client calls again as soon as its answer arrives.

    Returns the latencies (ms) of the calls that succeeded, the seconds from the common start to the
    last answer (throughput is calls over that time) and how many calls failed (not timed, counted so
    that a server that fails under load is not flattered). Clients start together (an Event), unlike
    closed_loop's fixed call count, whose stragglers would run alone at the end."""
    go, box, lock = threading.Event(), {"deadline": 0.0}, threading.Lock()
    samples: list[float] = []
    finished: list[float] = []
    failed: list[int] = []

    def run(call: Call) -> None:
        go.wait()
        own, failures = [], 0
        while (started := time.perf_counter()) < box["deadline"]:
            try:
                call()
            except Exception as error:
                failures += 1
                FAILURE_REASONS[f"{type(error).__name__}: {str(error)[:160]}"] += 1
                continue
            own.append((time.perf_counter() - started) * 1000)
        with lock:
            samples.extend(own)
            failed.append(failures)
            finished.append(time.perf_counter())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    origin = time.perf_counter()
    box["deadline"] = origin + seconds
    go.set()
    for thread in threads:
        thread.join()
    return samples, max(finished) - origin, sum(failed)
