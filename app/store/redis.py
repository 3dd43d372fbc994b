"""Redis store: the same interface shared by every worker and host."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import redis
from prometheus_client import Counter
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.store.base import Store, StoreUnavailable, Subscription, ttl_milliseconds

log = logging.getLogger(__name__)

STORE_ERRORS = Counter(
    "aegis_store_errors_total",
    "Shared-store operations that failed because the backend was unreachable",
    ["backend", "op"],
)

T = TypeVar("T")
# Compare-and-act in one step on the server, so a lock that expired and passed to another owner is
# never renewed or released by its old owner.
EXPIRE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@contextmanager
def unavailable_on_error(op: str) -> Iterator[None]:
    """Turn any Redis failure into StoreUnavailable, with a log line and a metric."""
    try:
        yield
    except redis.RedisError as exc:
        STORE_ERRORS.labels(backend="redis", op=op).inc()
        log.error("redis store %s failed: %s", op, type(exc).__name__)
        raise StoreUnavailable("redis", op) from exc


class RedisSubscription(Subscription):
    """A dedicated pub/sub connection listening on one channel."""

    def __init__(self, pubsub: redis.client.PubSub, channel: str, timeout: float) -> None:
        self._pubsub = pubsub
        self._closed = False
        with unavailable_on_error("subscribe"):
            pubsub.subscribe(channel)
            # Wait for the server's confirmation: only then are later publishes seen.
            self._await_confirmation(timeout)

    def _await_confirmation(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            message = self._pubsub.get_message(timeout=end - time.monotonic())
            if message is not None and message["type"] == "subscribe":
                return
        raise redis.TimeoutError("no subscribe confirmation")

    def get(self, timeout: float) -> bytes | None:
        end = time.monotonic() + timeout
        with unavailable_on_error("subscription.get"):
            while not self._closed:
                message = self._pubsub.get_message(timeout=max(0.0, end - time.monotonic()))
                if message is not None and message["type"] == "message":
                    return cast(bytes, message["data"])
                if time.monotonic() >= end:
                    return None
        return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pubsub.close()

    @property
    def closed(self) -> bool:
        return self._closed


class RedisStore(Store):
    """Store backed by one Redis connection pool per process."""

    backend = "redis"

    def __init__(self, url: str, *, timeout: float = 2.0, max_connections: int = 64) -> None:
        self._url = url
        self._timeout = timeout
        # No client-side retries and short socket timeouts: Redis down must fail fast.
        self._pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._client = redis.Redis(connection_pool=self._pool)
        self._expire_if_equal = self._client.register_script(EXPIRE_IF_EQUAL)
        self._delete_if_equal = self._client.register_script(DELETE_IF_EQUAL)

    def _run(self, op: str, call: Callable[[], T]) -> T:
        with unavailable_on_error(op):
            return call()

    def get(self, key: str) -> bytes | None:
        return self._run("get", lambda: cast("bytes | None", self._client.get(key)))

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        px = ttl_milliseconds(ttl)
        self._run("set", lambda: self._client.set(key, value, px=px))

    def set_if_absent(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        px = ttl_milliseconds(ttl)
        return self._run("set_if_absent", lambda: bool(self._client.set(key, value, px=px, nx=True)))

    def delete(self, key: str) -> bool:
        return self._run("delete", lambda: bool(self._client.delete(key)))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        px = ttl_milliseconds(ttl)
        return self._run("incr", lambda: self._incr(key, amount, px))

    def _incr(self, key: str, amount: int, px: int | None) -> int:
        pipe = self._client.pipeline(transaction=True)
        pipe.incrby(key, amount)
        if px is not None:
            pipe.pexpire(key, px, nx=True)  # only a fresh key gets the window's TTL
        return int(pipe.execute()[0])

    def sadd(self, key: str, member: bytes, ttl: float | None = None) -> bool:
        px = ttl_milliseconds(ttl)
        return self._run("sadd", lambda: self._sadd(key, member, px))

    def _sadd(self, key: str, member: bytes, px: int | None) -> bool:
        pipe = self._client.pipeline(transaction=True)
        pipe.sadd(key, member)
        if px is not None:
            pipe.pexpire(key, px)
        return bool(pipe.execute()[0])

    def sismember(self, key: str, member: bytes) -> bool:
        return self._run("sismember", lambda: bool(self._client.sismember(key, cast(str, member))))

    def srem(self, key: str, member: bytes) -> bool:
        return self._run("srem", lambda: bool(self._client.srem(key, member)))

    def hset(self, key: str, field: str, value: bytes, ttl: float | None = None) -> None:
        px = ttl_milliseconds(ttl)
        self._run("hset", lambda: self._hset(key, field, value, px))

    def _hset(self, key: str, field: str, value: bytes, px: int | None) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(key, field, value)
        if px is not None:
            pipe.pexpire(key, px)
        pipe.execute()

    def hgetall(self, key: str) -> dict[str, bytes]:
        found = self._run("hgetall", lambda: cast("dict[bytes, bytes]", self._client.hgetall(key)))
        return {name.decode(): value for name, value in found.items()}

    def push(self, key: str, value: bytes, keep: int | None = None) -> int:
        return self._run("push", lambda: self._push(key, value, keep))

    def _push(self, key: str, value: bytes, keep: int | None) -> int:
        pipe = self._client.pipeline(transaction=True)
        pipe.rpush(key, value)
        if keep is not None:
            pipe.ltrim(key, -keep, -1)
        length = int(pipe.execute()[0])
        return min(length, keep) if keep is not None else length

    def pop(self, key: str) -> bytes | None:
        return self._run("pop", lambda: cast("bytes | None", self._client.lpop(key)))

    def items(self, key: str, count: int) -> list[bytes]:
        if count <= 0:
            return []
        found = self._run("items", lambda: cast("list[bytes]", self._client.lrange(key, -count, -1)))
        return list(reversed(found))

    def expire_if_equal(self, key: str, value: bytes, ttl: float) -> bool:
        px = ttl_milliseconds(ttl)
        return self._run("expire_if_equal", lambda: bool(self._expire_if_equal(keys=[key], args=[value, px or 1])))

    def delete_if_equal(self, key: str, value: bytes) -> bool:
        return self._run("delete_if_equal", lambda: bool(self._delete_if_equal(keys=[key], args=[value])))

    def publish(self, channel: str, message: bytes) -> int:
        return self._run("publish", lambda: int(cast(Any, self._client.publish(channel, message))))

    def subscribe(self, channel: str) -> Subscription:
        pubsub = self._client.pubsub()
        try:
            return RedisSubscription(pubsub, channel, self._timeout)
        except StoreUnavailable:
            pubsub.close()
            raise

    def ping(self) -> None:
        self._run("ping", self._client.ping)

    def storage_uri(self) -> str:
        # limits (under Flask-Limiter) spells a Redis unix socket "redis+unix://".
        return "redis+" + self._url if self._url.startswith("unix://") else self._url

    def close(self) -> None:
        self._pool.disconnect()
