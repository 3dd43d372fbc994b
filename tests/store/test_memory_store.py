"""What only the in-process store promises: a bound on memory."""

from __future__ import annotations

import time

from app.store.memory import MemoryStore


def test_full_store_evicts_oldest_write_first() -> None:
    store = MemoryStore(max_keys=10)
    for n in range(20):
        store.set(f"k{n}", b"v")
    kept = [n for n in range(20) if store.get(f"k{n}") is not None]
    assert kept == list(range(10, 20))


def test_full_store_drops_expired_entries_before_live_ones() -> None:
    store = MemoryStore(max_keys=3)
    store.set("old-but-live", b"v")
    store.set("short-1", b"v", ttl=0.1)
    store.set("short-2", b"v", ttl=0.1)
    time.sleep(0.3)
    store.set("new", b"v")
    assert store.get("old-but-live") == b"v"
    assert store.get("new") == b"v"


def test_a_flood_of_keys_cannot_evict_a_revocation() -> None:
    """Anyone can make pending-consent keys without signing in; a revoked grant family must outlive them
    (issue 20 review: a full memory store dropped the oldest key, revocations included)."""
    store = MemoryStore(max_keys=10)
    store.set("oauth:family-revoked:fam-1", b"1", ttl=3600)
    assert store.set_if_absent("oauth:refresh-used:r-1", b"1", ttl=3600)
    for n in range(100):
        store.set(f"oauth:pending:{n}", b"v", ttl=600)
    assert store.get("oauth:family-revoked:fam-1") == b"1"
    assert not store.set_if_absent("oauth:refresh-used:r-1", b"1", ttl=3600)  # still used
    assert store.get("oauth:pending:99") == b"v"


def test_slow_subscriber_does_not_block_publishers() -> None:
    store = MemoryStore()
    sub = store.subscribe("busy")
    delivered = sum(store.publish("busy", b"x") for _ in range(1_500))
    assert delivered == 1_000
    assert sub.get(timeout=1) == b"x"
