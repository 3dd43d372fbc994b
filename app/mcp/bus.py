"""The HTTP+SSE (2024-11-05) message bus: POSTs on any worker reach the stream through the store."""

from __future__ import annotations

from typing import Any

from app import json_codec
from app.mcp.renewals import StreamRenewals
from app.store import Store, Subscription

OPEN_PREFIX = "mcp:sse:open:"
CHANNEL_PREFIX = "mcp:sse:channel:"


class SseBus:
    """Marks streams open (with a TTL this worker's StreamRenewals refreshes) and carries messages to them."""

    def __init__(self, store: Store, renewals: StreamRenewals) -> None:
        self.store = store
        self.renewals = renewals

    def attach(self, stream_id: str) -> Subscription:
        """Subscribe first, then mark open: a POST that sees the stream open cannot lose its reply."""
        subscription = self.store.subscribe(CHANNEL_PREFIX + stream_id)
        self.store.set(OPEN_PREFIX + stream_id, b"1", ttl=self.renewals.mark_ttl)
        self.renewals.keep_mark(OPEN_PREFIX + stream_id)
        return subscription

    def detach(self, stream_id: str, subscription: Subscription) -> None:
        subscription.close()
        self.renewals.drop_mark(OPEN_PREFIX + stream_id)
        self.store.delete(OPEN_PREFIX + stream_id)

    def is_open(self, stream_id: str) -> bool:
        return self.store.get(OPEN_PREFIX + stream_id) is not None

    def deliver(self, stream_id: str, message: dict[str, Any]) -> None:
        self.store.publish(CHANNEL_PREFIX + stream_id, json_codec.encode(message))
