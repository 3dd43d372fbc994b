"""What the MCP layer adds to a tool call, side by side with the same GiteaClient call made directly.

In one run, on the Gitea emulator:
  1. tools/call get_repository_info through gunicorn (2026-07-28, JSON answer) vs GiteaClient.get_repository
     directly, p50/p99 at 1 and 16 concurrent clients; added latency = through - direct.
     Targets: added p50 <= 1.5 ms, p99 <= 5 ms. For reference the same upstream call through a bare Flask
     app on the same gunicorn settings (bench/bare_proxy_wsgi.py): the floor any gateway on this stack pays.
  2. tools/list p50 through gunicorn. Target <= 2 ms.
  3. tool-call p50 on one worker (threads sized for them) before and with 200 idle SSE streams open.
     Target: rises by at most 1 ms.
Usage: .venv/bin/python bench/bench_mcp.py [--calls 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.principal import service_credentials
from app.config import Secret
from app.gitea.client import GiteaClient
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env

META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
ARGS = {"owner": "acme", "repo": "service-a"}


def headers(method: str, name: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {TEST_API_KEY}", "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method,
           "Accept": "application/json, text/event-stream"}
    if name:
        out["Mcp-Name"] = name
    return out


def mcp_call(url: str, method: str, params: dict[str, Any], name: str | None = None) -> Callable[[], None]:
    """One client's call function, on its own keep-alive session."""
    session = requests.Session()
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": META}}
    hdrs = headers(method, name)

    def call() -> None:
        response = session.post(f"{url}/mcp", json=body, headers=hdrs, timeout=30)
        reply = response.json()  # once, as a client would: the list reply is ~45 KB of JSON
        assert response.status_code == 200 and "result" in reply, response.text[:300]
        assert not reply["result"].get("isError"), response.text[:300]

    return call


def direct_call(gitea_url: str, token: str) -> Callable[[], Any]:
    client = GiteaClient(gitea_url, 30.0, 32, 1 << 20).bind(service_credentials(Secret(token)))
    return lambda: client.get_repository(ARGS["owner"], ARGS["repo"])


def timed(call: Callable[[], None], count: int) -> list[float]:
    call()  # warm the connection
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def concurrent(make: Callable[[], Callable[[], None]], clients: int, per_client: int) -> list[float]:
    calls = [make() for _ in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        results = pool.map(lambda call: timed(call, per_client), calls)
    return [sample for samples in results for sample in samples]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(label: str, through: list[float], direct: list[float] | None = None) -> str:
    p50, p99 = pct(through, 0.5), pct(through, 0.99)
    if direct is None:
        return f"| {label:<44} | {p50:8.2f} | {p99:8.2f} | {'':>8} | {'':>8} | {'':>9} | {'':>9} |"
    d50, d99 = pct(direct, 0.5), pct(direct, 0.99)
    return (f"| {label:<44} | {p50:8.2f} | {p99:8.2f} | {d50:8.2f} | {d99:8.2f} | {p50 - d50:9.2f} |"
            f" {p99 - d99:9.2f} |")


def open_idle_streams(url: str, count: int) -> list[requests.Response]:
    auth = {"Authorization": f"Bearer {TEST_API_KEY}", "Accept": "text/event-stream"}
    streams = []
    for _ in range(count):
        response = requests.get(f"{url}/mcp/sse", headers=auth, stream=True, timeout=30)
        assert response.status_code == 200, response.status_code
        next(response.iter_lines())  # the endpoint event: the stream is established
        streams.append(response)
    return streams


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="bench-mcp-emulator-"))
    token = emulator.token("alice")
    env = {"GITEA_URL": emulator.base_url, "GITEA_TOKEN": token, "MCP_API_KEYS": TEST_API_KEY, "LOG_LEVEL": "WARNING"}
    server = GunicornServer(base_env(**env)).start()
    floor = GunicornServer(base_env(**env), app="bench.bare_proxy_wsgi:app").start()
    big = GunicornServer(base_env(**env, GUNICORN_THREADS="280")).start()
    lines = []
    try:
        tool = lambda url: mcp_call(url, "tools/call", {"name": "get_repository_info", "arguments": ARGS},  # noqa: E731
                                    "get_repository_info")
        direct = lambda: direct_call(emulator.base_url, token)  # noqa: E731
        for clients in (1, 16):
            per_client = calls if clients == 1 else max(20, calls // 8)
            through = concurrent(lambda: tool(server.url), clients, per_client)
            plain = concurrent(direct, clients, per_client)
            lines.append(row(f"tools/call get_repository_info, {clients} client(s)", through, plain))
            bare = concurrent(lambda: tool(floor.url), clients, per_client)
            lines.append(row(f"  floor: bare Flask proxy, same call, {clients} client(s)", bare, plain))
        lines.append(row("tools/list, 1 client", timed(mcp_call(server.url, "tools/list", {}), calls)))
        before = timed(tool(big.url), calls)
        streams = open_idle_streams(big.url, 200)
        try:
            during = timed(tool(big.url), calls)
        finally:
            for stream in streams:
                stream.close()
        lines.append(row("tools/call, 1 worker x 280 threads, no streams", before))
        lines.append(row("tools/call, same worker, 200 idle SSE streams", during))
        effect = statistics.median(during) - statistics.median(before)
        lines.append(f"\nidle-stream effect on tool-call p50: {effect:+.2f} ms")
    finally:
        big.stop()
        floor.stop()
        server.stop()
        emulator.stop()
    print(f"| {'case':<44} | p50 ms   | p99 ms   | direct50 | direct99 | added p50 | added p99 |")
    print("|" + "|".join("-" * width for width in (46, 10, 10, 10, 10, 11, 11)) + "|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
