"""JSON-RPC calls that share one HTTP request each count against the rate limits, as a request would.

Flask-Limiter counts HTTP requests, once, before the view runs. A 2025-03-26 batch carries many
calls in one request and a WebSocket any number over one upgrade; their transports charge each
call here, so 40 calls in a batch cost what 40 requests cost. A call beyond the budget is answered
with its own -32029 error (the 429 of JSON-RPC) and is not run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from app.errors import TooManyRequests
from app.limits import EXTENSION, KEY_PREFIX
from app.limits.breaches import report_breach
from app.limits.responses import refusal_message, seconds_until_reset
from app.outcomes import rpc_error

if TYPE_CHECKING:
    from flask_limiter._limits import RuntimeLimit

log = logging.getLogger("aegis.limits")


class CallBudget:
    """Charges the calls of one HTTP request; the first `prepaid` ride on the request's own count."""

    def __init__(self, prepaid: int) -> None:
        self.prepaid = prepaid

    def refusal(self, request_id: Any) -> dict[str, Any] | None:
        """None when the call may run, else the JSON-RPC error message that answers it instead."""
        if self.prepaid > 0:
            self.prepaid -= 1
            return None
        return refused_call(request_id)


def refused_call(request_id: Any) -> dict[str, Any] | None:
    """Count one call against the per-IP and per-credential limits; the -32029 answer if one is exceeded."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    for limit in limiter.limit_manager.application_limits:
        if limit.deduct_when is not None or limit.is_exempt:  # the lockout counts 401 answers, not calls
            continue
        args = [KEY_PREFIX, limit.key_func(), limit.scope_for("", None)]
        if all(args) and not charge(limiter, limit, args):
            breach = RequestLimit(limiter, limit.limit, args, True, limit.shared)
            report_breach(breach)
            exceeded = RateLimitExceeded(limit)
            retry_after = seconds_until_reset(breach, exceeded)
            refused = TooManyRequests(refusal_message(exceeded, retry_after), retry_after)
            return rpc_error(refused, request_id).to_message()
    return None


def charge(limiter: Limiter, limit: RuntimeLimit, args: list[str]) -> bool:
    """Hit the limit once; True while within it. Storage trouble lets the call through, as it lets requests."""
    try:
        return bool(limiter.limiter.hit(limit.limit, *args))
    except Exception:  # noqa: BLE001 - the limiter swallows storage errors for requests too
        log.warning("rate limit storage unreachable; a batched call was not counted")
        return True
