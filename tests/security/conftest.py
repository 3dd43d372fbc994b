"""The attacked gateway: real gunicorn (API-key mode, a path policy) in front of the emulator's demo world.

Issue 20's attacks are replayed here as a user of the gateway would send them: over HTTP, to
`POST /mcp/tool/call` or `POST /mcp`. `SecurityWorld.plant` adds commits and refs to the emulator's
real git repositories, as a hostile repository author with push access would.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, gunicorn_with_emulator

POLICY = """\
repositories:
  acme/service-a:
    paths:
      deny: ["src/secrets/*"]
  bob/dotfiles:
    paths:
      allow: ["docs/*", "README.md"]
"""
WHO = {"name": "Mallory Author", "email": "mallory@example.com"}


class SecurityWorld:
    """gunicorn with the policy above, its emulator and its audit log."""

    def __init__(self, server: GunicornServer, emulator: EmulatorProcess, audit_log: Path) -> None:
        self.server, self.emulator, self.audit_log = server, emulator, audit_log

    def call(self, tool: str, key: str = TEST_API_KEY, **arguments: Any) -> requests.Response:
        """POST /mcp/tool/call as a client would."""
        return requests.post(f"{self.server.url}/mcp/tool/call", json={"tool": tool, "arguments": arguments},
                             headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def text(self, tool: str, **arguments: Any) -> tuple[bool, str]:
        """(isError, every text the model would read) of one call; fails on a non-JSON answer."""
        response = self.call(tool, **arguments)
        body = response.json()
        result = body.get("result", body)
        shown = "\n".join(part.get("text", "") for part in result.get("content", []))
        return bool(result.get("isError")), shown + "\n" + json.dumps(result.get("structuredContent"))

    def gitea(self, method: str, path: str, body: dict[str, Any] | None = None, login: str = "alice") -> Any:
        """Gitea's own API as `login`, the way a person (or a hostile author) using Gitea directly would."""
        sent = {"params": body} if method == "GET" else {"json": body}
        response = requests.request(method, f"{self.emulator.base_url}/api/v1{path}", timeout=10, **sent,
                                    headers={"Authorization": f"token {self.emulator.token(login)}"})
        response.raise_for_status()
        return response.json()

    def git_dir(self, full_name: str) -> Path:
        owner, name = full_name.split("/")
        return Path(self.emulator.state_dir) / "repositories" / owner / f"{name}.git"

    def git(self, full_name: str, *args: str, stdin: bytes | None = None) -> str:
        env = {"GIT_AUTHOR_NAME": WHO["name"], "GIT_AUTHOR_EMAIL": WHO["email"],
               "GIT_COMMITTER_NAME": WHO["name"], "GIT_COMMITTER_EMAIL": WHO["email"], "PATH": "/usr/bin:/bin"}
        done = subprocess.run(["git", "--git-dir", str(self.git_dir(full_name)), *args], input=stdin,
                              capture_output=True, check=True, env=env)
        return done.stdout.decode().strip()

    def plant(self, full_name: str, branch: str, files: dict[str, str | None], start: str = "main",
              message: str = "planted") -> str:
        """Commit `files` (None deletes) on top of `start` as branch `branch`; returns the commit sha."""
        index = Path(self.emulator.state_dir) / f"index-{branch.replace('/', '_')}"
        env_index = {"GIT_INDEX_FILE": str(index)}
        run = self._with_env(full_name, env_index)
        run("read-tree", start)
        for path, content in files.items():
            if content is None:
                run("rm", "--cached", "-q", path)
            else:
                blob = run("hash-object", "-w", "--stdin", stdin=content.encode())
                run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
        tree = run("write-tree")
        commit = self.git(full_name, "commit-tree", tree, "-p", self.git(full_name, "rev-parse", start),
                          "-m", message)
        self.git(full_name, "update-ref", f"refs/heads/{branch}", commit)
        index.unlink(missing_ok=True)
        return commit

    def _with_env(self, full_name: str, extra: dict[str, str]) -> Any:
        def run(*args: str, stdin: bytes | None = None) -> str:
            env = {"PATH": "/usr/bin:/bin", **extra}
            done = subprocess.run(["git", "--git-dir", str(self.git_dir(full_name)), *args], input=stdin,
                                  capture_output=True, check=True, env=env)
            return done.stdout.decode().strip()
        return run

    def audit_entries(self) -> list[dict[str, Any]]:
        if not self.audit_log.exists():
            return []
        return [json.loads(line) for line in self.audit_log.read_text().splitlines() if line.strip()]


@contextmanager
def security_world(tmp_path_factory: pytest.TempPathFactory, name: str, policy: str,
                   **env: str) -> Iterator[SecurityWorld]:
    """gunicorn with `policy` (and `env`) in front of a fresh emulator, with its audit log."""
    root = tmp_path_factory.mktemp(name)
    (root / "policy.yaml").write_text(policy, encoding="utf-8")
    with gunicorn_with_emulator(root, POLICY_FILE=str(root / "policy.yaml"), AUDIT_LOG_PATH=str(root / "audit.log"),
                                **env) as (server, emulator):
        yield SecurityWorld(server, emulator, root / "audit.log")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurityWorld]:
    with security_world(tmp_path_factory, "security", POLICY) as running:
        yield running
