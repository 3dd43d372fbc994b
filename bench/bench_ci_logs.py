"""Tokens a model reads to reach why CI failed: the whole job log vs. find_failing_step, tail and grep.

Counted with the o200k_base tokenizer (bench.bench_tokens.count_tokens) on the text a model reads: the raw log
as Gitea serves it, and each tool's text result (fences and notes included), over the emulator's seeded runs of
acme/service-a (tests/emulator/seeds/actions.py): run 2 fails in pytest (job 4), job 5 is a 3,000-line build.

Run: .venv/bin/python -m bench.bench_ci_logs   (results in bench/RESULTS.md, "#16 actions toolset")
"""

from __future__ import annotations

import json
import sys
import tempfile
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
from bench.bench_tokens import count_tokens, run_counted
from tests.emulator.process import EmulatorProcess

REPO = {"owner": "acme", "repo": "service-a"}
FAILED_RUN, FAILED_JOB, BUILD_JOB = 2, 4, 5
CALLS = {
    "find_failing_step (run 2)": ("find_failing_step", {"run_id": FAILED_RUN}),
    "get_job_log tail=200 (job 4)": ("get_job_log", {"job_id": FAILED_JOB}),
    "get_job_log tail=50 (job 4)": ("get_job_log", {"job_id": FAILED_JOB, "tail": 50}),
    "get_job_log grep='assert' (job 4)": ("get_job_log", {"job_id": FAILED_JOB, "grep": "assert"}),
    "get_job_log tail=200 (job 5)": ("get_job_log", {"job_id": BUILD_JOB}),
    "get_job_log grep='Build finished' (job 5)": ("get_job_log", {"job_id": BUILD_JOB, "grep": "Build finished"}),
}


def raw_log(emulator: EmulatorProcess, job: int) -> str:
    url = f"{emulator.base_url}/api/v1/repos/acme/service-a/actions/jobs/{job}/logs"
    return requests.get(url, headers={"Authorization": f"token {emulator.token('alice')}"}, timeout=30).text


def tool_texts(emulator: EmulatorProcess) -> dict[str, tuple[str, str]]:
    """Each call's (text, structuredContent as compact JSON)."""
    settings = Settings.from_mapping({"GITEA_URL": emulator.base_url, "MCP_API_KEYS": "k" * 40,
                                      "AUDIT_LOG_PATH": "/dev/null", "MCP_TOOLSETS": "actions"})
    client = GiteaClient(emulator.base_url, 60.0, 2, settings.max_file_size_bytes)
    runtime = ToolRuntime(settings, build_catalog(settings), client)
    alice = Principal("alice", frozenset({READ_SCOPE}), "bench", "api_key",
                      GiteaCredentials("token", emulator.token("alice")))
    out = {}
    for label, (name, args) in CALLS.items():
        call = ToolCall(alice, name, {**REPO, **args}, correlation_id_from(None), request_id="bench")
        result = execute_tool(runtime, call)
        out[label] = (result.text, json.dumps(result.structured, separators=(",", ":")))
    client.close()
    return out


def measure() -> dict[str, Any]:
    emulator = EmulatorProcess().start(tempfile.mkdtemp(prefix="aegis-bench-ci-"))
    try:
        raws = {f"whole log as served (job {job})": raw_log(emulator, job) for job in (FAILED_JOB, BUILD_JOB)}
        texts = tool_texts(emulator)
    finally:
        emulator.stop()
    labels = [*raws, *texts]
    counts = count_tokens([*raws.values(), *(t for t, _ in texts.values()), *(s for _, s in texts.values())])
    n = len(labels)
    rows = {label: {"text": counts[i], "structured": counts[n + i - len(raws)] if i >= len(raws) else None}
            for i, label in enumerate(labels)}
    return rows


def report(rows: dict[str, Any]) -> str:
    lines = [f"{'what the model reads (o200k_base tokens)':44} {'text':>6} {'struct':>7} {'whole log / text':>17}"]
    for label, row in rows.items():
        whole = rows[f"whole log as served (job {BUILD_JOB if f'job {BUILD_JOB}' in label else FAILED_JOB})"]["text"]
        struct = "" if row["structured"] is None else str(row["structured"])
        lines.append(f"{label:44} {row['text']:6} {struct:>7} {whole / row['text']:16.1f}x")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    return run_counted(argv, measure, report)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
