"""The Gitea emulator for the client tests, and a check of every request it recorded."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.gitea import BoundGiteaClient, GiteaClient, GiteaCredentials
from tests.emulator.process import EmulatorProcess
from tests.gitea.contract import check_recorded_requests


class EmulatorControl:
    """The emulator's /_emulator API: faults and traffic counters."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url + "/_emulator"
        self._http = requests.Session()

    def fault(self, method: str, path: str, kind: str, **options: Any) -> None:
        """Arm a fault for requests matching method and path."""
        response = self._http.post(self.url + "/faults", json={"method": method, "path": path, "kind": kind,
                                                                 **options}, timeout=5)
        response.raise_for_status()

    def clear(self) -> None:
        """Disarm every fault and zero the counters."""
        self._http.delete(self.url + "/faults", timeout=5).raise_for_status()
        self._http.post(self.url + "/stats/reset", timeout=5).raise_for_status()

    def stats(self) -> dict[str, int]:
        """Return {"requests", "connections"} since the last clear()."""
        return dict(self._http.get(self.url + "/stats", timeout=5).json())

    def requests(self) -> int:
        """Return how many API requests arrived since the last clear()."""
        return self.stats()["requests"]


@pytest.fixture(scope="session")
def emulator_state() -> Iterator[tuple[str, Path]]:
    """One emulator for the client tests; at the end, every recorded request is checked against the swagger."""
    with tempfile.TemporaryDirectory(prefix="aegis-gitea-") as directory:
        state_dir = Path(directory)
        emulator = EmulatorProcess().start(str(state_dir))
        try:
            yield emulator.base_url, state_dir
        finally:
            emulator.stop()
        problems = check_recorded_requests(state_dir / "requests.jsonl")
        assert not problems, "requests outside the Gitea swagger:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def emulator_url(emulator_state: tuple[str, Path]) -> str:
    return emulator_state[0]


@pytest.fixture(scope="session")
def tokens(emulator_state: tuple[str, Path]) -> dict[str, dict[str, str]]:
    """Tokens by user and token name, e.g. tokens["alice"]["read-repo-only"]."""
    users = json.loads((emulator_state[1] / "credentials.json").read_text())["users"]
    return {login: {name: t["token"] for name, t in user["tokens"].items()} for login, user in users.items()}


@pytest.fixture
def gitea(emulator_url: str) -> Iterator[GiteaClient]:
    """A client as a worker builds it: 1 MiB file cap, two retries."""
    client = GiteaClient(emulator_url, timeout=10, pool_size=8, max_file_bytes=1024 * 1024, retries=2)
    yield client
    client.close()


@pytest.fixture
def control(emulator_url: str) -> Iterator[EmulatorControl]:
    """Faults and counters, cleared before and after each test."""
    emulator = EmulatorControl(emulator_url)
    emulator.clear()
    yield emulator
    emulator.clear()


@pytest.fixture
def alice(gitea: GiteaClient, tokens: dict[str, dict[str, str]]) -> BoundGiteaClient:
    return gitea.bind(GiteaCredentials("token", tokens["alice"]["full"]))


@pytest.fixture
def bob(gitea: GiteaClient, tokens: dict[str, dict[str, str]]) -> BoundGiteaClient:
    return gitea.bind(GiteaCredentials("token", tokens["bob"]["full"]))
