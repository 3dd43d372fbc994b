"""One place that maps an outcome to each wire shape it can take.

An outcome is an AegisError: a status, a stable code, a message that says what to fix, and maybe headers
(Retry-After, WWW-Authenticate) and details. Where it is answered decides its shape, and only that:

- `http_error`: the HTTP JSON error `{"error": {status, code, message, request_id[, details]}}` with
  its status and headers; every route (the app's error handlers are registered here).
- `rpc_error`: the JSON-RPC error of one message, `data` carrying the same status and code (and
  `retry_after`); an MCP message refused on its own (a rate-limited request, batch call or WebSocket call).
- `tool_error`: a tool result with `isError`; a refusal inside an SSE or WebSocket stream, where the
  HTTP status is already sent.

A tool's own failures (bad arguments, policy, Gitea errors) are tool results already (app/tools/
execution.py, app/tools/failures.py). OAuth endpoints answer RFC 6749 bodies (blueprints/oauth.py).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from app.errors import HTTP_CODES, AegisError
from app.logging import current_request_id
from app.mcp.jsonrpc import INTERNAL_ERROR, RequestId, RpcError

log = logging.getLogger("aegis.errors")
# JSON-RPC reserves -32000..-32099 for implementation-defined server errors.
RPC_CODES = {429: -32029}
HTTP_MESSAGES = {
    404: "No such endpoint. See GET / for the endpoints this server offers.",
    405: "This method is not allowed here; the Allow header lists the methods that are.",
    413: "The request body is larger than MAX_REQUEST_BYTES allows; send a smaller body.",
}


def error_response(status: int, message: str, *, code: str | None = None, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """The one JSON error shape: {"error": {status, code, message, request_id[, details]}}."""
    body: dict[str, Any] = {
        "status": status,
        "code": code or HTTP_CODES.get(status, "error"),
        "message": message,
        "request_id": current_request_id(),
    }
    if details:
        body["details"] = details
    return json_response({"error": body}, status, headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON body with this status and these extra headers."""
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def http_error(exc: AegisError) -> Response:
    return error_response(exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers)


def rpc_error(exc: AegisError, request_id: RequestId | None) -> RpcError:
    """The JSON-RPC error answering one message with this outcome (HTTP status as the outcome's)."""
    data: dict[str, Any] = {"status": exc.status, "code": exc.code, "request_id": current_request_id()}
    retry_after = exc.headers.get("Retry-After")
    if retry_after is not None:
        data["retry_after"] = int(retry_after)
    return RpcError(RPC_CODES.get(exc.status, INTERNAL_ERROR), exc.message, data=data, http_status=exc.status,
                    request_id=request_id)


def rpc_error_response(exc: AegisError, request_id: RequestId | None) -> Response:
    return json_response(rpc_error(exc, request_id).to_message(), exc.status, exc.headers)


def tool_error(exc: AegisError) -> dict[str, Any]:
    """A CallToolResult with isError: how a refusal reaches a client once its stream has started."""
    return {"content": [{"type": "text", "text": exc.message}], "isError": True}


def _from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = HTTP_MESSAGES.get(status) or exc.description or exc.name
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after", "www-authenticate")}
    return error_response(status, message, headers=headers)


def _from_unexpected(exc: Exception) -> Response:
    log.exception("unhandled_exception", extra={"request_id": current_request_id()})
    return error_response(500, "Internal error. Quote the request id when you report it.")


def init_app(app: Flask) -> None:
    """Every error a route raises leaves as the HTTP shape; no stack trace ever reaches a client."""
    app.register_error_handler(AegisError, http_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
