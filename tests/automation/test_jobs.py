"""The three jobs over POST /automation/jobs/run against the emulator's seeded data, and their faults."""

from __future__ import annotations

from typing import Any

import requests

from tests.automation.conftest import AutomationWorld

MANIFESTS = {
    "web/package.json": '{"dependencies": {"left-pad": "*", "mine": "git+https://example.com/mine.git",'
                        ' "react": "^18.2.0"}}',
    "pyproject.toml": '[project]\nname = "x"\ndependencies = ["attrs", "rich>=13"]\n',
    "go.mod": "module example.com/x\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/text v0.14.0\n)\n"
              "replace golang.org/x/text => ../text\n",
    "go.sum": "golang.org/x/text v0.14.0 h1:abc=\n",
    "crates/tool/Cargo.toml": '[package]\nname = "tool"\n[dependencies]\nserde = "1"\nrand = "*"\n',
    "crates/tool/Cargo.lock": "# lock\n",
    "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem 'puma'\n",
    "requirements-dev.txt": "pytest==8.0.0\nruff>=0.4\n",
}


def fault(world: AutomationWorld, **spec: Any) -> None:
    answer = requests.post(f"{world.emulator.base_url}/_emulator/faults", json=spec, timeout=10)
    assert answer.status_code == 201, answer.text


def clear_faults(world: AutomationWorld) -> None:
    requests.delete(f"{world.emulator.base_url}/_emulator/faults", timeout=10)


def issue_titles(world: AutomationWorld) -> list[str]:
    answer = requests.get(f"{world.emulator.base_url}/api/v1/repos/acme/service-a/issues",
                          params={"state": "all", "limit": 50, "type": "issues"},
                          headers={"Authorization": f"token {world.emulator.token('alice')}"}, timeout=10)
    return [issue["title"] for issue in answer.json()]


def test_stale_issue_detection_paginates_to_the_end_and_writes_nothing(world: AutomationWorld) -> None:
    before = issue_titles(world)
    answer = world.run_job("stale_issue_detection", owner="acme", repo="service-a", page_size=1)
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert run["status"] == "success", run["reason"]
    stale = {(f["type"], f["number"]) for f in run["findings"]}
    # Seeded in February 2026 and never touched: open issues #1, #2, #5 and open PR #6.
    assert stale == {("issue", 1), ("issue", 2), ("issue", 5), ("pull_request", 6)}
    assert all(f["days_idle"] >= 30 for f in run["findings"])
    pages = [c for c in run["tool_calls"] if c["tool"] == "list_issues"]
    assert len(pages) >= 3  # one issue a page: every page read to the end
    assert {c["tool"] for c in run["tool_calls"]} == {"list_issues", "list_pull_requests"}
    assert issue_titles(world) == before
    kept = world.runs()
    assert kept[0]["id"] == run["id"]


def test_a_long_threshold_finds_nothing(world: AutomationWorld) -> None:
    run = world.run_job("stale_issue_detection", owner="acme", repo="service-a", stale_days=3650).json()
    assert run["status"] == "success" and run["findings"] == []


def test_dependency_scan_reports_each_kind_of_problem_in_each_format(world: AutomationWorld) -> None:
    world.plant("acme/service-a", "main", MANIFESTS, message="Add manifests")
    run = world.run_job("dependency_hygiene_scan", owner="acme", repo="service-a").json()
    assert run["status"] == "success", run["reason"]
    found = {(f["manifest"], f["kind"], f["package"]) for f in run["findings"]}
    expected = {
        ("web/package.json", "wildcard", "left-pad"), ("web/package.json", "vcs_or_url", "mine"),
        ("web/package.json", "missing_lockfile", None),
        ("pyproject.toml", "unpinned", "attrs"), ("pyproject.toml", "missing_lockfile", None),
        ("go.mod", "vcs_or_url", "golang.org/x/text"),
        ("crates/tool/Cargo.toml", "wildcard", "rand"),
        ("Gemfile", "unpinned", "puma"), ("Gemfile", "missing_lockfile", None),
        ("requirements-dev.txt", "unpinned", "ruff"),
    }
    assert expected <= found, expected - found
    assert ("go.mod", "missing_lockfile", None) not in found  # go.sum is beside it
    assert ("crates/tool/Cargo.toml", "missing_lockfile", None) not in found
    assert ("web/package.json", "wildcard", "react") not in found
    assert ("pyproject.toml", "unpinned", "rich") not in found


