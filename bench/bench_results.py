"""What our answers cost a model: o200k_base tokens of the text content of each read tool's answer.

On the demo data (every read tool, a few argument sets each; median per tool) and on large inputs: a
300-file pull request, a 5,000-line file, 50 issues. For each large answer it also shows whether the
text says it was cut and how to get the rest (the last line of the text), and the structured item count
next to the text's line count (lists: one line per item in the text, full detail in structuredContent).
The text of repository content carries <untrusted> fences (author, source) by design: they are counted.

Calls go through execute_tool (the path every transport takes) on the Gitea emulator, default limits.
Run: .venv/bin/python -m bench.bench_results   (issue 15, part 4; results in bench/RESULTS.md)
"""

from __future__ import annotations

import base64
import json
import os
import re
import statistics
import sys
import tempfile
from typing import Any

from app.audit.events import correlation_id_from
from app.auth.principal import READ_SCOPE, Principal
from app.config import Settings
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.tools import build_catalog
from app.tools.call import ToolCall, ToolResult
from app.tools.execution import ToolRuntime, execute_tool
from bench.bench_tokens import count_tokens, tokenizer_available
from tests.emulator.process import EmulatorProcess
from tests.emulator.seeds.demo import ALICE, demo

A = {"owner": "acme", "repo": "service-a"}
BIG = {"owner": "alice", "repo": "large"}
WIDE_FILES, LONG_LINES, MANY_ISSUES = 300, 5000, 50
CUT_NOTE = re.compile(r"^\[|More available|truncated|not listed|cut", re.IGNORECASE)

DEMO_CALLS: dict[str, list[dict[str, Any]]] = {
    "list_repositories": [{}],
    "get_repository_info": [A, {"owner": "alice", "repo": "notes"}],
    "get_repo_languages": [A],
    "list_repo_topics": [A],
    "get_file_tree": [A, {**A, "recursive": True}, {**A, "path": "src/service_a"}],
    "get_file_contents": [{**A, "filepath": "README.md"}, {**A, "filepath": "src/service_a/handlers.py"},
                          {**A, "filepath": "CHANGELOG.md"}, {**A, "filepath": "assets/logo.png"}],
    "search_code": [{**A, "query": "order"}, {**A, "query": "def "}],
    "list_commits": [A, {**A, "ref": "develop"}],
    "get_commit_diff": [{**A, "sha": "main"}, {**A, "sha": "feature/metrics"}],
    "compare_refs": [{**A, "base": "main", "head": "feature/metrics"}, {**A, "base": "v0.2.0", "head": "v1.0.0"}],
    "get_commit_status": [{**A, "sha": "main"}],
    "list_issues": [A, {**A, "state": "all"}],
    "get_issue": [{**A, "issue_number": 1}, {**A, "issue_number": 2}],
    "list_issue_comments": [{**A, "issue_number": 1}],
    "list_pull_requests": [A, {**A, "state": "all"}],
    "get_pull_request": [{**A, "pull_number": 6}],
    "list_pull_request_files": [{**A, "pull_number": 6}],
    "list_pull_request_commits": [{**A, "pull_number": 6}],
    "list_labels": [A],
    "list_tags": [A],
    "list_releases": [A],
    "get_release": [{**A, "release_id": 1}],
    "get_latest_release": [A],
    "list_branches": [A],
    "get_branch": [{**A, "branch": "main"}],
    "list_organizations": [{}],
    "list_org_repositories": [{"org": "acme"}],
    "list_milestones": [A, {**A, "state": "all"}],
    "list_pull_request_reviews": [{**A, "pull_number": 6}],
    "get_pull_request_review": [{**A, "pull_number": 6, "review_id": 1}],
    "get_pull_request_diff": [{**A, "pull_number": 6}, {**A, "pull_number": 6, "paths": ["src/"]}],
}

LARGE_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("300-file PR", "get_pull_request", {**BIG, "pull_number": MANY_ISSUES + 1}),
    ("300-file PR", "list_pull_request_files", {**BIG, "pull_number": MANY_ISSUES + 1}),
    ("300-file PR", "list_pull_request_files", {**BIG, "pull_number": MANY_ISSUES + 1, "limit": 50}),
    ("300-file PR", "compare_refs", {**BIG, "base": "main", "head": "wide"}),
    ("300-file PR", "get_commit_diff", {**BIG, "sha": "wide"}),
    ("300-file PR", "get_pull_request_diff", {**BIG, "pull_number": MANY_ISSUES + 1}),
    ("5,000-line file", "get_file_contents", {**BIG, "filepath": "long.txt"}),
    ("5,000-line file", "get_file_contents", {**BIG, "filepath": "long.txt", "start_line": 4990}),
    ("5,000-line file", "search_code", {**BIG, "query": "line"}),
    ("50 issues", "list_issues", {**BIG, "limit": 50}),
    ("50 issues", "list_issues", BIG),
    ("300 files", "get_file_tree", {**BIG, "recursive": True}),
]


