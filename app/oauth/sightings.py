"""Which sealed access tokens this worker has already seen, so each is announced once at INFO."""

from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_CAPACITY = 4096


class TokenSightings:
    """A bounded, thread-safe LRU of token ids (jti): cheap enough for the per-request auth path."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, token_id: str) -> bool:
        """Record a sighting; True when this token id was not remembered (new, or evicted since)."""
        with self._lock:
            if token_id in self._seen:
                self._seen.move_to_end(token_id)
                return False
            self._seen[token_id] = None
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True
