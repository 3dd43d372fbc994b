"""The 429 answer: the one JSON error shape, or a JSON-RPC error when an MCP message was refused."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Response, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from app.errors import error_response
from app.logging import current_request_id
from app.mcp.jsonrpc import RpcError

# JSON-RPC reserves -32000..-32099 for implementation-defined server errors.
RATE_LIMITED_RPC_CODE = -32029
JSONRPC_PATHS = ("/mcp", "/mcp/sse")


def retry_after_seconds(limiter: Limiter, exc: RateLimitExceeded) -> int:
    """Whole seconds until the breached window resets (the full window if the storage cannot say)."""
    return seconds_until_reset(limiter.current_limit, exc)


def seconds_until_reset(breached: RequestLimit | None, exc: RateLimitExceeded) -> int:
    try:
        reset_at = breached.window.reset_time if breached is not None else None
    except Exception:  # noqa: BLE001 - storage gone between the check and now: fall back to the window
        reset_at = None
    if reset_at is None:
        return int(exc.limit.limit.get_expiry())
    return max(1, math.ceil(reset_at - time.time()))


def refusal_message(exc: RateLimitExceeded, retry_after: int) -> str:
    return f"Too many requests ({exc.description}); retry after {retry_after} seconds."


def jsonrpc_request_id() -> tuple[bool, Any]:
    """Whether this request carried a JSON-RPC message on an MCP route, and that message's id."""
    if request.method != "POST" or request.path not in JSONRPC_PATHS:
        return False, None
    body = request.get_json(force=True, silent=True)
    if isinstance(body, dict) and body.get("jsonrpc") == "2.0":
        return True, body.get("id")
    return isinstance(body, list), None  # a batch: one error for all of it


def rpc_refusal_error(message: str, retry_after: int, request_id: Any) -> RpcError:
    data = {"status": 429, "code": "rate_limited", "retry_after": retry_after, "request_id": current_request_id()}
    return RpcError(RATE_LIMITED_RPC_CODE, message, data=data, request_id=request_id)


def rpc_refusal(message: str, retry_after: int, request_id: Any) -> Response:
    response = jsonify(rpc_refusal_error(message, retry_after, request_id).to_message())
    response.status_code = 429
    return response


def too_many_requests(limiter: Limiter, exc: RateLimitExceeded) -> Response:
    """429 with Retry-After; the body is what the client's protocol expects."""
    retry_after = retry_after_seconds(limiter, exc)
    message = refusal_message(exc, retry_after)
    is_rpc, request_id = jsonrpc_request_id()
    response = rpc_refusal(message, retry_after, request_id) if is_rpc else error_response(429, message)
    response.headers["Retry-After"] = str(retry_after)
    return response
