"""Start and stop an emulator as a child process (what test fixtures use)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import Any

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmulatorProcess:
    """One `python -m tests.emulator` child on loopback; stop() sends SIGTERM to its PID."""

    # Every state dir used in this test session: the suite checks all their requests.jsonl at the end.
    started_state_dirs: list[str] = []

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.state_dir = ""
        self.base_url = ""
        self.credentials: dict[str, Any] = {}

    def start(self, state_dir: str, port: int | None = None, seed: str = "demo",
              oauth_redirect_uris: Iterable[str] = (), timeout: float = 60.0) -> EmulatorProcess:
        """Launch the emulator and wait until it has written credentials.json."""
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        EmulatorProcess.started_state_dirs.append(state_dir)
        credentials = os.path.join(state_dir, "credentials.json")
        if os.path.exists(credentials):
            os.remove(credentials)
        command = [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", str(port or free_port()),
                   "--state-dir", state_dir, "--seed", seed]
        for uri in oauth_redirect_uris:
            command += ["--oauth-redirect-uri", uri]
        log = open(os.path.join(state_dir, "emulator.log"), "ab")  # noqa: SIM115 (the child owns it)
        self.process = subprocess.Popen(command, cwd=_ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_for(credentials, timeout)
        return self

    def _wait_for(self, credentials: str, timeout: float) -> None:
        """Poll for credentials.json; fail early if the child dies."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(credentials):
            assert self.process is not None
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"emulator did not start; see {self.state_dir}/emulator.log")
            time.sleep(0.05)
        with open(credentials, encoding="utf-8") as handle:
            self.credentials = json.load(handle)
        self.base_url = self.credentials["base_url"]

    def token(self, login: str, name: str = "full") -> str:
        """Return a user's token by name (`full` is the all-scope PAT)."""
        value: str = self.credentials["users"][login]["tokens"][name]["token"]
        return value

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the child by PID and wait; return its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code
