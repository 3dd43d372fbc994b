"""The swagger check that runs over every recorded request catches each kind of drift."""

from __future__ import annotations

import json
from pathlib import Path

from tests.gitea.contract import check_recorded_requests


def recording(tmp_path: Path, *entries: dict[str, object]) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def entry(method: str, template: str | None, query: list[str] | None = None,
          body: list[str] | None = None) -> dict[str, object]:
    return {"method": method, "path": "/api/v1/x", "template": template, "query": query or [], "body": body or []}


def test_requests_that_match_the_swagger_pass(tmp_path: Path) -> None:
    path = recording(
        tmp_path,
        entry("GET", "/repos/{owner}/{repo}/issues", ["state", "labels", "type", "page", "limit"]),
        entry("POST", "/repos/{owner}/{repo}/issues", body=["title", "body", "labels"]),
        entry("PUT", "/repos/{owner}/{repo}/issues/{index}/labels", body=["labels"]),
        entry("GET", "/repos/{owner}/{repo}/releases", ["pre-release", "draft"]),
    )
    assert check_recorded_requests(path) == []


def test_every_kind_of_drift_is_reported_once(tmp_path: Path) -> None:
    path = recording(
        tmp_path,
        entry("GET", "/repos/{owner}/{repo}/search"),                     # invented route
        entry("DELETE", "/repos/{owner}/{repo}/languages"),                # real route, wrong method
        entry("GET", "/repos/{owner}/{repo}/issues", ["token"]),           # token in the query
        entry("POST", "/repos/{owner}/{repo}/issues", body=["title", "priority"]),
        entry("POST", "/repos/{owner}/{repo}/issues", body=["title", "priority"]),
        entry("GET", "/repos/{owner}/{repo}", body=["name"]),              # body where none exists
        entry("GET", None),                                                # the emulator had no route
    )
    problems = check_recorded_requests(path)
    assert len(problems) == 6
    for needle in ("/search", "DELETE", "'token'", "'priority'", "declares none", "no emulator route"):
        assert any(needle in problem for problem in problems), needle
