"""Redis store: the same interface shared by every worker and host."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import redis
from prometheus_client import Counter
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.store.base import Claim, Store, StoreUnavailable, Subscription, ttl_milliseconds

log = logging.getLogger(__name__)
SUBSCRIBER_QUEUE_SIZE = 1_000

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
# Expired leases are dropped before counting, by the server's clock, so every host agrees on who holds one.
# ARGV: the key's limit, the TTL in ms, then the holders, each renewed or taken in order: 1 or 0 for each.
LEASE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local limit, ttl, held, taken = tonumber(ARGV[1]), tonumber(ARGV[2]), {}, false
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) or redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], ms + ttl, ARGV[i])
    held[#held + 1], taken = 1, true
  else
    held[#held + 1] = 0
  end
end
if taken then redis.call('PEXPIRE', KEYS[1], ttl) end
return held
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
    """One channel's messages, handed over by this process's RedisFanout."""

    def __init__(self, fanout: RedisFanout, channel: bytes) -> None:
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self._fanout = fanout
        self._channel = channel
        self._closed = False

    def get(self, timeout: float) -> bytes | None:
        if self._closed:
            return None
        try:
            message = self.queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:  # the fanout lost its connection: this stream cannot be trusted to see replies
            STORE_ERRORS.labels(backend="redis", op="subscription.get").inc()
            raise StoreUnavailable("redis", "subscription.get")
        return message

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._fanout.leave(self._channel, self)

    @property
    def closed(self) -> bool:
        return self._closed


class RedisFanout:
    """One pub/sub connection and one reader thread per process, shared by every subscription.

    A connection per subscription would take one from the pool (and a file descriptor, and a Redis client)
    for each open SSE stream: 500 streams per worker would exhaust any sensible pool.
    """

    def __init__(self, client: redis.Redis, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._lock = threading.Lock()
        self._channels: dict[bytes, set[RedisSubscription]] = {}
        self._confirmed: dict[bytes, threading.Event] = {}
        self._pubsub: Any = None
        self._reader: threading.Thread | None = None

    def join(self, channel: str) -> RedisSubscription:
        """A subscription that sees every message published after this returns (StoreUnavailable if not)."""
        key = channel.encode()
        subscription = RedisSubscription(self, key)
        with self._lock:
            first = key not in self._channels
            self._channels.setdefault(key, set()).add(subscription)
            confirmed = self._confirmed.setdefault(key, threading.Event())
        try:
            if first:
                self._subscribe(key)
            if not confirmed.wait(self._timeout):
                raise redis.TimeoutError("no subscribe confirmation")
        except redis.RedisError as exc:
            self.leave(key, subscription)
            STORE_ERRORS.labels(backend="redis", op="subscribe").inc()
            log.error("redis store subscribe failed: %s", type(exc).__name__)
            raise StoreUnavailable("redis", "subscribe") from exc
        return subscription

    def _subscribe(self, key: bytes) -> None:
        with self._lock:
            if self._pubsub is None:
                self._pubsub = self._client.pubsub()
            pubsub = self._pubsub
        pubsub.subscribe(key)
        self._ensure_reader()

    def leave(self, key: bytes, subscription: RedisSubscription) -> None:
        with self._lock:
            members = self._channels.get(key, set())
            members.discard(subscription)
            if members:
                return
            self._channels.pop(key, None)
            self._confirmed.pop(key, None)
            pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(redis.RedisError):
                pubsub.unsubscribe(key)

    def _ensure_reader(self) -> None:
        with self._lock:
            if self._reader is None or not self._reader.is_alive():
                self._reader = threading.Thread(target=self._read, daemon=True, name="redis-fanout")
                self._reader.start()

    def _read(self) -> None:
        while True:
            with self._lock:
                pubsub = self._pubsub
                if pubsub is None or not self._channels:
                    self._reader = None
                    return
            try:
                message = pubsub.get_message(timeout=0.5)
            except (redis.RedisError, OSError, ValueError) as exc:
                self._lose_connection(exc)
                continue
            if message is not None:
                self._route(message)

    def _route(self, message: dict[str, Any]) -> None:
        key = message["channel"]
        with self._lock:
            confirmed = self._confirmed.get(key)
            members = list(self._channels.get(key, ()))
        if message["type"] == "subscribe" and confirmed is not None:
            confirmed.set()
        elif message["type"] == "message":
            for member in members:
                self._hand(member, message["data"])

    @staticmethod
    def _hand(member: RedisSubscription, data: bytes | None) -> None:
        try:
            member.queue.put_nowait(data)
        except queue.Full:
            # A stalled stream must not block the other streams of this process or grow memory.
            log.warning("redis subscriber queue full; message dropped")

    def _lose_connection(self, exc: BaseException) -> None:
        """Redis went away: every subscriber is told (its stream ends), the next join connects afresh."""
        STORE_ERRORS.labels(backend="redis", op="subscription.get").inc()
        log.error("redis store pub/sub connection lost: %s", type(exc).__name__)
        with self._lock:
            members = [member for group in self._channels.values() for member in group]
            self._channels.clear()
            self._confirmed.clear()
            pubsub, self._pubsub = self._pubsub, None
        for member in members:
            self._hand(member, None)
        if pubsub is not None:
            with contextlib.suppress(Exception):
                pubsub.close()


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
        self._fanout = RedisFanout(self._client, timeout)
        self._expire_if_equal = self._client.register_script(EXPIRE_IF_EQUAL)
        self._delete_if_equal = self._client.register_script(DELETE_IF_EQUAL)
        self._lease = self._client.register_script(LEASE)

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

    def lease(self, key: str, holder: bytes, limit: int, ttl: float) -> bool:
        px = ttl_milliseconds(ttl)
        return self._run("lease", lambda: bool(self._lease(keys=[key], args=[limit, px or 1, holder])[0]))

    def lease_many(self, claims: list[Claim], ttl: float) -> list[bool]:
        if not claims:
            return []
        px = ttl_milliseconds(ttl) or 1
        groups: dict[tuple[str, int], list[int]] = {}  # one script run per key renews all of its holders
        for index, (key, _, limit) in enumerate(claims):
            groups.setdefault((key, limit), []).append(index)
        return self._run("lease_many", lambda: self._lease_groups(claims, groups, px))

    def _lease_groups(self, claims: list[Claim], groups: dict[tuple[str, int], list[int]], px: int) -> list[bool]:
        pipe = self._client.pipeline(transaction=False)
        for (key, limit), indexes in groups.items():
            self._lease(keys=[key], args=[limit, px, *(claims[index][1] for index in indexes)], client=pipe)
        held = [False] * len(claims)
        for indexes, answers in zip(groups.values(), pipe.execute(), strict=True):
            for index, answer in zip(indexes, answers, strict=True):
                held[index] = bool(answer)
        return held

    def expire_many(self, keys: list[str], ttl: float) -> None:
        if not keys:
            return
        px = ttl_milliseconds(ttl) or 1
        self._run("expire_many", lambda: self._expire_many(keys, px))

    def _expire_many(self, keys: list[str], px: int) -> None:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.pexpire(key, px)
        pipe.execute()

    def release(self, key: str, holder: bytes) -> None:
        self._run("release", lambda: self._client.zrem(key, holder))

    def publish(self, channel: str, message: bytes) -> int:
        return self._run("publish", lambda: int(cast(Any, self._client.publish(channel, message))))

    def subscribe(self, channel: str) -> Subscription:
        return self._fanout.join(channel)

    def ping(self) -> None:
        self._run("ping", self._client.ping)

    def storage_uri(self) -> str:
        # limits (under Flask-Limiter) spells a Redis unix socket "redis+unix://".
        return "redis+" + self._url if self._url.startswith("unix://") else self._url

    def close(self) -> None:
        self._pool.disconnect()
