"""A small thread-safe cache whose entries expire: resolved refs, label and milestone names."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache


class ExpiringCache:
    """Key -> value for `seconds`; bounded at `max_entries` (expired entries go first, then the least used)."""

    def __init__(self, seconds: float, max_entries: int) -> None:
        self._entries: TTLCache[Hashable, Any] = TTLCache(maxsize=max_entries, ttl=seconds)
        self._lock = threading.Lock()  # TTLCache itself is not thread-safe

    def get(self, key: Hashable) -> Any:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value

    def forget(self, matches: Callable[[Any], bool]) -> None:
        """Drop every entry whose key matches (e.g. one repository after a label was renamed)."""
        with self._lock:
            for key in [k for k in self._entries if matches(k)]:
                self._entries.pop(key, None)
