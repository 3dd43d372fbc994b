"""Builders for the three audit event types, with bounded and masked arguments."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from app.safety.normalise import revealed
from app.safety.secrets import SecretMode, sanitize_value

MAX_STRING = 256
MAX_ITEMS = 20
MAX_DEPTH = 4
MASK = "***"
# A key containing any of these names a credential: its value never reaches the log.
SECRET_KEY_PARTS = (
    "token", "secret", "password", "passwd", "authorization", "api_key", "apikey",
    "cookie", "credential", "private_key", "signature", "session",
)  # fmt: skip
CORRELATION_HEADER = "X-Correlation-ID"
# The X-Request-ID rule (app.logging.REQUEST_ID_PATTERN): a client's id is logged as given, so it must be tame.
CORRELATION_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def correlation_id_from(supplied: str | None) -> str:
    """The client's X-Correlation-ID when it is well formed, else a new one."""
    if supplied and CORRELATION_PATTERN.match(supplied):
        return supplied
    return uuid.uuid4().hex


@dataclass(frozen=True)
class AuditContext:
    """Who asked and how to correlate the entry with logs and responses."""

    request_id: str | None = None
    correlation_id: str | None = None
    principal: str | None = None
    client_id: str | None = None
    # The connection's tool selection (toolsets, readonly) when it narrowed what the server serves.
    selection: dict[str, Any] | None = None

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "request_id": self.request_id,
            "correlation_id": self.correlation_id,
            "principal": self.principal,
            "client_id": self.client_id,
        }
        if self.selection is not None:
            fields["selection"] = self.selection
        return fields


def is_secret_key(key: str) -> bool:
    """Tell whether an argument name suggests a credential."""
    lowered = key.lower().replace("-", "_")
    return any(part in lowered for part in SECRET_KEY_PARTS)


def audited_value(value: Any) -> Any:
    """What an audit entry may hold of a value: every string leaf through the secret scanner, then bounded.

    Masking comes first: cutting first could leave a token's prefix no pattern recognises.
    Key names catch `password=...`; the scanner catches a token under any key (a search query, a note).
    A string whose rendered view shows a secret (a token split by an HTML comment) is kept as rendered.
    """
    masked, _ = sanitize_value(value, SecretMode.MASK, revealed)
    return bound_value(masked)


def bound_value(value: Any, depth: int = 0) -> Any:
    """Return a JSON-safe copy with strings cut, lists shortened, depth limited, secrets masked."""
    if depth > MAX_DEPTH:
        return "[depth limit]"
    if isinstance(value, dict):
        return _bound_mapping(value, depth)
    if isinstance(value, (list, tuple)):
        items = [bound_value(item, depth + 1) for item in value[:MAX_ITEMS]]
        return items + ([f"...(+{len(value) - MAX_ITEMS} items)"] if len(value) > MAX_ITEMS else [])
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_STRING else f"{text[:MAX_STRING]}...(+{len(text) - MAX_STRING} chars)"


def _bound_mapping(value: dict[Any, Any], depth: int) -> dict[str, Any]:
    bounded: dict[str, Any] = {}
    for key, item in list(value.items())[:MAX_ITEMS]:
        name = bound_value(str(key), MAX_DEPTH)
        bounded[name] = MASK if is_secret_key(name) else bound_value(item, depth + 1)
    if len(value) > MAX_ITEMS:
        bounded["..."] = f"+{len(value) - MAX_ITEMS} keys"
    return bounded


def tool_invocation(
    context: AuditContext,
    *,
    tool: str,
    repository: str | None,
    arguments: dict[str, Any],
    decision: str,
    status: str,
    duration_ms: float | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """Build a tool_invocation event (status: pending, success, error)."""
    return {
        "event": "tool_invocation",
        **context.fields(),
        "tool": tool,
        "repository": repository,
        "arguments": audited_value(arguments),
        "decision": decision,
        "status": status,
        "duration_ms": None if duration_ms is None else round(duration_ms, 3),
        "error": audited_value(error),
    }


def access_denied(
    context: AuditContext,
    *,
    tool: str | None,
    repository: str | None,
    arguments: dict[str, Any] | None,
    reason: str,
    rule: str,
) -> dict[str, Any]:
    """Build an access_denied event carrying the rule that denied."""
    return {
        "event": "access_denied",
        **context.fields(),
        "tool": tool,
        "repository": repository,
        "arguments": audited_value(arguments or {}),
        "decision": "deny",
        "status": "denied",
        "reason": audited_value(reason),
        "rule": rule,
    }


def security_event(
    context: AuditContext, *, kind: str, severity: str = "warning", details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build a security_event (policy reload refused, auth failures, torn line recovered ...)."""
    return {
        "event": "security_event",
        **context.fields(),
        "kind": kind,
        "severity": severity,
        "details": audited_value(details or {}),
    }


FLOW_OUTCOMES = {"denied": "deny", "warned": "allow", "confirmed": "allow"}


def flow_event(
    context: AuditContext,
    *,
    outcome: str,
    tool: str,
    sink: dict[str, Any],
    sources: list[dict[str, Any]],
    arguments: dict[str, Any],
    reason: str,
) -> dict[str, Any]:
    """Build a flow_denied event (refused), flow_warned (FLOW_GUARD=warn: the write went ahead) or
    flow_confirmed (the user confirmed the flow through MCP elicitation: the write went ahead)."""
    return {
        "event": f"flow_{outcome}",
        **context.fields(),
        "tool": tool,
        "repository": sink.get("repository"),
        "arguments": audited_value(arguments),
        "decision": FLOW_OUTCOMES[outcome],
        "status": outcome,
        "sink": audited_value(sink),
        "sources": audited_value(sources),
        "reason": audited_value(reason),
        "rule": "flow_guard",
    }
