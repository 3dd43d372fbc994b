"""Tool benchmarks on the emulator: search_code cold/warm with upstream request counts, and
get_file_contents of a 1 MiB file through gunicorn vs the same GiteaClient call made directly.

Run: .venv/bin/python -m bench.bench_tools   (prints side-by-side numbers; targets in issue 5)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import requests

from app.audit.events import correlation_id_from
from app.auth.principal import READ_SCOPE, Principal
from app.config import Settings
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.tools import build_catalog
from app.tools.call import ToolCall
from app.tools.execution import ToolRuntime, execute_tool
from bench.bench_mcp import mcp_call
from bench.loadgen import JsonClient, interleaved
from tests.emulator.process import EmulatorProcess
from tests.emulator.seeds.demo import demo
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env

FILES, FILE_BYTES = 2000, 10 * 1024  # 2,000 files, 20 MB
ONE_MIB = 1024 * 1024


def generated_file(index: int) -> str:
    """About 10 KB of deterministic text; every 400th file holds the needle."""
    lines = [f"# module {index}"]
    while sum(len(line) + 1 for line in lines) < FILE_BYTES:
        lines.append(f"value_{len(lines)} = '{hashlib.sha1(f'{index}-{len(lines)}'.encode()).hexdigest()}'")
    if index % 400 == 0:
        lines.append("NEEDLE_FOR_THE_BENCHMARK = True")
    return "\n".join(lines) + "\n"


def seed_file(directory: str) -> str:
    files = {f"pkg{i // 100}/module_{i}.py": generated_file(i) for i in range(FILES)}
    files["data/one_mib.txt"] = ("x" * 1023 + "\n") * (ONE_MIB // 1024)
    world = demo()
    commit = {"branch": "main", "message": "Generated", "author": {"name": "Alice Liddell",
              "email": "alice@example.com"}, "files": files}
    world["repos"].append({"owner": "alice", "name": "big", "description": "Benchmark", "commits": [commit]})
    path = os.path.join(directory, "bench-seed.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(world, handle, default=lambda raw: {"base64": base64.b64encode(raw).decode()})
    return path


def requests_served(emulator: EmulatorProcess) -> int:
    count: int = requests.get(f"{emulator.base_url}/_emulator/stats", timeout=5).json()["requests"]
    requests.post(f"{emulator.base_url}/_emulator/stats/reset", timeout=5)
    return count


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_search(emulator: EmulatorProcess) -> None:
    settings = Settings.from_mapping({"GITEA_URL": emulator.base_url, "MCP_API_KEYS": "k" * 40})
    runtime = ToolRuntime(settings, build_catalog(settings), GiteaClient(emulator.base_url, 60.0, 4, ONE_MIB))
    alice = Principal("alice", frozenset({READ_SCOPE}), None, "api_key",
                      GiteaCredentials("token", emulator.token("alice")))
    arguments = {"owner": "alice", "repo": "big", "query": "needle_for_the_benchmark"}

    def search() -> None:
        result = execute_tool(runtime, ToolCall(alice, "search_code", arguments, correlation_id_from(None)))
        assert result.structured and result.structured["total"] == FILES // 400, result.text

    requests_served(emulator)
    first = timed(search)
    first_requests = requests_served(emulator)
    repeats = [timed(search) for _ in range(5)]
    repeat_requests = requests_served(emulator) / 5
    print(f"search_code {FILES} files / {FILES * FILE_BYTES // 10**6} MB")
    print(f"  first call   {first * 1000:8.1f} ms   upstream requests {first_requests}   (target <= 3)")
    print(f"  repeat p50   {statistics.median(repeats) * 1000:8.1f} ms   upstream requests {repeat_requests:.0f}"
          "   (target <= 100 ms, 0 content requests)")


def bench_file(emulator: EmulatorProcess, chars: int, targeted: bool, rounds: int = 60) -> None:
    """get_file_contents end to end (http.client on a kept-alive connection) vs GiteaClient.get_raw_file.

    Two questions: the whole file (the default answer shows its first MAX_TOOL_RESPONSE_CHARS characters,
    so only that much is kept from Gitea), asked on the plain JSON route and as an MCP tools/call: the
    issue's target; and its last lines, reported (the tool must read the whole 1 MiB and count its lines,
    as the direct call reads it: the cost of the gateway's own work on a full read). Then, in a sampling
    loop of their own so that they do not disturb the first, two floors: a bare Flask app under the same
    gunicorn settings answering the same shape with none of the gateway's work, once reading the whole
    file and once only the bytes it shows."""
    env = base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"),
                   MAX_TOOL_RESPONSE_CHARS=str(chars), MAX_FILE_SIZE_BYTES=str(ONE_MIB))
    client = GiteaClient(emulator.base_url, 60.0, 4, ONE_MIB).bind(GiteaCredentials("token", emulator.token("alice")))
    auth = {"Authorization": f"Bearer {TEST_API_KEY}"}
    whole = {"owner": "alice", "repo": "big", "filepath": "data/one_mib.txt"}
    last = ONE_MIB // 1024  # the file has 1024 lines of 1 KiB

    def direct() -> Any:
        return client.get_raw_file("alice", "big", "data/one_mib.txt")

    with ExitStack() as stack:  # stops whichever servers started, even if a later one fails to
        server = stack.enter_context(GunicornServer(env).start())
        floor = stack.enter_context(GunicornServer(env, app="bench.bare_proxy_wsgi:app").start())

        def tool(**extra: int) -> Callable[[], Any]:
            body = {"tool": "get_file_contents", "arguments": {**whole, **extra}}
            return JsonClient(server.url, "/mcp/tool/call", body, auth)

        call = {"name": "get_file_contents", "arguments": whole}
        as_mcp = mcp_call(server.url, "tools/call", call, "get_file_contents")
        gateway = interleaved({
            "whole": tool(), "whole, MCP": as_mcp, "last lines": tool(start_line=last - 2, end_line=last),
            "direct": direct,
        }, rounds, warmup=3)
        floors = interleaved({
            "floor full": JsonClient(floor.url, "/file", {}, {}),
            "floor partial": JsonClient(floor.url, "/file-partial", {}, {}), "direct": direct,
        }, rounds, warmup=3)
    print(f"get_file_contents 1 MiB (MAX_TOOL_RESPONSE_CHARS={chars}), direct GiteaClient p50 "
          f"{statistics.median(gateway['direct']):6.2f} ms")
    rows = (
        (gateway, "whole", "the file, /mcp/tool/call"), (gateway, "whole, MCP", "the file, MCP tools/call"),
        (gateway, "last lines", f"lines {last - 2}-{last}"),
        (floors, "floor full", "floor: bare proxy, whole read"),
        (floors, "floor partial", "floor: bare proxy, shown bytes"),
    )
    for samples, name, label in rows:
        p50, direct_p50 = statistics.median(samples[name]), statistics.median(samples["direct"])
        note = f"direct in its loop {direct_p50:.2f} ms" if samples is floors else (
            "target <= 1.3x" if targeted and name != "last lines" else "reported")
        print(f"  {label:<31} end to end p50 {p50:7.2f} ms   ratio {p50 / direct_p50:5.2f}x   ({note})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aegis-bench-tools-") as directory:
        emulator = EmulatorProcess().start(os.path.join(directory, "emulator"), seed=seed_file(directory),
                                           timeout=300)
        try:
            bench_search(emulator)
            bench_file(emulator, chars=20000, targeted=True)  # the default MAX_TOOL_RESPONSE_CHARS
            bench_file(emulator, chars=2 * ONE_MIB, targeted=False)  # the answer carries the whole MiB
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()
