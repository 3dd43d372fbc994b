"""The shared-state interface: key/value with TTL, counters, sets and pub/sub."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from types import TracebackType
from typing import Self

from app.errors import ServiceUnavailable

Claim = tuple[str, bytes, int]  # a lease's key, its holder, and how many places the key has


class StoreUnavailable(ServiceUnavailable):
    """The shared store cannot be reached; the error handler answers 503."""

    def __init__(self, backend: str, op: str) -> None:
        super().__init__(
            f"Shared state ({backend}) is unavailable; retry shortly.",
            headers={"Retry-After": "5"},
        )
        self.backend = backend
        self.op = op


def ttl_milliseconds(ttl: float | None) -> int | None:
    """Return a TTL in whole milliseconds, refusing values that would never expire."""
    if ttl is None:
        return None
    if ttl <= 0:
        raise ValueError(f"ttl must be positive, got {ttl!r}")
    # Round up so a tiny TTL still expires after it starts, never before.
    return max(1, int(ttl * 1000 + 0.999))


class Subscription(abc.ABC):
    """Messages published on one channel after subscribe() returned."""

    @abc.abstractmethod
    def get(self, timeout: float) -> bytes | None:
        """Return the next message, or None after `timeout` seconds without one."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop receiving and release the underlying resources."""

    def __iter__(self) -> Iterator[bytes]:
        # Polls in short slices so a close() from another thread ends the loop.
        while not self.closed:
            message = self.get(timeout=1.0)
            if message is not None:
                yield message

    @property
    @abc.abstractmethod
    def closed(self) -> bool:
        """Whether close() has been called."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Store(abc.ABC):
    """Shared state for sessions, the SSE bus, rate limits and caches."""

    backend: str

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """Return the value stored at `key`, or None if absent or expired."""

    @abc.abstractmethod
    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store `value` at `key`, expiring after `ttl` seconds when given."""

    @abc.abstractmethod
    def set_if_absent(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store `value` only if `key` is absent; return whether it was stored."""

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Remove `key`; return whether it existed."""

    @abc.abstractmethod
    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Atomically add `amount` and return the new value.

        `ttl` is applied only while the key has no expiry (when it is created),
        so a counter keyed by time window expires at the end of its window.
        """

    @abc.abstractmethod
    def sadd(self, key: str, member: bytes, ttl: float | None = None) -> bool:
        """Add `member` to the set; return whether it was new. `ttl` resets the set's expiry."""

    @abc.abstractmethod
    def sismember(self, key: str, member: bytes) -> bool:
        """Return whether `member` is in the set at `key`."""

    @abc.abstractmethod
    def srem(self, key: str, member: bytes) -> bool:
        """Remove `member` from the set; return whether it was there."""

    @abc.abstractmethod
    def hset(self, key: str, field: str, value: bytes, ttl: float | None = None) -> None:
        """Set one field of the hash at `key` (other fields untouched); `ttl` resets the hash's expiry."""

    @abc.abstractmethod
    def hgetall(self, key: str) -> dict[str, bytes]:
        """Every field of the hash at `key` ({} when absent or expired)."""

    @abc.abstractmethod
    def push(self, key: str, value: bytes, keep: int | None = None) -> int:
        """Append `value` to the list at `key` (a queue's tail); with `keep`, drop the oldest entries so at
        most `keep` remain. Return the list's length."""

    @abc.abstractmethod
    def pop(self, key: str) -> bytes | None:
        """Remove and return the list's first entry (a queue's head), or None when it is empty: atomic, so
        two processes never pop the same entry."""

    @abc.abstractmethod
    def items(self, key: str, count: int) -> list[bytes]:
        """The last `count` entries of the list at `key`, newest first."""

    @abc.abstractmethod
    def expire_if_equal(self, key: str, value: bytes, ttl: float) -> bool:
        """Atomically give `key` a new TTL only while it holds `value` (renewing a lock one owns)."""

    @abc.abstractmethod
    def delete_if_equal(self, key: str, value: bytes) -> bool:
        """Atomically delete `key` only while it holds `value` (releasing a lock one owns)."""

    @abc.abstractmethod
    def lease(self, key: str, holder: bytes, limit: int, ttl: float) -> bool:
        """Atomically hold (or renew) one of `limit` places at `key` for `ttl` seconds; a lease not renewed in
        time frees its place by itself. Return whether `holder` holds a place."""

    @abc.abstractmethod
    def lease_many(self, claims: list[Claim], ttl: float) -> list[bool]:
        """`lease` for many (key, holder, limit) claims in one round trip, in order: whether each holds a place."""

    @abc.abstractmethod
    def expire_many(self, keys: list[str], ttl: float) -> None:
        """Give each key that exists a new TTL (a missing key stays missing), in one round trip."""

    @abc.abstractmethod
    def release(self, key: str, holder: bytes) -> None:
        """Give up `holder`'s place at `key` (nothing happens when it holds none)."""

    @abc.abstractmethod
    def publish(self, channel: str, message: bytes) -> int:
        """Send `message` to current subscribers; return how many received it (on Redis: how many processes)."""

    @abc.abstractmethod
    def subscribe(self, channel: str) -> Subscription:
        """Start receiving messages published on `channel` from now on."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable unless the backend answers."""

    @abc.abstractmethod
    def storage_uri(self) -> str:
        """Return the Flask-Limiter storage URI for the same backend."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections held by this process."""