def test_auto_issue_creation_dry_run_then_once_then_never_again(world: AutomationWorld) -> None:
    before = issue_titles(world)
    dry = world.run_job("auto_issue_creation", owner="acme", repo="service-a", dry_run=True).json()
    assert dry["status"] == "success", dry["reason"]
    [plan] = dry["actions"]
    assert plan["action"] == "would_create" and f"aegis-automation:{plan['marker']}" in plan["body"]
    assert plan["policy"]["allowed"] is True
    assert issue_titles(world) == before

    first = world.run_job("auto_issue_creation", owner="acme", repo="service-a").json()
    assert first["status"] == "success", first["reason"]
    [created] = first["actions"]
    assert created["action"] == "created" and created["marker"] == plan["marker"]
    second = world.run_job("auto_issue_creation", owner="acme", repo="service-a").json()
    assert second["actions"][0]["action"] == "exists"
    assert second["actions"][0]["issue_number"] == created["issue_number"]
    titles = issue_titles(world)
    assert len(titles) == len(before) + 1
    assert sum(plan["marker"] in title for title in titles) == 1


def test_a_denied_job_is_refused_403_and_audited(world: AutomationWorld) -> None:
    answer = world.run_job("dependency_hygiene_scan", owner="bob", repo="dotfiles")
    assert answer.status_code == 403
    assert "automation_dependency_hygiene_scan" in answer.json()["error"]["message"]
    denied = [e for e in world.audit_entries() if e.get("event") == "access_denied"
              and e.get("tool") == "automation_dependency_hygiene_scan"]
    assert denied and denied[-1]["repository"] == "bob/dotfiles"


def test_unauthenticated_and_bad_requests_are_refused(world: AutomationWorld) -> None:
    url = f"{world.server.url}/automation/jobs/run"
    assert requests.post(url, json={"job": "stale_issue_detection", "owner": "acme", "repo": "service-a"},
                         timeout=10).status_code == 401
    assert world.run_job("no_such_job", owner="acme", repo="service-a").status_code == 400
    assert world.run_job("stale_issue_detection", owner="acme", repo="service-a", extra=1).status_code == 400


def test_gitea_429_during_a_job_fails_it_with_the_reason_and_opens_no_issue(world: AutomationWorld) -> None:
    before = issue_titles(world)
    fault(world, method="GET", path="/api/v1/repos/acme/service-a/git/trees/*", kind="429", retry_after=1, times=20)
    try:
        run = world.run_job("auto_issue_creation", owner="acme", repo="service-a").json()
    finally:
        clear_faults(world)
    assert run["status"] == "failed" and "get_file_tree" in run["reason"]
    assert issue_titles(world) == before
    again = world.run_job("auto_issue_creation", owner="acme", repo="service-a").json()
    assert again["status"] == "success" and again["actions"][0]["action"] == "exists"  # no duplicate


def test_a_job_past_its_budget_is_stopped_and_reported(world: AutomationWorld) -> None:
    fault(world, method="GET", path="/api/v1/repos/acme/service-a/issues", kind="latency", latency_ms=2000, times=5)
    try:
        run = world.run_job("stale_issue_detection", owner="acme", repo="service-a", page_size=1).json()
    finally:
        clear_faults(world)
    assert run["status"] == "timed_out" and "time budget" in run["reason"]
    assert 2500 < run["duration_ms"] < 6000