def seed_file(directory: str) -> str:
    """The demo world plus alice/large: 300 files changed on branch `wide` (a PR), a 5,000-line file, 50 issues."""
    base = {f"pkg{i // 50}/mod_{i}.py": f"VALUE_{i} = {i}\n" for i in range(WIDE_FILES)}
    base["long.txt"] = "".join(f"line {n}: the quick brown fox jumps over the lazy dog\n"
                               for n in range(1, LONG_LINES + 1))
    changed = {name: text + f"CHANGED_{name.split('_')[-1][:-3]} = True\n" for name, text in base.items()
               if name != "long.txt"}
    commits = [
        {"branch": "main", "message": "Generated", "author": ALICE, "files": base},
        {"branch": "wide", "message": "Touch every module", "author": ALICE, "files": changed, "start": "main"},
    ]
    issues = [{"title": f"Issue number {n} about module {n}", "user": "alice", "body": f"Module {n} needs work."}
              for n in range(1, MANY_ISSUES + 1)]
    issues.append({"title": "Touch every module", "user": "alice", "body": "300 files.", "head": "wide",
                   "base": "main"})
    world = demo()
    world["repos"].append({"owner": "alice", "name": "large", "description": "Large inputs", "commits": commits,
                           "issues": issues})
    path = os.path.join(directory, "results-seed.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(world, handle, default=lambda raw: {"base64": base64.b64encode(raw).decode()})
    return path


def run(runtime: ToolRuntime, alice: Principal, name: str, arguments: dict[str, Any]) -> ToolResult:
    return execute_tool(runtime, ToolCall(alice, name, arguments, correlation_id_from(None)))


def items_of(result: ToolResult) -> int | None:
    structured = result.structured or {}
    for key in ("items", "files", "entries", "matches"):
        if isinstance(structured.get(key), list):
            return len(structured[key])
    return None


def main() -> int:
    if not tokenizer_available():
        print("Node or gpt-tokenizer is missing: run `make clients`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="aegis-bench-results-") as directory:
        emulator = EmulatorProcess().start(os.path.join(directory, "emulator"), seed=seed_file(directory), timeout=300)
        try:
            settings = Settings.from_mapping({"GITEA_URL": emulator.base_url, "MCP_API_KEYS": "k" * 40,
                                              "AUDIT_LOG_PATH": "/dev/null", "MCP_TOOLSETS": "all"})
            runtime = ToolRuntime(settings, build_catalog(settings), GiteaClient(emulator.base_url, 60.0, 4, 1 << 20))
            alice = Principal("alice", frozenset({READ_SCOPE}), None, "api_key",
                              GiteaCredentials("token", emulator.token("alice")))
            demo_results = {name: [run(runtime, alice, name, args) for args in calls]
                            for name, calls in DEMO_CALLS.items()}
            large_results = [(label, name, args, run(runtime, alice, name, args)) for label, name, args in LARGE_CALLS]
        finally:
            emulator.stop()
    texts = [r.text for results in demo_results.values() for r in results] + [r.text for *_, r in large_results]
    counts = iter(count_tokens(texts))
    print("text tokens of each read tool's answer on the demo data (median over its calls; min-max)")
    print(f"{'tool':28} {'calls':>5} {'median':>7} {'min':>6} {'max':>6}  errors")
    medians = []
    for name, results in demo_results.items():
        tokens = [next(counts) for _ in results]
        medians.append(statistics.median(tokens))
        errors = [r.text[:60] for r in results if r.is_error]
        print(f"{name:28} {len(tokens):5} {statistics.median(tokens):7.0f} {min(tokens):6} {max(tokens):6}  "
              f"{'; '.join(errors)}")
    print(f"{'median of the medians':28} {'':5} {statistics.median(medians):7.0f}")
    print()
    print("large inputs (default limits): tokens, text lines vs structured items, what the text says was cut")
    for label, name, args, result in large_results:
        tokens = next(counts)
        shown = {k: v for k, v in args.items() if k not in ("owner", "repo")}
        lines = result.text.count("\n") + 1
        notes = [line for line in result.text.splitlines() if CUT_NOTE.search(line)] or ["(no note: complete)"]
        print(f"{label:16} {name} {json.dumps(shown)}: {tokens} tokens, {len(result.text)} chars, {lines} text lines, "
              f"{items_of(result)} items{' ERROR' if result.is_error else ''}")
        for note in notes:
            print(f"{'':16}   says: {note[:220]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
