"""Limits shared through the real Redis: exact across 2 workers, hashed keys, and Redis going away."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import redis
import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.fixtures.redis import RedisServer
from tests.limits.conftest import GOOD_KEY, bearer


def fresh_connection_status(url: str) -> int:
    """One request on its own connection, so the kernel may hand it to either worker."""
    return requests.get(url, headers={"Connection": "close"}, timeout=10).status_code


def burst(url: str, count: int) -> Counter[int]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return Counter(pool.map(fresh_connection_status, [url] * count))


def serving_pids(server: GunicornServer, route: str) -> set[int]:
    return {line["pid"] for line in server.log_lines() if line.get("route") == route}


def wait_for_both_workers(server: GunicornServer, attempts: int = 200) -> None:
    """Knock on /health (exempt from limits) until both workers have answered."""
    for _ in range(attempts):
        if len(serving_pids(server, "/health")) == 2:
            return
        burst(server.url + "/health", 6)
    raise AssertionError("the second worker never answered")


def test_two_workers_with_redis_allow_exactly_the_limit(
    limited_server: Callable[..., GunicornServer], redis_server: RedisServer
) -> None:
    redis.Redis.from_url(redis_server.url).flushdb()
    server = limited_server(
        GUNICORN_WORKERS="2", GUNICORN_THREADS="2", REDIS_URL=redis_server.url, RATE_LIMIT_PER_MINUTE="10"
    )
    wait_for_both_workers(server)
    assert burst(server.url + "/", 60) == Counter({200: 10, 429: 50})
    assert len(serving_pids(server, "/")) == 2  # both workers answered, and together they allowed 10


def test_credential_buckets_in_redis_are_hashes(
    limited_server: Callable[..., GunicornServer], redis_server: RedisServer
) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushdb()
    server = limited_server(GUNICORN_WORKERS="2", REDIS_URL=redis_server.url, TOKEN_RATE_LIMIT_PER_MINUTE="2")
    codes = [requests.get(server.url + "/", headers=bearer(GOOD_KEY), timeout=10).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    keys = [str(key) for key in client.keys("*")]
    assert any("/tok-" in key and "/credential/" in key for key in keys)
    assert not any(GOOD_KEY in key for key in keys)
    assert not any(GOOD_KEY in str(client.get(key)) for key in keys)
    assert GOOD_KEY not in server.logs()


def test_redis_going_away_keeps_limits_per_worker_and_never_answers_500(
    limited_server: Callable[..., GunicornServer], private_redis_server: RedisServer
) -> None:
    server = limited_server(REDIS_URL=private_redis_server.url, RATE_LIMIT_PER_MINUTE="3")
    assert [fresh_connection_status(server.url + "/") for _ in range(2)] == [200, 200]
    private_redis_server.stop()
    # The worker's in-memory fallback starts counting afresh: 3 more, then refused.
    assert [fresh_connection_status(server.url + "/") for _ in range(5)] == [200, 200, 200, 429, 429]
    assert fresh_connection_status(server.url + "/health") == 200
    assert any("falling back to in-memory storage" in line.get("message", "") for line in server.log_lines())
