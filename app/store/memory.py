"""In-process store: one dict behind a lock, for a single gunicorn process."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from app.store.base import Claim, Store, Subscription, ttl_milliseconds

log = logging.getLogger(__name__)

DEFAULT_MAX_KEYS = 100_000
# Security marks the memory store never evicts to make room: revoked grant families, used refresh tokens
# and codes (app/oauth), seen webhook deliveries (app/automation), the flow guard's labels (app/tools/flow_guard:
# evicting them would reset a caller's window). They carry their own TTL.
UNEVICTABLE_PREFIXES = ("oauth:family-revoked:", "oauth:refresh-used:", "oauth:code-used:",
                        "aegis:automation:delivery:", "aegis:flow:")
SUBSCRIBER_QUEUE_SIZE = 1_000

# Named once here because MemoryStore.set shadows the builtin inside the class.
Members = set[bytes]
Items = list[bytes]
Fields = dict[str, bytes]


@dataclass
class Entry:
    """One stored value and the monotonic time it expires at (None: never)."""

    value: bytes | Members | Items | Fields
    expires_at: float | None = None

    def expired(self, now: float) -> bool:
        """Return whether the entry is past its expiry."""
        return self.expires_at is not None and self.expires_at <= now


def deadline(ttl: float | None) -> float | None:
    """Return the monotonic expiry time for a TTL in seconds."""
    ms = ttl_milliseconds(ttl)
    return None if ms is None else time.monotonic() + ms / 1000


class MemorySubscription(Subscription):
    """A subscriber's private queue, registered with its store until closed."""

    def __init__(self, store: MemoryStore, channel: str) -> None:
        self.queue: queue.Queue[bytes] = queue.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self._store = store
        self._channel = channel
        self._closed = False

    def get(self, timeout: float) -> bytes | None:
        if self._closed:
            return None
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._store.unsubscribe(self._channel, self)

    @property
    def closed(self) -> bool:
        return self._closed


