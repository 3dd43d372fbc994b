"""Automation against the real parts: gunicorn (automation on, write mode for acme/service-a), the
emulator's demo world, Gitea-signed deliveries from the emulator, and (scheduler tests) real Redis."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.gunicorn import TEST_API_KEY, gunicorn_with_emulator
from tests.fixtures.redis import private_redis_server, redis_server
from tests.security.conftest import SecurityWorld

__all__ = ["private_redis_server", "redis_server"]
SECRET = "webhook-secret-0123456789abcdef0123456789"
POLICY = """\
repositories:
  acme/service-a:
    tools:
      # A repository allow list is exclusive: it names the tools the jobs call as well.
      allow: [automation_*, create_issue, get_repository_info, get_file_tree, get_file_contents, list_issues,
              list_pull_requests]
  alice/private-notes:
    tools:
      allow: [automation_stale_issue_detection]
"""
# acme/service-a allows every automation pseudo-tool; bob/dotfiles and the rest allow none.


class AutomationWorld(SecurityWorld):
    def webhook(self, event: str, repo: str = "acme/service-a", secret: str = SECRET,
                payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Have the emulator deliver one event the way Gitea does."""
        spec: dict[str, Any] = {"url": f"{self.server.url}/automation/webhook", "event": event, "secret": secret,
                                "repo": repo}
        if payload is not None:
            spec["payload"] = payload
        answer = requests.post(f"{self.emulator.base_url}/_emulator/webhooks/deliver", json=spec, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def run_job(self, job: str, key: str = TEST_API_KEY, **body: Any) -> requests.Response:
        return requests.post(f"{self.server.url}/automation/jobs/run", json={"job": job, **body},
                             headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def runs(self, repo: str | None = "acme/service-a") -> list[dict[str, Any]]:
        params = dict(zip(("owner", "repo"), repo.split("/"), strict=True)) if repo else {}
        answer = requests.get(f"{self.server.url}/automation/jobs/runs", params={**params, "limit": 200},
                              headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=30)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["runs"])

    def wait_for_run(self, match: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [run for run in self.runs() if match(run)]
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no matching run within {timeout} s; runs: {self.runs()[:3]}")

    def security_events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.audit_entries() if e.get("event") == "security_event" and e.get("kind") == kind]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AutomationWorld]:
    root = tmp_path_factory.mktemp("automation")
    policy = Path(root / "policy.yaml")
    policy.write_text(POLICY, encoding="utf-8")
    with gunicorn_with_emulator(root, POLICY_FILE=str(policy), AUDIT_LOG_PATH=str(root / "audit.log"),
                                AUTOMATION_ENABLED="true", AUTOMATION_WEBHOOK_SECRET=SECRET,
                                AUTOMATION_WEBHOOK_MAX_BYTES="65536", AUTOMATION_JOB_TIMEOUT_SECONDS="3",
                                WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="acme/service-a",
                                REQUEST_TIMEOUT_SECONDS="10") as (server, emulator):
        yield AutomationWorld(server, emulator, root / "audit.log")
