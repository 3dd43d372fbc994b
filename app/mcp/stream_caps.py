"""Caps on the streams one credential and one client address hold, counted across workers and hosts.

Each open stream holds a lease in the store (Redis on a fleet): a sorted set per credential and per address
whose entries expire unless the stream renews them. A stream that ends releases its leases; one whose worker
died (or whose release was lost) frees its place when its lease expires, so nothing leaks a place for good.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
import uuid
from collections.abc import Callable

from app.auth.principal import Principal
from app.errors import TooManyRequests
from app.store import Store

CREDENTIAL_PREFIX = "mcp:streams:credential:"
ADDRESS_PREFIX = "mcp:streams:address:"
ASKING_PREFIX = "mcp:streams:asking:"
# Writes of one credential that may wait at once for the user to confirm a flagged flow (each holds a stream
# and a worker thread for up to app.mcp.elicitation.ANSWER_SECONDS): a client that never answers cannot pile up.
PENDING_QUESTIONS = 4
Cap = tuple[str, int, str]  # the lease key, its limit, and the refusal when it is full


class TooManyStreams(TooManyRequests):
    """The caller already holds as many open streams as its cap allows."""


def stream_owner(principal: Principal) -> str:
    """Whose streams count together: the user and the client (Principal.identity), not the token: one user
    minting many tokens for one client still shares one cap. '' for anonymous access."""
    if principal.kind == "anonymous":
        return ""
    return hashlib.sha256(b"aegis-mcp/stream-owner/v2\0" + principal.identity.encode()).hexdigest()[:32]


def address_group(address: str) -> str:
    """An IPv4 address as itself, an IPv6 address as its /64 (one host or site holds a whole /64)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class StreamLease:
    """One stream's places (per credential, per address); renewed on the stream's beat, released once."""

    def __init__(self, store: Store, keys: list[str], ttl: float) -> None:
        self.store = store
        self.keys = keys
        self.ttl = ttl
        self.holder = uuid.uuid4().hex.encode()
        self._renewed = time.monotonic()
        self._released = threading.Event()

    def renew(self, limits: list[int]) -> bool:
        """Extend the leases once a third of their life has passed (a store call per beat would be waste);
        False when a place was lost (it lapsed in a store outage and another stream took it)."""
        if time.monotonic() - self._renewed < self.ttl / 3:
            return True
        self._renewed = time.monotonic()
        held = [self.store.lease(key, self.holder, limit, self.ttl)  # every key renewed, even after a loss
                for key, limit in zip(self.keys, limits, strict=True)]
        return all(held)

    def release(self) -> None:
        if self._released.is_set():
            return
        self._released.set()
        for key in self.keys:
            self.store.release(key, self.holder)


class StreamCaps:
    """MCP_MAX_STREAMS_PER_CREDENTIAL and MCP_MAX_STREAMS_PER_ADDRESS, answered with 429 + Retry-After."""

    def __init__(self, store: Store, per_credential: int, per_address: int, ttl: float) -> None:
        self.store = store
        self.per_credential = per_credential
        self.per_address = per_address
        self.ttl = ttl

    def take(self, owner: str, address: str, asking: bool = False) -> tuple[StreamLease, Callable[[], bool]]:
        """Lease a place for a new stream (TooManyStreams when a cap is reached); return it and its renewal.
        `asking`: a write that may wait for the user's confirmation, also under PENDING_QUESTIONS."""
        caps = [self.stream_cap(ADDRESS_PREFIX + address_group(address), self.per_address, "client address",
                                "MCP_MAX_STREAMS_PER_ADDRESS")]
        if owner:  # anonymous access (AUTH_ENABLED=false) has no credential: the address cap still holds
            caps.append(self.stream_cap(CREDENTIAL_PREFIX + owner, self.per_credential, "credential",
                                        "MCP_MAX_STREAMS_PER_CREDENTIAL"))
        if asking:
            caps.append(asking_cap(owner or address_group(address)))
        lease = StreamLease(self.store, [], self.ttl)
        for key, limit, message in caps:
            if not self.store.lease(key, lease.holder, limit, self.ttl):
                lease.release()
                raise TooManyStreams(message, retry_after=math.ceil(self.ttl))
            lease.keys.append(key)
        limits = [limit for _, limit, _ in caps]
        return lease, lambda: lease.renew(limits)

    @staticmethod
    def stream_cap(key: str, limit: int, who: str, setting: str) -> Cap:
        return key, limit, (
            f"Too many open MCP streams for this {who}: {setting}={limit} are open already. Close a stream you "
            f"no longer read (or wait for one to end) and retry; the operator sets the cap with {setting}.")


def asking_cap(owner: str) -> Cap:
    return ASKING_PREFIX + owner, PENDING_QUESTIONS, (
        f"Too many writes of this credential are waiting for the user's confirmation ({PENDING_QUESTIONS} at "
        "most): answer or cancel the pending confirmation questions (elicitation/create), then retry.")