class MemoryStore(Store):
    """Thread-safe dict with lazy expiry and a bound on the number of keys."""

    backend = "memory"

    def __init__(self, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self._max_keys = max_keys
        self._entries: dict[str, Entry] = {}
        self._channels: dict[str, set[MemorySubscription]] = {}
        self._leases: dict[str, dict[bytes, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> Entry | None:
        """Return the unexpired entry at `key`, dropping it if expired (lock held)."""
        entry = self._entries.get(key)
        if entry is not None and entry.expired(time.monotonic()):
            del self._entries[key]
            return None
        return entry

    def _put(self, key: str, entry: Entry) -> None:
        """Store an entry, making room first when the store is full (lock held)."""
        if key not in self._entries and len(self._entries) >= self._max_keys:
            self._make_room()
        self._entries[key] = entry

    def _make_room(self) -> None:
        """Drop expired entries; if none were, drop the oldest inserted one that is not a security mark
        (lock held). Marks (UNEVICTABLE_PREFIXES) expire on their own: keys anyone can create without
        signing in (pending consents, document caches) must not be able to push a revocation out."""
        now = time.monotonic()
        expired = [k for k, e in self._entries.items() if e.expired(now)]
        for key in expired:
            del self._entries[key]
        if not expired:
            # Dicts keep insertion order, so the first such key is the oldest write.
            oldest = next((k for k in self._entries if not k.startswith(UNEVICTABLE_PREFIXES)), None)
            if oldest is not None:
                del self._entries[oldest]

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._live(key)
        if entry is None or not isinstance(entry.value, bytes):
            return None
        return entry.value

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        entry = Entry(bytes(value), deadline(ttl))
        with self._lock:
            self._entries.pop(key, None)  # re-insert so it counts as the newest
            self._put(key, entry)

    def set_if_absent(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        entry = Entry(bytes(value), deadline(ttl))
        with self._lock:
            if self._live(key) is not None:
                return False
            self._put(key, entry)
            return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._live(key) is not None and bool(self._entries.pop(key))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        expires_at = deadline(ttl)
        with self._lock:
            entry = self._entry_for_write(key, b"0")
            if entry.expires_at is None:
                entry.expires_at = expires_at
            value = int(self._scalar(entry)) + amount
            entry.value = str(value).encode()
            return value

    def sadd(self, key: str, member: bytes, ttl: float | None = None) -> bool:
        expires_at = deadline(ttl)
        with self._lock:
            entry = self._entry_for_write(key, set())
            members = self._members(entry)
            added = member not in members
            members.add(bytes(member))
            if expires_at is not None:
                entry.expires_at = expires_at
            return added

    def hset(self, key: str, field: str, value: bytes, ttl: float | None = None) -> None:
        expires_at = deadline(ttl)
        with self._lock:
            entry = self._entry_for_write(key, {})
            self._fields(entry)[field] = bytes(value)
            if expires_at is not None:
                entry.expires_at = expires_at

    def hgetall(self, key: str) -> dict[str, bytes]:
        with self._lock:
            entry = self._live(key)
            return {} if entry is None else dict(self._fields(entry))

    @staticmethod
    def _fields(entry: Entry) -> Fields:
        if not isinstance(entry.value, dict):
            raise TypeError("key does not hold a hash")
        return entry.value

    def push(self, key: str, value: bytes, keep: int | None = None) -> int:
        with self._lock:
            entries = self._list(self._entry_for_write(key, []))
            entries.append(bytes(value))
            if keep is not None and len(entries) > keep:
                del entries[: len(entries) - keep]
            return len(entries)

    def pop(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return None
            entries = self._list(entry)
            value = entries.pop(0)
            if not entries:
                del self._entries[key]  # an empty list does not exist, as in Redis
            return value

    def items(self, key: str, count: int) -> list[bytes]:
        with self._lock:
            entry = self._live(key)
            return [] if entry is None or count <= 0 else list(reversed(self._list(entry)[-count:]))

    def expire_if_equal(self, key: str, value: bytes, ttl: float) -> bool:
        expires_at = deadline(ttl)
        with self._lock:
            entry = self._live(key)
            if entry is None or entry.value != value:
                return False
            entry.expires_at = expires_at
            return True

    def delete_if_equal(self, key: str, value: bytes) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None or entry.value != value:
                return False
            del self._entries[key]
            return True

    @staticmethod
    def _list(entry: Entry) -> Items:
        if not isinstance(entry.value, list):
            raise TypeError("key does not hold a list")
        return entry.value

    def _entry_for_write(self, key: str, empty: bytes | Members | Items | Fields) -> Entry:
        """Return the live entry at `key`, creating it with `empty` (lock held)."""
        entry = self._live(key)
        if entry is None:
            entry = Entry(empty)
            self._put(key, entry)
        return entry

    @staticmethod
    def _scalar(entry: Entry) -> bytes:
        if not isinstance(entry.value, bytes):
            raise TypeError("key holds a set, a list or a hash, not a value")
        return entry.value

    @staticmethod
    def _members(entry: Entry) -> Members:
        if not isinstance(entry.value, set):
            raise TypeError("key does not hold a set")
        return entry.value

    def sismember(self, key: str, member: bytes) -> bool:
        with self._lock:
            entry = self._live(key)
            return entry is not None and member in self._members(entry)

    def srem(self, key: str, member: bytes) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None or member not in self._members(entry):
                return False
            self._members(entry).discard(member)
            if not self._members(entry):
                del self._entries[key]  # an empty set does not exist, as in Redis
            return True

    def lease(self, key: str, holder: bytes, limit: int, ttl: float) -> bool:
        return self.lease_many([(key, holder, limit)], ttl)[0]

    def lease_many(self, claims: list[Claim], ttl: float) -> list[bool]:
        now = time.monotonic()
        expires = deadline(ttl) or now
        with self._lock:
            for key in {key for key, _, _ in claims}:  # expired places are dropped once per key, then counted
                self._leases[key] = {h: t for h, t in self._leases.get(key, {}).items() if t > now}
            return [self._lease(self._leases[key], holder, limit, expires) for key, holder, limit in claims]

    @staticmethod
    def _lease(held: dict[bytes, float], holder: bytes, limit: int, expires: float) -> bool:
        """Hold or renew one place among the live ones (lock held)."""
        if holder not in held and len(held) >= limit:
            return False
        held[bytes(holder)] = expires
        return True

    def expire_many(self, keys: list[str], ttl: float) -> None:
        expires_at = deadline(ttl)
        with self._lock:
            for key in keys:
                entry = self._live(key)
                if entry is not None:
                    entry.expires_at = expires_at

    def release(self, key: str, holder: bytes) -> None:
        with self._lock:
            held = self._leases.get(key, {})
            held.pop(holder, None)
            if not held:
                self._leases.pop(key, None)

    def publish(self, channel: str, message: bytes) -> int:
        with self._lock:
            subscribers = list(self._channels.get(channel, ()))
        return sum(self._deliver(sub, channel, bytes(message)) for sub in subscribers)

    @staticmethod
    def _deliver(sub: MemorySubscription, channel: str, message: bytes) -> bool:
        try:
            sub.queue.put_nowait(message)
            return True
        except queue.Full:
            # A stalled reader must not block publishers or grow memory without bound.
            log.warning("store subscriber queue full; message dropped", extra={"channel": channel})
            return False

    def subscribe(self, channel: str) -> Subscription:
        sub = MemorySubscription(self, channel)
        with self._lock:
            self._channels.setdefault(channel, set()).add(sub)
        return sub

    def unsubscribe(self, channel: str, sub: MemorySubscription) -> None:
        """Forget a subscriber; called by its close()."""
        with self._lock:
            subscribers = self._channels.get(channel, set())
            subscribers.discard(sub)
            if not subscribers:
                self._channels.pop(channel, None)

    def ping(self) -> None:
        return None

    def storage_uri(self) -> str:
        return "memory://"

    def close(self) -> None:
        return None  # nothing to release: the data lives as long as the process
