"""One place that maps an outcome to each wire shape it can take.

An outcome is an AegisError: a status, a stable code, a message that says what to fix, and maybe headers
(Retry-After, WWW-Authenticate) and details. Where it is answered decides its shape, and only that:

- `http_error`: the HTTP JSON error `{"error": {status, code, message, request_id[, details]}}` with
  its status and headers; every route (the app's error handlers are registered here).
- `rpc_error`: the JSON-RPC error of one message, `data` carrying the same status and code (and
  `retry_after`); an MCP message refused on its own (a rate-limited request, batch call or WebSocket call).
- `tool_error`: a tool result with `isError`; a refusal inside an SSE or WebSocket stream, where the
  HTTP status is already sent.
- `rest_tool_response`: a tool result on the plain `POST /mcp/tool/call`, whose HTTP status says what the
  result's `status` means (REST_STATUS: 400 bad arguments, 403 refusals, 404 unknown tool or missing
  thing, 502/503/504 Gitea failures); the body is the tool result plus the HTTP error object. MCP
  JSON-RPC answers keep `isError` inside a 200: that is where MCP clients look.

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
from app.mcp.revisions import MODERN_VERSIONS
from app.tools.call import ToolResult

log = logging.getLogger("aegis.errors")
# JSON-RPC reserves -32000..-32099 for implementation-defined server errors.
RPC_CODES = {429: -32029}
LATEST_REVISION = MODERN_VERSIONS[-1]
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
    """A CallToolResult with isError: how a refusal reaches a client once its stream has started.
    The shape is ToolResult's own (no structured content, so the same at every revision)."""
    return ToolResult.error(exc.message, exc.code).to_mcp(LATEST_REVISION)


# ToolResult.status (app/tools/call.py, app/tools/failures.py) -> the HTTP status of POST /mcp/tool/call.
REST_STATUS = {
    "invalid_arguments": 400,  # the schema refused an argument, or a name in it does not exist (unknown label)
    "denied": 403,  # policy, write mode, write whitelist, service-PAT permission, secrets in a write
    "upstream_forbidden": 403,  # Gitea refused the caller (or the service token) access to the thing
    "unknown_tool": 404,
    "not_found": 404,  # the repository, file, commit ... does not exist or is not visible
    "upstream_conflict": 409,  # e.g. the branch or release already exists
    "error": 422,  # the tool cannot do this with these arguments (a directory is not a file)
    "upstream_rejected": 422,  # Gitea's own validation refused the write
    "internal_error": 500,
    "cancelled": 500,
    "upstream_unauthorized": 502,  # Gitea rejected GITEA_TOKEN: the operator's credential, not the caller's
    "upstream_error": 502,  # Gitea answered something unusable
    "upstream_unavailable": 502,  # Gitea could not be reached or answered 5xx (as nginx answers a dead upstream)
    "upstream_rate_limited": 503,  # Gitea asks us to slow down: try again later
    "audit_unavailable": 503,  # audit before acting: the call was refused, nothing ran
    "upstream_timeout": 504,
    # "written_unshown": the write WAS made, only its answer could not be shaped. 200 (with isError and the
    # error object), so that nothing retrying on 5xx repeats the write.
}


def rest_status(status: str, is_error: bool) -> int:
    """The HTTP status of a tool result on the REST route; unknown error statuses are 500."""
    if not is_error or status == "written_unshown":
        return 200
    return REST_STATUS.get(status, 500)


def rest_tool_response(result: dict[str, Any], status: str, is_error: bool) -> Response:
    """The tool result with its REST status; an error result also carries `error` ({status, code (the
    result's status), message, request_id}, as every HTTP error does)."""
    http_status = rest_status(status, is_error)
    body = dict(result)
    if is_error:
        message = " ".join(part.get("text", "") for part in result.get("content", []) if isinstance(part, dict))
        body["error"] = {"status": http_status, "code": status, "message": message,
                         "request_id": current_request_id()}
    return json_response(body, http_status)


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
