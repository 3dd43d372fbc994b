"""Shared fixtures: real gunicorn servers, the Gitea emulator process, Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fixtures.gunicorn import GunicornServer, base_env


@pytest.fixture
def gunicorn_server() -> Iterator[Callable[..., GunicornServer]]:
    """Factory: gunicorn_server(ENV=value, ..., app="wsgi:app", args=()) starts a real server."""
    started: list[GunicornServer] = []

    def start(app: str = "wsgi:app", args: tuple[str, ...] = (), **env: str) -> GunicornServer:
        server = GunicornServer(base_env(**env), app=app, extra_args=args)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Contract: every request our code sent to any emulator in this run exists in Gitea's swagger."""
    from pathlib import Path

    from tests.emulator.process import EmulatorProcess
    from tests.gitea.contract import check_recorded_requests

    logs = [Path(d) / "requests.jsonl" for d in EmulatorProcess.started_state_dirs]
    problems = [p for log in logs if log.exists() for p in check_recorded_requests(log)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"Gitea contract: {sum(1 for log in logs if log.exists())} emulator request logs checked")
    if problems:
        if reporter is not None:
            reporter.write_line("Requests outside Gitea's swagger:\n  " + "\n  ".join(sorted(set(problems))), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
