"""The emulator against Gitea's swagger: every route it serves exists there, every JSON body it sends validates."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.emulator.app import create_emulator
from tests.emulator.recording import API_PREFIX, swagger_template
from tests.emulator.tests.conftest import Gitea
from tests.emulator.tests.swagger_schema import swagger, validate_response

REPO = "/repos/acme/service-a"
# Read routes with real parameters over the demo data; every one must answer 200 with a valid body.
READ_WALK = [
    "/version", "/user", "/user/repos", "/users/alice/repos", "/users/bob/repos", "/orgs/acme/repos",
    "/user/orgs", "/users/bob/orgs", "/orgs/acme", "/orgs/acme/labels", "/repos/search?q=service&limit=5",
    REPO, "/repos/alice/empty", "/repos/alice/private-notes",
    f"{REPO}/git/trees/main", f"{REPO}/git/trees/main?recursive=true&per_page=7&page=2",
    f"{REPO}/contents", f"{REPO}/contents/README.md", f"{REPO}/contents/src?ref=develop",
    f"{REPO}/contents/assets/logo.png?ref=v1.0.0", f"{REPO}/contents/scripts/deploy.sh",
    f"{REPO}/commits?limit=3", f"{REPO}/commits?path=README.md&stat=false&files=false", f"{REPO}/commits?sha=develop",
    f"{REPO}/git/commits/main", f"{REPO}/compare/main...feature/metrics", f"{REPO}/compare/v0.2.0..v1.0.0",
    f"{REPO}/issues?state=all", f"{REPO}/issues?labels=bug&type=issues", f"{REPO}/issues?milestones=v1.1",
    f"{REPO}/issues/1", f"{REPO}/issues/3", f"{REPO}/issues/6", f"{REPO}/issues/1/comments",
    f"{REPO}/issues/comments", f"{REPO}/issues/1/labels", f"{REPO}/issues/comments/1",
    f"{REPO}/pulls?state=all", f"{REPO}/pulls/6", f"{REPO}/pulls/7", f"{REPO}/pulls/6/files", f"{REPO}/pulls/6/commits",
    f"{REPO}/labels", f"{REPO}/labels/3", f"{REPO}/labels/bug", f"{REPO}/milestones?state=all",
    f"{REPO}/milestones/1", f"{REPO}/milestones/Backlog", f"{REPO}/tags", f"{REPO}/tags/v1.0.0", f"{REPO}/tags/v0.2.0",
    f"{REPO}/releases", f"{REPO}/releases/latest", f"{REPO}/releases/tags/v1.0.0", f"{REPO}/releases/1",
    f"{REPO}/branches", f"{REPO}/branches/main", f"{REPO}/branches/feature/metrics",
    f"{REPO}/commits/main/status", f"{REPO}/commits/develop/status", f"{REPO}/commits/main/statuses",
    f"{REPO}/languages", f"{REPO}/topics", f"{REPO}/collaborators/bob/permission",
    f"{REPO}/pulls/6/reviews", f"{REPO}/pulls/6/reviews/1", f"{REPO}/pulls/6/reviews/1/comments",
    f"{REPO}/wiki/pages", f"{REPO}/wiki/pages?limit=2&page=3", f"{REPO}/wiki/page/Home",
    f"{REPO}/wiki/page/2026-01-05+meeting.-", f"{REPO}/wiki/page/_Sidebar", f"{REPO}/wiki/revisions/Home",
]
READ_WALK += [  # Gitea Actions: runs (filtered, paged), a run, its jobs, one job with steps, a job never started
    f"{REPO}/actions/runs", f"{REPO}/actions/runs?status=failure&branch=feature/metrics&event=pull_request",
    f"{REPO}/actions/runs?status=completed&status=queued",
    f"{REPO}/actions/runs?limit=1&page=2", f"{REPO}/actions/runs/2", f"{REPO}/actions/runs/4",
    f"{REPO}/actions/runs/2/jobs", f"{REPO}/actions/jobs/4", f"{REPO}/actions/jobs/6",
]
TEXT_ROUTES = [
    f"{REPO}/raw/README.md", f"{REPO}/raw/develop/docs/ROADMAP.md", f"{REPO}/git/commits/main.diff",
    f"{REPO}/git/commits/main.patch", f"{REPO}/pulls/6.diff", f"{REPO}/pulls/6.patch",
    f"{REPO}/compare/main...feature/metrics?output=diff", f"{REPO}/archive/main.tar.gz", f"{REPO}/archive/v1.0.0.zip",
    f"{REPO}/actions/jobs/4/logs", f"{REPO}/actions/jobs/5/logs",
]


@pytest.fixture(scope="module")
def url_map(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Return the emulator's Flask url_map (an in-process app built only to read its routes)."""
    app = create_emulator(str(tmp_path_factory.mktemp("routes")), "http://127.0.0.1:9/", seed="empty")
    return app.url_map


