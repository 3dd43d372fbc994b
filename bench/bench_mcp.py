"""What the MCP layer adds to a tool call, side by side with the same GiteaClient call made directly.

In one run, on the Gitea emulator:
  1. tools/call get_repository_info through gunicorn (2026-07-28, JSON answer) vs GiteaClient.get_repository
     directly, one call of each in turn (bench/loadgen.py says why), p50/p99 with 1 client; added latency =
     through - direct. Targets: added p50 <= 1.5 ms, p99 <= 5 ms. For reference, the same upstream call
     through a bare Flask app on the same gunicorn settings (bench/bare_proxy_wsgi.py: the floor any
     gateway on this stack pays), and the same tools/call sent with requests instead of http.client.
  2. The same at 16 concurrent clients, twice: closed loop (each client calls again at once: the two
     cores run saturated and latency is mostly queueing) and paced (each client calls every 100 ms);
     also with 2 workers sharing Redis (one worker computes on one core at a time).
  3. tools/list p50 through gunicorn. Target <= 2 ms.
  4. tool-call p50 on one worker (threads sized for them) without and with 200 idle SSE streams open.
     Target: rises by at most 1 ms.
Usage: .venv/bin/python -m bench.bench_mcp [--calls 400]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.principal import service_credentials
from app.config import Secret
from app.gitea.client import GiteaClient
from bench.loadgen import JsonClient, closed_loop, interleaved, paced, pct
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env
from tests.fixtures.redis import RedisServer

META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
ARGS = {"owner": "acme", "repo": "service-a"}
TOOL = {"name": "get_repository_info", "arguments": ARGS}  # the tools/call every case measures


def headers(method: str, name: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {TEST_API_KEY}", "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method,
           "Accept": "application/json, text/event-stream"}
    if name:
        out["Mcp-Name"] = name
    return out


def mcp_call(url: str, method: str, params: dict[str, Any], name: str | None = None) -> Callable[[], Any]:
    """One client's call function on its own kept-alive connection (bench/loadgen.py)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": META}}
    client = JsonClient(url, "/mcp", body, headers(method, name))

    def call() -> Any:
        reply = client()
        assert "result" in reply and not reply["result"].get("isError"), str(reply)[:300]
        return reply

    return call


def requests_call(url: str, method: str, params: dict[str, Any], name: str | None = None) -> Callable[[], Any]:
    """The same call sent with requests, to show what the client library alone costs."""
    session = requests.Session()
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": META}}
    hdrs = headers(method, name)

    def call() -> Any:
        response = session.post(f"{url}/mcp", json=body, headers=hdrs, timeout=30)
        reply = response.json()
        assert response.status_code == 200 and "result" in reply, response.text[:300]
        return reply

    return call


def direct_call(gitea_url: str, token: str) -> Callable[[], Any]:
    client = GiteaClient(gitea_url, 30.0, 32, 1 << 20).bind(service_credentials(Secret(token)))
    return lambda: client.get_repository(ARGS["owner"], ARGS["repo"])


