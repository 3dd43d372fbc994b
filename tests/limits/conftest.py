"""Fixtures for limit tests: gunicorn serving the limited app, Redis, clients with chosen source addresses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer
from tests.fixtures.redis import private_redis_server, redis_server  # noqa: F401 - fixtures

LIMITED_APP = "tests.limits.limited_wsgi:app"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
GOOD_KEY = TEST_API_KEY


@pytest.fixture
def limited_server(gunicorn_server: Callable[..., GunicornServer]) -> Callable[..., GunicornServer]:
    """Factory: gunicorn with the limits; settings as keyword arguments."""

    def start(**env: str) -> GunicornServer:
        return gunicorn_server(app=LIMITED_APP, **env)

    return start


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a chosen loopback address (127.0.0.0/8 is all ours), as a different client would."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(source: str) -> requests.Session:
    """A session whose connections come from `source`."""
    session = requests.Session()
    adapter = SourceAddressAdapter(source)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@pytest.fixture
def clients() -> Iterator[Callable[[str], requests.Session]]:
    sessions: list[requests.Session] = []

    def make(source: str) -> requests.Session:
        sessions.append(client_from(source))
        return sessions[-1]

    yield make
    for session in sessions:
        session.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