def template_of(url_map: Any, method: str, path: str) -> str:
    """Return the swagger template the emulator matched for a request path."""
    rule, _ = url_map.bind("127.0.0.1").match(path.split("?", maxsplit=1)[0], method=method, return_rule=True)
    return swagger_template(rule.rule)


def test_every_api_route_is_a_swagger_operation(url_map: Any) -> None:
    """Each /api/v1 rule and method the emulator serves exists in Gitea 1.27's swagger."""
    missing = []
    served = 0
    for rule in url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        template = swagger_template(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            served += 1
            if method.lower() not in swagger()["paths"].get(template, {}):
                missing.append(f"{method} {template}")
    assert served > 60
    assert missing == []


@pytest.mark.parametrize("path", READ_WALK)
def test_read_route_body_matches_swagger(gitea: Gitea, alice: requests.Session, url_map: Any, path: str) -> None:
    """A GET over the demo data answers 200 with a body valid against the swagger (nulls only where FACTS says)."""
    response = alice.get(gitea.api + path, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    validate_response("GET", template_of(url_map, "GET", API_PREFIX + path), 200, response.json())


@pytest.mark.parametrize("path", TEXT_ROUTES)
def test_text_and_binary_routes_answer(gitea: Gitea, alice: requests.Session, url_map: Any, path: str) -> None:
    """Raw, diff, patch and archive routes are swagger operations and return non-empty bodies."""
    template = template_of(url_map, "GET", API_PREFIX + path)
    assert "get" in swagger()["paths"][template]
    response = alice.get(gitea.api + path, timeout=30)
    assert response.status_code == 200
    assert response.content


def test_error_bodies_are_gitea_shaped(gitea: Gitea, bob: requests.Session) -> None:
    """Errors carry {"message", "url"} with url = ROOT_URL + api/swagger."""
    response = bob.get(gitea.api + "/repos/alice/private-notes", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"message": "not found", "url": gitea.base_url + "/api/swagger"}


def test_actions_reruns_answer_201_with_swagger_bodies_and_409_while_running(
    gitea: Gitea, alice: requests.Session, url_map: Any
) -> None:
    """rerun: 201 with the run's new attempt; rerun-failed-jobs: 201, empty; a run not done: 409."""
    path = f"{REPO}/actions/runs/1/rerun"
    response = alice.post(gitea.api + path, timeout=10)
    assert response.status_code == 201
    validate_response("POST", template_of(url_map, "POST", API_PREFIX + path), 201, response.json())
    assert response.json()["run_attempt"] == 2 and response.json()["previous_attempt_url"].endswith("/attempts/1")
    assert alice.post(gitea.api + path, timeout=10).status_code == 409
    failed = alice.post(gitea.api + f"{REPO}/actions/runs/3/rerun-failed-jobs", timeout=10)
    assert failed.status_code == 400  # run 3 succeeded: nothing failed to rerun
    bad = alice.get(gitea.api + f"{REPO}/actions/runs?status=broken", timeout=10)
    assert bad.status_code == 400 and bad.json()["message"] == "Invalid status broken"
    log = alice.get(gitea.api + f"{REPO}/actions/jobs/6/logs", timeout=10)
    assert log.status_code == 404 and log.json()["message"] == "job not started"
