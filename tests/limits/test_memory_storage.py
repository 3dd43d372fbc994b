"""The limiter's in-memory counters: exact expiry, no thread started per hit, expired keys swept."""

from __future__ import annotations

import threading
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from app.limits.memory import SWEEP_SECONDS, SweptMemoryStorage, limiter_storage_uri


def live_timers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if isinstance(thread, threading.Timer) and thread.is_alive()]


def test_the_store_uri_maps_to_the_swept_storage() -> None:
    assert isinstance(storage_from_string(limiter_storage_uri("memory://")), SweptMemoryStorage)
    assert limiter_storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_hits_start_no_threads() -> None:
    storage = SweptMemoryStorage()
    time.sleep(0.05)  # the base class's one construction-time timer has run out
    fixed, moving = FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)
    for round_ in range(20):
        assert fixed.hit(RateLimitItemPerSecond(100), "fixed", str(round_ % 3))
        assert moving.hit(RateLimitItemPerSecond(100), "moving", str(round_ % 3))
        assert live_timers() == []
        time.sleep(0.012)  # past the 10 ms after which limits' own storage would start a new timer


def test_limits_still_count_and_expire() -> None:
    limiter = FixedWindowRateLimiter(SweptMemoryStorage())
    two_per_second = RateLimitItemPerSecond(2)
    assert limiter.hit(two_per_second, "k") and limiter.hit(two_per_second, "k")
    assert not limiter.hit(two_per_second, "k")
    time.sleep(1.05)
    assert limiter.hit(two_per_second, "k")


def test_expired_counters_are_swept_by_a_later_hit() -> None:
    storage = SweptMemoryStorage()
    for key in range(50):
        storage.incr(f"gone-{key}", expiry=0.01)
    time.sleep(SWEEP_SECONDS + 0.05)
    storage.incr("fresh", expiry=60)  # the first hit after the sweep interval sweeps
    assert set(storage.storage) == {"fresh"} and set(storage.expirations) == {"fresh"}
