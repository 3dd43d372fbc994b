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
