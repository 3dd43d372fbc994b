"""The per-worker renewal timer (app/mcp/renewals.py) outlives a pass that fails for a reason the store does not
name: otherwise every stream lease of that worker would lapse and the stream caps would stop counting them."""

from __future__ import annotations

import time

from app.mcp.renewals import StreamLease, StreamRenewals
from app.store.base import Claim
from app.store.memory import MemoryStore


class FailsOnce(MemoryStore):
    """A memory store whose next batch renewal, once armed, raises something other than StoreUnavailable."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.renewals = 0

    def lease_many(self, claims: list[Claim], ttl: float) -> list[bool]:
        if not self.armed:
            return super().lease_many(claims, ttl)
        self.renewals += 1
        if self.renewals == 1:
            raise RuntimeError("a pass that fails unexpectedly")
        return super().lease_many(claims, ttl)


def test_a_failed_pass_does_not_stop_later_renewals() -> None:
    store = FailsOnce()
    renewals = StreamRenewals(store, period=0.05, lease_ttl=0.5, mark_ttl=0.5)
    lease = StreamLease(store)
    assert store.lease("streams:test", lease.holder, 1, 0.5)
    lease.places.append(("streams:test", 1))
    store.armed = True
    renewals.keep_lease(lease)
    deadline = time.monotonic() + 5
    while store.renewals < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.renewals >= 3  # the timer went on after the first pass raised
    time.sleep(0.6)  # longer than the lease's TTL: only renewals keep it
    other = StreamLease(store)
    assert not store.lease("streams:test", other.holder, 1, 0.5)  # the place is still held
    renewals.drop_lease(lease)
    lease.release()
