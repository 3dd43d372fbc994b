"""POST /automation/jobs/run with an OAuth caller (issue 13): a signed-in user needs write:repository."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.oauth.conftest import Stack, authorize, exchange

pytestmark = pytest.mark.timeout(120)
JOB = {"job": "stale_issue_detection", "owner": "acme", "repo": "service-a"}


def token(stack: Stack, server: object, scope: str) -> str:
    answer = exchange(server, authorize(stack, server, scope=scope))  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


POLICY = """\
defaults:
  read: allow
  write: allow
repositories:
  acme/service-a:
    tools:
      allow: [automation_stale_issue_detection, list_issues, list_pull_requests, get_repository_info]
"""


@pytest.mark.parametrize("mode", ["oauth", "service-pat"])
def test_an_oauth_caller_runs_a_job_with_write_repository_and_is_told_to_step_up_without(
    stack: Stack, tmp_path: Path, mode: str
) -> None:
    """Also in service-PAT mode, where the caller's identity comes from OAuth but Gitea is called with
    GITEA_TOKEN: the user's own scope still decides."""
    (tmp_path / "policy.yaml").write_text(POLICY)
    extra = {"GITEA_TOKEN": stack.emulator.token("alice")} if mode == "service-pat" else {}
    server = stack.server(f"automation-{mode}", AUTOMATION_ENABLED="true", AUTOMATION_WEBHOOK_SECRET="w" * 40,
                          POLICY_FILE=str(tmp_path / "policy.yaml"), **extra)
    reader = token(stack, server, "read:repository")
    writer = token(stack, server, "read:repository write:repository")

    refused = requests.post(f"{server.url}/automation/jobs/run", json=JOB,
                            headers={"Authorization": f"Bearer {reader}"}, timeout=60)
    assert refused.status_code == 403, refused.text
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert 'scope="write:repository"' in refused.headers["WWW-Authenticate"]

    ran = requests.post(f"{server.url}/automation/jobs/run", json=JOB,
                        headers={"Authorization": f"Bearer {writer}"}, timeout=60)
    assert ran.status_code == 200, ran.text
    run = ran.json()
    run = run.get("run", run)
    assert run["job"] == "stale_issue_detection" and run["status"] == "success", run
    listed = requests.get(f"{server.url}/automation/jobs/runs", params={"owner": "acme", "repo": "service-a"},
                          headers={"Authorization": f"Bearer {writer}"}, timeout=30)
    assert listed.status_code == 200 and any(r["id"] == run["id"] for r in listed.json()["runs"])
