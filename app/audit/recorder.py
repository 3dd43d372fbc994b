"""Audit before acting: writes fail closed; reads follow AUDIT_FAIL_MODE."""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Counter

from app.audit.chain import AuditChain, AuditWriteError
from app.audit.events import AuditContext, security_event

AUDIT_WRITE_FAILURES = Counter(
    "aegis_audit_write_failures_total", "Audit entries that could not be written", ["event", "outcome"]
)
logger = logging.getLogger(__name__)


class AuditRecorder:
    """Record events on a chain and decide whether a failed write stops the call."""

    def __init__(self, chain: AuditChain, fail_mode: str = "closed") -> None:
        if fail_mode not in ("closed", "open"):
            raise ValueError(f"AUDIT_FAIL_MODE must be closed or open, not {fail_mode!r}")
        self.chain = chain
        self.fail_mode = fail_mode

    def record(self, event: dict[str, Any], *, is_write: bool) -> dict[str, Any] | None:
        """Append an event; raise AuditWriteError unless this is a read and the mode is open."""
        try:
            return self.chain.append(event)
        except AuditWriteError as exc:
            fail_open = not is_write and self.fail_mode == "open"
            AUDIT_WRITE_FAILURES.labels(event.get("event", "unknown"), "continued" if fail_open else "refused").inc()
            logger.error("audit write failed", extra={"error": str(exc), "fail_open": fail_open})
            if not fail_open:
                raise
            return None

    def record_security(
        self, context: AuditContext, kind: str, details: dict[str, Any] | None = None, severity: str = "warning"
    ) -> None:
        """Append a security_event; never raises: whatever noticed it (a login, a rate limit, a policy
        reload) carries on, and a write failure is logged and counted instead."""
        try:
            self.record(security_event(context, kind=kind, severity=severity, details=details), is_write=False)
        except AuditWriteError:
            logger.error("security event not audited", extra={"kind": kind})
