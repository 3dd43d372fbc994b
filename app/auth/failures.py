"""Every failed authentication leaves an audit entry: why, from which address, never the credential.

`authentication_failed` security events carry a reason code (REASONS), the client address, the route
and the request id. A flood must not fill the disk: per client address and wall-clock minute, the
first AUTH_FAILURE_AUDIT_PER_MINUTE failures are written one by one; the rest of that minute is only
counted (in the shared store, so the count holds across workers and, with Redis, across hosts), and
one `authentication_failures_summarised` entry with the count and the reasons follows once the minute
is over, written by the process that saw the first failure over the threshold.

The lockout (MAX_AUTH_FAILURES, app/limits) is separate and unchanged: it counts 401 answers to
requests that presented a credential and refuses the address with 429 before it authenticates again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from app.audit.events import AuditContext
from app.logging import log_event
from app.store import Store, StoreUnavailable

log = logging.getLogger("aegis.auth")
AUTH_FAILURES = Counter("aegis_auth_failures_total", "Failed authentications, by reason", ["reason"])

# Reason codes. Nothing in an entry is derived from the credential's value.
MISSING_CREDENTIAL = "missing_credential"  # no Authorization header
MALFORMED_AUTHORIZATION = "malformed_authorization"  # a header, but not `Bearer <token>`
UNKNOWN_API_KEY = "unknown_api_key"  # API-key mode: no configured key matches
UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 - a reason code; OAuth mode: no resolver recognises the token's form
INVALID_TOKEN = "invalid_token"  # noqa: S105 - a reason code; one of ours (or a Gitea JWT), but tampered with, foreign or refused
EXPIRED_TOKEN = "expired_token"  # noqa: S105 - a reason code
REVOKED_TOKEN = "revoked_token"  # noqa: S105 - a reason code; its grant was revoked (a replayed code or reused refresh token)
REASONS = (MISSING_CREDENTIAL, MALFORMED_AUTHORIZATION, UNKNOWN_API_KEY, UNKNOWN_TOKEN, INVALID_TOKEN,
           EXPIRED_TOKEN, REVOKED_TOKEN)

KEY_PREFIX = "aegis:auth-failures:"
WINDOW_SECONDS = 60
FLUSH_GRACE_SECONDS = 1.0  # a request that started before the minute ended may still be counting


class TokenRejected(Exception):
    """Raised by a token resolver that recognises a token as its own kind but refuses it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AuthAttempt:
    """What the audit needs to know about the request besides its credential (which it never sees)."""

    client_address: str = "unknown"
    route: str | None = None
    request_id: str | None = None


Schedule = Callable[[float, Callable[[], None]], None]


def daemon_timer(delay: float, action: Callable[[], None]) -> None:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()


class FailedAuthAudit:
    """Writes `authentication_failed` entries, at most `per_minute` per address and minute, then one summary."""

    def __init__(self, store: Store, audit: Any, per_minute: int, *, clock: Callable[[], float] = time.time,
                 schedule: Schedule = daemon_timer) -> None:
        self.store, self.audit, self.per_minute = store, audit, per_minute
        self.clock, self.schedule = clock, schedule
        self._local: dict[str, int] = {}  # the counters while the store is unavailable (this process only)
        self._local_lock = threading.Lock()

    def __call__(self, reason: str, attempt: AuthAttempt) -> None:
        AUTH_FAILURES.labels(reason).inc()
        minute = int(self.clock() // WINDOW_SECONDS)
        bucket = f"{KEY_PREFIX}{minute}:{attempt.client_address}"
        count = self._count(bucket)
        if count <= self.per_minute:
            self._record_one(reason, attempt, count)
            return
        self._count(f"{bucket}:{reason}")
        if count == self.per_minute + 1:  # the first one over: this process writes the minute's summary
            delay = (minute + 1) * WINDOW_SECONDS - self.clock() + FLUSH_GRACE_SECONDS
            self.schedule(max(delay, 0.0), lambda: self.summarise(bucket, attempt.client_address, minute))

    def _count(self, key: str) -> int:
        try:
            return self.store.incr(key, ttl=3 * WINDOW_SECONDS)
        except StoreUnavailable:
            with self._local_lock:
                if len(self._local) > 10_000:
                    self._local.clear()
                self._local[key] = self._local.get(key, 0) + 1
                return self._local[key]

    def _read(self, key: str) -> int:
        try:
            raw = self.store.get(key)
        except StoreUnavailable:
            with self._local_lock:
                return self._local.get(key, 0)
        return int(raw) if raw else 0

    def _record_one(self, reason: str, attempt: AuthAttempt, count: int) -> None:
        details: dict[str, Any] = {"reason": reason, "client_address": attempt.client_address, "route": attempt.route}
        if count == self.per_minute:
            details["note"] = "further failures from this address this minute are summarised in one entry"
        severity = "info" if reason == MISSING_CREDENTIAL else "warning"  # the first step of OAuth discovery
        log_event(log, logging.INFO if severity == "info" else logging.WARNING, "authentication_failed", **details)
        self.audit.record_security(AuditContext(request_id=attempt.request_id), "authentication_failed", details,
                                   severity)

    def summarise(self, bucket: str, client_address: str, minute: int) -> None:
        """The one entry for the failures of one address and minute beyond the threshold."""
        total = self._read(bucket)
        # A list, not a mapping: a key naming a token would be masked by the audit (app/audit/events.py).
        reasons = [{"reason": reason, "count": n} for reason in REASONS if (n := self._read(f"{bucket}:{reason}"))]
        details = {
            "client_address": client_address,
            "window_start": minute * WINDOW_SECONDS,
            "window_seconds": WINDOW_SECONDS,
            "failures": total,
            "audited_individually": self.per_minute,
            "summarised": total - self.per_minute,
            "reasons": reasons,
        }
        log_event(log, logging.WARNING, "authentication_failures_summarised", **details)
        self.audit.record_security(AuditContext(), "authentication_failures_summarised", details)
