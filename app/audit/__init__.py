"""Tamper-evident audit log: hash-chained JSON lines, a writer safe across processes, a verifier."""

from app.audit.chain import AuditChain, AuditWriteError
from app.audit.events import AuditContext, access_denied, security_event, tool_invocation
from app.audit.recorder import AuditRecorder
from app.audit.verify import VerifyResult, verify_chain

__all__ = [
    "AuditChain",
    "AuditContext",
    "AuditRecorder",
    "AuditWriteError",
    "VerifyResult",
    "access_denied",
    "security_event",
    "tool_invocation",
    "verify_chain",
]
