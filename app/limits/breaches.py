"""Report limit breaches: a metric for each refusal, one security event per bucket and window."""

from __future__ import annotations

import logging

from flask import current_app
from flask_limiter import RequestLimit
from prometheus_client import Counter

from app.audit import AuditContext
from app.governance import AUDIT_EXTENSION
from app.logging import current_request_id, log_event
from app.store import EXTENSION as STORE
from app.store import StoreUnavailable

log = logging.getLogger("aegis.limits")
RATE_LIMITED = Counter("aegis_rate_limited_total", "Requests refused with 429, by limit", ["limit"])
REPORTED_PREFIX = "aegis:limits:reported:"
# Which limit a bucket belongs to, from the scope Flask-Limiter puts in the key.
KINDS = {"auth-failures": "auth_failure_lockout", "ip": "rate_limit_exceeded", "credential": "rate_limit_exceeded"}


def limit_scope(breach: RequestLimit) -> str:
    """The scope of the breached limit ('ip', 'credential' or 'auth-failures')."""
    return breach.request_args[-1]


def first_report_in_window(breach: RequestLimit) -> bool:
    """True once per bucket and window length, so a flood of refusals writes one audit entry."""
    window = breach.limit.get_expiry()
    try:
        return current_app.extensions[STORE].set_if_absent(REPORTED_PREFIX + breach.key, b"1", ttl=window)
    except StoreUnavailable:
        return True  # better a repeated entry than a lockout nobody hears about


def breach_details(breach: RequestLimit) -> dict[str, object]:
    return {"limit": str(breach.limit), "scope": limit_scope(breach), "bucket": breach.request_args[-2]}


def report_breach(breach: RequestLimit) -> None:
    """on_breach callback: count it; audit and log the first refusal of each bucket and window."""
    scope = limit_scope(breach)
    RATE_LIMITED.labels(scope).inc()
    if not first_report_in_window(breach):
        return
    kind, details = KINDS.get(scope, "rate_limit_exceeded"), breach_details(breach)
    log_event(log, logging.WARNING, kind, **details)
    context = AuditContext(request_id=current_request_id())
    current_app.extensions[AUDIT_EXTENSION].record_security(context, kind, details)
