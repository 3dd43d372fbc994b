"""Caps on the streams one credential and one client address hold, counted across workers and hosts.

Each open stream holds a lease in the store (Redis on a fleet): a sorted set per credential and per address
whose entries expire unless renewed (app.mcp.renewals: one timer per worker renews all of its streams'). A
stream that ends releases its leases; one whose worker died (or whose release was lost) frees its place when
its lease expires, so nothing leaks a place for good.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math

from app.auth.principal import Principal
from app.errors import TooManyRequests
from app.mcp.renewals import StreamLease, StreamRenewals
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


class StreamCaps:
    """MCP_MAX_STREAMS_PER_CREDENTIAL and MCP_MAX_STREAMS_PER_ADDRESS, answered with 429 + Retry-After."""

    def __init__(self, store: Store, per_credential: int, per_address: int, renewals: StreamRenewals) -> None:
        self.store = store
        self.per_credential = per_credential
        self.per_address = per_address
        self.renewals = renewals
        self.ttl = renewals.lease_ttl

    def take(self, owner: str, address: str, asking: bool = False) -> StreamLease:
        """Lease a place for a new stream (TooManyStreams when a cap is reached), renewed by this worker's timer
        until `give_back`. `asking`: a write that may wait for the user's confirmation, also under
        PENDING_QUESTIONS."""
        caps = [self.stream_cap(ADDRESS_PREFIX + address_group(address), self.per_address, "client address",
                                "MCP_MAX_STREAMS_PER_ADDRESS")]
        if owner:  # anonymous access (AUTH_ENABLED=false) has no credential: the address cap still holds
            caps.append(self.stream_cap(CREDENTIAL_PREFIX + owner, self.per_credential, "credential",
                                        "MCP_MAX_STREAMS_PER_CREDENTIAL"))
        if asking:
            caps.append(asking_cap(owner or address_group(address)))
        lease = StreamLease(self.store)
        for key, limit, message in caps:
            if not self.store.lease(key, lease.holder, limit, self.ttl):
                lease.release()
                raise TooManyStreams(message, retry_after=math.ceil(self.ttl))
            lease.places.append((key, limit))
        self.renewals.keep_lease(lease)
        return lease

    def give_back(self, lease: StreamLease) -> None:
        """The stream ended: its renewals stop and its places come free (StoreUnavailable: they expire)."""
        self.renewals.drop_lease(lease)
        lease.release()

    @staticmethod
    def stream_cap(key: str, limit: int, who: str, setting: str) -> Cap:
        return key, limit, (
            f"Too many open MCP streams for this {who}: {setting}={limit} are open already. Close a stream you "
            f"no longer read (or wait for one to end) and retry; the operator sets the cap with {setting}.")


def asking_cap(owner: str) -> Cap:
    return ASKING_PREFIX + owner, PENDING_QUESTIONS, (
        f"Too many writes of this credential are waiting for the user's confirmation ({PENDING_QUESTIONS} at "
        "most): answer or cancel the pending confirmation questions (elicitation/create), then retry.")
