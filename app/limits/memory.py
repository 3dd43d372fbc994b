"""limits' in-memory storage without a thread per hit.

limits 5.8's MemoryStorage starts a fresh `threading.Timer` on any hit that finds its previous timer
finished (in practice every request not within 10 ms of the last), to sweep expired counters. Starting
a thread waits for it to run: on a gthread worker that was ~5% of a tool call's time in py-spy samples.
This storage sweeps inline instead, at most once a second, in whichever request comes first. Counters
still expire exactly (the base class checks a key's expiry on every read); the sweep only returns the
memory of keys nobody asks about any more.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SCHEME = "aegis-memory"
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """MemoryStorage whose expired-counter sweep runs inline, once a second at most."""

    STORAGE_SCHEME = [SCHEME]  # registers "aegis-memory://" with limits' storage registry

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        self._sweeping = threading.Lock()
        self._next_sweep = time.monotonic() + SWEEP_SECONDS
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    # limits calls this (name-mangled) hook on every incr, decr and moving-window entry.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if time.monotonic() < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweeping.release()


def limiter_storage_uri(store_uri: str) -> str:
    """The store's limits URI, with plain memory storage swapped for the swept one."""
    return f"{SCHEME}://" if store_uri == "memory://" else store_uri
