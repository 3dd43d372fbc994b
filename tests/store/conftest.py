"""Fixtures for the store tests: each backend over a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.store import Store, create_store
from tests.fixtures.redis import RedisServer, private_redis_server, redis_server

__all__ = ["private_redis_server", "redis_server"]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; every behavioural test runs on both."""
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """The REDIS_URL a deployment of this backend would set."""
    if backend == "memory":
        return None
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


@pytest.fixture
def store(store_url: str | None) -> Iterator[Store]:
    """A store as create_store builds it from settings."""
    shared = create_store(store_url)
    yield shared
    shared.close()


@pytest.fixture
def peer(backend: str, store: Store, store_url: str | None) -> Iterator[Store]:
    """A second handle on the same shared state, as another thread or worker holds it."""
    if backend == "memory":
        yield store  # one process shares one memory store
        return
    other = create_store(store_url)
    yield other
    other.close()


@pytest.fixture
def key() -> str:
    """A key no other test uses."""
    return f"test:{uuid.uuid4().hex}"