def row(label: str, through: list[float], direct: list[float] | None = None) -> str:
    p50, p99 = pct(through, 0.5), pct(through, 0.99)
    if direct is None:
        return f"| {label:<52} | {p50:8.2f} | {p99:8.2f} | {'':>8} | {'':>8} | {'':>9} | {'':>9} |"
    d50, d99 = pct(direct, 0.5), pct(direct, 0.99)
    return (f"| {label:<52} | {p50:8.2f} | {p99:8.2f} | {d50:8.2f} | {d99:8.2f} | {p50 - d50:9.2f} |"
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


def one_client(server: str, floor: str, direct: Callable[[], Callable[[], Any]], calls: int) -> list[str]:
    samples = interleaved({
        "direct": direct(),
        "aegis": tool_maker(server)(),
        "floor": tool_maker(floor)(),
        "requests": requests_call(server, "tools/call", TOOL, "get_repository_info"),
    }, calls)
    return [
        row("tools/call get_repository_info, 1 client", samples["aegis"], samples["direct"]),
        row("  floor: bare Flask proxy, same call, 1 client", samples["floor"], samples["direct"]),
        row("  same tools/call sent with requests, 1 client", samples["requests"], samples["direct"]),
    ]


def tool_maker(url: str) -> Callable[[], Callable[[], Any]]:
    return lambda: mcp_call(url, "tools/call", TOOL, "get_repository_info")


def sixteen_clients(server: str, floor: str, two_workers: str, direct: Callable[[], Callable[[], Any]],
                    calls: int) -> list[str]:
    makers = {"direct": direct, "aegis": tool_maker(server), "floor": tool_maker(floor),
              "two workers": tool_maker(two_workers)}
    lines = []
    for mode in ("closed loop", "paced 10/s each"):
        samples: dict[str, list[float]] = {name: [] for name in makers}
        for _ in range(2):  # alternate the variants in blocks so drift hits each alike
            for name, make in makers.items():
                if mode == "closed loop":
                    samples[name] += closed_loop(make, 16, max(20, calls // 16))
                else:
                    samples[name] += paced(make, 16, 20, 0.1)
        lines.append(row(f"tools/call, 16 clients, {mode}", samples["aegis"], samples["direct"]))
        lines.append(row(f"  floor: bare Flask proxy, 16 clients, {mode}", samples["floor"], samples["direct"]))
        lines.append(row(f"  2 workers + Redis, 16 clients, {mode}", samples["two workers"], samples["direct"]))
    return lines


def tools_list(server: str, calls: int) -> list[str]:
    samples = interleaved({"http.client": mcp_call(server, "tools/list", {}),
                           "requests": requests_call(server, "tools/list", {})}, calls)
    return [row("tools/list, 1 client", samples["http.client"]),
            row("  same tools/list sent with requests", samples["requests"])]


def idle_streams(big: str, calls: int) -> list[str]:
    call = tool_maker(big)()
    before = interleaved({"call": call}, calls)["call"]
    streams = open_idle_streams(big, 200)  # closed streams hold their threads until the next keep-alive: once
    try:
        during = interleaved({"call": call}, calls)["call"]
    finally:
        for stream in streams:
            stream.close()
    effect = statistics.median(during) - statistics.median(before)
    return [row("tools/call, 1 worker x 280 threads, no streams", before),
            row("tools/call, same worker, 200 idle SSE streams", during),
            f"\nidle-stream effect on tool-call p50: {effect:+.2f} ms (target <= +1 ms)"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    calls = parser.parse_args().calls
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="bench-mcp-emulator-"))
    token = emulator.token("alice")
    env = {"GITEA_URL": emulator.base_url, "GITEA_TOKEN": token, "MCP_API_KEYS": TEST_API_KEY, "LOG_LEVEL": "WARNING"}
    server = GunicornServer(base_env(**env)).start()
    floor = GunicornServer(base_env(**env), app="bench.bare_proxy_wsgi:app").start()
    big = GunicornServer(base_env(**env, GUNICORN_THREADS="280")).start()
    redis = RedisServer().start()
    two = GunicornServer(base_env(**env, GUNICORN_WORKERS="2", REDIS_URL=redis.url)).start()
    direct = lambda: direct_call(emulator.base_url, token)  # noqa: E731
    try:
        lines = one_client(server.url, floor.url, direct, calls)
        lines += sixteen_clients(server.url, floor.url, two.url, direct, calls)
        lines += tools_list(server.url, calls)
        lines += idle_streams(big.url, calls)
    finally:
        two.stop()
        redis.stop()
        big.stop()
        floor.stop()
        server.stop()
        emulator.stop()
    print(f"| {'case (ms)':<52} | p50      | p99      | direct50 | direct99 | added p50 | added p99 |")
    print("|" + "|".join("-" * width for width in (54, 10, 10, 10, 10, 11, 11)) + "|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
