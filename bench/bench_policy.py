"""Policy decision latency with 500 repository rules (target: <= 20 us per decision)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.policy import Policy

TARGET_US = 20.0
RULES = 500
ROUNDS = 50_000


def policy_text(rules: int) -> str:
    lines = ["defaults: {read: allow, write: deny}", "tools: {deny: [search_code]}", "repositories:"]
    for n in range(rules - 10):
        lines.append(f"  org{n % 50}/repo{n}: {{tools: {{allow: [get_file_contents, list_commits, create_issue]}},")
        lines.append("    paths: {allow: ['src/*', 'docs/*', 'README.md'], deny: ['src/secrets/*', '*.pem', '.env']}}")
    for n in range(10):
        lines.append(f"  team{n}/*: {{tools: {{deny: [create_label]}}, paths: {{deny: ['private/*']}}}}")
    return "\n".join(lines) + "\n"


def measure(label: str, decide: Callable[[], object], rounds: int = ROUNDS, per: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        decide()
    per_call = (time.perf_counter() - start) / rounds / per * 1e6
    print(f"{label:<52} {per_call:7.2f} us   target {TARGET_US:.0f} us   ratio {per_call / TARGET_US:5.2f}")
    return per_call


def main() -> int:
    policy = Policy.parse(policy_text(RULES))
    print(f"policy: {len(policy.exact)} exact rules, {len(policy.by_owner)} owner/* rules, {ROUNDS} rounds each")
    cases = {
        "tool only, unlisted repository (defaults)": lambda: policy.decide("list_issues", False, "x/y"),
        "tool only, exact rule (Mixed/Case key)": lambda: policy.decide("list_commits", False, "ORG7/Repo257"),
        "tool + allowed path, exact rule": lambda: policy.decide(
            "get_file_contents", False, "org7/repo257", "src/a/b.py"
        ),
        "tool + denied path, exact rule": lambda: policy.decide(
            "get_file_contents", False, "org7/repo257", "src/secrets/k"
        ),
        "tool + path, owner/* rule": lambda: policy.decide("get_file_contents", False, "team3/any", "private/x"),
        "write tool, exact rule": lambda: policy.decide("create_issue", True, "org7/repo257"),
        "filter_paths, 100-entry tree, per entry": lambda: policy.filter_paths("org7/repo257", TREE),
    }
    worst = max(measure(label, case) for label, case in list(cases.items())[:-1])
    measure(list(cases)[-1], cases[list(cases)[-1]], rounds=2_000, per=len(TREE))
    print(f"worst single decision {worst:.2f} us -> {'PASS' if worst <= TARGET_US else 'FAIL'} (<= {TARGET_US} us)")
    return 0 if worst <= TARGET_US else 1


TREE = [f"src/pkg{n}/module{n}.py" for n in range(90)] + [f"src/secrets/key{n}" for n in range(10)]

if __name__ == "__main__":
    sys.exit(main())
