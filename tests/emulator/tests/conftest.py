"""An emulator process per test module, started on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.emulator.process import EmulatorProcess


class Gitea:
    """A running emulator with a requests.Session per user token."""

    def __init__(self, process: EmulatorProcess) -> None:
        self.process = process
        self.base_url = process.base_url
        self.api = process.base_url + "/api/v1"

    def session(self, login: str | None = "alice", token: str = "full") -> requests.Session:
        """Return a session authenticated with a user's named token (None: anonymous)."""
        session = requests.Session()
        if login:
            session.headers["Authorization"] = "token " + self.process.token(login, token)
        return session

    def control(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """Call the /_emulator control API."""
        return requests.request(method, f"{self.base_url}/_emulator{path}", timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gitea(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gitea]:
    """Start a demo emulator for one test module; stop it by PID afterwards."""
    state_dir: Path = tmp_path_factory.mktemp("gitea-emulator")
    process = EmulatorProcess().start(str(state_dir))
    try:
        yield Gitea(process)
    finally:
        process.stop()


@pytest.fixture
def alice(gitea: Gitea) -> requests.Session:
    """alice with her full-scope token (owner of acme/service-a and alice/*)."""
    return gitea.session("alice")


@pytest.fixture
def bob(gitea: Gitea) -> requests.Session:
    """bob with his full-scope token (write on acme/service-a)."""
    return gitea.session("bob")
