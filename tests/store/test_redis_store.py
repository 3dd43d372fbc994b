"""What only the Redis store promises: sharing across processes, failing fast and clearly, recovering."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY

from app.store import StoreUnavailable, create_store
from tests.fixtures.redis import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]


def store_errors(op: str) -> float:
    value = REGISTRY.get_sample_value("aegis_store_errors_total", {"backend": "redis", "op": op})
    return value or 0.0


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP listener that accepts connections and never answers, like a hung Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_message_published_by_another_process_is_received(redis_server: RedisServer) -> None:
    store = create_store(redis_server.url)
    script = (
        "import sys; from app.store import create_store; "
        "print(create_store(sys.argv[1]).publish('chan-proc', b'from-worker-2'))"
    )
    with store.subscribe("chan-proc") as sub:
        done = subprocess.run([sys.executable, "-c", script, redis_server.url], cwd=ROOT,
                              capture_output=True, text=True, timeout=30, check=True)
        assert done.stdout.strip() == "1"
        assert sub.get(timeout=5) == b"from-worker-2"


def test_counter_is_shared_with_another_process(redis_server: RedisServer) -> None:
    store = create_store(redis_server.url)
    script = "import sys; from app.store import create_store; create_store(sys.argv[1]).incr('proc-count', 7)"
    subprocess.run([sys.executable, "-c", script, redis_server.url], cwd=ROOT, timeout=30, check=True)
    assert store.incr("proc-count") == 8


@pytest.mark.timeout(20)
def test_stopped_redis_raises_store_unavailable_with_log_and_metric(
    private_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = create_store(private_redis_server.url)
    store.set("k", b"v")
    before = store_errors("get")
    private_redis_server.stop()
    with caplog.at_level(logging.ERROR, logger="app.store.redis"), pytest.raises(StoreUnavailable) as err:
        store.get("k")
    assert err.value.status == 503
    assert err.value.headers["Retry-After"] == "5"
    assert store_errors("get") == before + 1
    assert any("get" in record.getMessage() for record in caplog.records)


@pytest.mark.timeout(20)
def test_every_operation_fails_cleanly_when_redis_is_down() -> None:
    store = create_store(f"redis://127.0.0.1:{free_port()}/0")
    calls = [
        store.ping, lambda: store.get("k"), lambda: store.set("k", b"v"),
        lambda: store.set_if_absent("k", b"v"), lambda: store.delete("k"),
        lambda: store.incr("k", ttl=5), lambda: store.sadd("s", b"m", ttl=5),
        lambda: store.sismember("s", b"m"), lambda: store.srem("s", b"m"),
        lambda: store.publish("c", b"m"), lambda: store.subscribe("c"),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            call()


@pytest.mark.timeout(20)
def test_blocked_subscriber_is_woken_by_store_unavailable(private_redis_server: RedisServer) -> None:
    store = create_store(private_redis_server.url)
    sub = store.subscribe("chan-down")
    threading.Timer(0.5, private_redis_server.stop).start()
    with pytest.raises(StoreUnavailable):
        sub.get(timeout=60)  # the test timeout proves this never waits the full minute
    sub.close()


@pytest.mark.timeout(20)
def test_unresponsive_redis_times_out_instead_of_hanging(silent_server: str) -> None:
    store = create_store(silent_server, timeout=1.0)
    with pytest.raises(StoreUnavailable):
        store.get("k")
    with pytest.raises(StoreUnavailable):
        store.subscribe("c")


@pytest.mark.timeout(30)
def test_store_recovers_when_redis_comes_back(private_redis_server: RedisServer) -> None:
    store = create_store(private_redis_server.url)
    store.set("k", b"before")
    port = private_redis_server.port
    private_redis_server.stop()
    with pytest.raises(StoreUnavailable):
        store.ping()
    private_redis_server.start(port=port)
    store.set("k", b"after")
    assert store.get("k") == b"after"


def test_unix_socket_url_is_spelled_for_flask_limiter() -> None:
    from limits.storage import storage_from_string

    uri = create_store("unix:///run/redis/redis.sock").storage_uri()
    assert uri == "redis+unix:///run/redis/redis.sock"
    assert type(storage_from_string(uri)).__name__ == "RedisStorage"


def test_subscriptions_of_one_process_share_one_redis_connection(redis_server: RedisServer) -> None:
    """An SSE stream per subscription: a connection each would exhaust the pool at a few dozen streams."""
    store, peer = create_store(redis_server.url, max_connections=4), create_store(redis_server.url)
    counting = redis.Redis.from_url(redis_server.url)
    before = counting.info("clients")["connected_clients"]
    subscriptions = [store.subscribe(f"chan-many-{n}") for n in range(200)]
    try:
        assert counting.info("clients")["connected_clients"] - before <= 2  # the pub/sub one (+ a pooled one)
        for n in (0, 117, 199):
            assert peer.publish(f"chan-many-{n}", f"to {n}".encode()) == 1
            assert subscriptions[n].get(timeout=5) == f"to {n}".encode()
        assert subscriptions[1].get(timeout=0.2) is None
    finally:
        for subscription in subscriptions:
            subscription.close()
