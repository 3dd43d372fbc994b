"""What the deploy tests share: a copy of the checkout as a new user gets it, a tool call, a process wait."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from tests.fixtures.gunicorn import ROOT, TEST_API_KEY


def fresh_checkout(target: Path) -> Path:
    """The files git would check out (committed or new, never ignored ones such as .venv or .env)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def wait_healthy(url: str, process: subprocess.Popen[Any], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} never became healthy:\n{log.read_text(errors='replace')}")


def call_repository_info(url: str) -> dict[str, Any]:
    answer = requests.post(
        f"{url}/mcp/tool/call",
        json={"tool": "get_repository_info", "arguments": {"owner": "acme", "repo": "service-a"}},
        headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    assert result.get("isError") is not True, result
    return result


def stop(process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """SIGTERM the process this test started (by PID), then wait; SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
