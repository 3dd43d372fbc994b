"""One timer per worker renews what its open streams hold in the store: their cap leases and the SSE streams'
open marks, in one store round trip each per keep-alive interval.

A round trip per stream per keep-alive (1,000 idle streams: ~100 Redis calls a second, each waking a thread
under the GIL) was most of what idle streams cost; now an idle stream's thread wakes only to write its
keep-alive, and reads whether its place was lost from a flag this timer sets.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from itertools import islice

from app.store import Store, StoreUnavailable
from app.store.base import Claim

log = logging.getLogger(__name__)


class StreamLease:
    """One stream's places (per credential, per address): renewed by its worker's StreamRenewals, released once.
    `lost` is set when a renewal found a place taken (it lapsed in a store outage and another stream took it)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.holder = uuid.uuid4().hex.encode()
        self.places: list[tuple[str, int]] = []  # each lease key with its limit
        self.lost = threading.Event()
        self.released = threading.Event()

    def claims(self) -> list[Claim]:
        return [(key, self.holder, limit) for key, limit in self.places]

    def release(self) -> None:
        if self.released.is_set():
            return
        self.released.set()  # first: a renewal running now sees it and gives the places back again
        self.give_back()

    def give_back(self) -> None:
        for key, _ in self.places:
            self.store.release(key, self.holder)


class StreamRenewals:
    """Every `period` seconds, while this worker holds a stream: every lease renewed in one `lease_many`, every
    open mark in one `expire_many`. The thread starts with the first stream and stays for the worker's life."""

    def __init__(self, store: Store, period: float, lease_ttl: float, mark_ttl: float) -> None:
        self.store = store
        self.period = period
        self.lease_ttl = lease_ttl
        self.mark_ttl = mark_ttl
        self._leases: set[StreamLease] = set()
        self._marks: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def keep_lease(self, lease: StreamLease) -> None:
        with self._lock:
            self._leases.add(lease)
            self._ensure_thread()

    def drop_lease(self, lease: StreamLease) -> None:
        with self._lock:
            self._leases.discard(lease)

    def keep_mark(self, key: str) -> None:
        with self._lock:
            self._marks.add(key)
            self._ensure_thread()

    def drop_mark(self, key: str) -> None:
        with self._lock:
            self._marks.discard(key)

    def _ensure_thread(self) -> None:
        """Start the timer unless it runs (lock held)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="mcp-stream-renewals")
            self._thread.start()

    def _run(self) -> None:
        """Runs for the worker's life once started: an idle sleep costs nothing, and a thread that came and went
        with the streams would make the worker's thread count move (the soak checks it stays flat)."""
        while True:
            time.sleep(self.period)
            with self._lock:
                leases, marks = list(self._leases), list(self._marks)
            if leases or marks:
                self._renew_logged(leases, marks)

    def _renew_logged(self, leases: list[StreamLease], marks: list[str]) -> None:
        """A pass that fails for any other reason is logged and the next one runs: a dead timer would let every
        lease of this worker lapse, and the caps would stop counting its streams."""
        try:
            self.renew(leases, marks)
        except Exception:  # the timer must outlive any one pass
            log.exception("stream renewal pass failed; retrying in %.0f s", self.period)

    def renew(self, leases: list[StreamLease], marks: list[str]) -> None:
        """One pass. Redis down (the store logs it): the leases lapse and the caps count those streams out until
        it is back; ending streams that were admitted would punish their clients for the store's outage."""
        with contextlib.suppress(StoreUnavailable):
            self._renew_leases(leases)
        with contextlib.suppress(StoreUnavailable):
            self.store.expire_many(marks, self.mark_ttl)  # a mark deleted meanwhile stays deleted

    def _renew_leases(self, leases: list[StreamLease]) -> None:
        held = iter(self.store.lease_many([claim for lease in leases for claim in lease.claims()], self.lease_ttl))
        for lease in leases:
            if not all(list(islice(held, len(lease.places)))):  # every answer of this lease consumed
                lease.lost.set()
        for lease in leases:
            if lease.released.is_set():  # released while this pass renewed it: its places go back again
                with contextlib.suppress(StoreUnavailable):
                    lease.give_back()
