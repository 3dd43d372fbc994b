"""One error type hierarchy and one JSON error shape for every HTTP error."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.logging import current_request_id

log = logging.getLogger("aegis.errors")


class AegisError(Exception):
    """An error a client may see: status, a stable code and a message that says what to fix."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(AegisError):
    status, code = 400, "bad_request"


class Unauthorized(AegisError):
    status, code = 401, "unauthorized"


class Forbidden(AegisError):
    status, code = 403, "forbidden"


class NotFound(AegisError):
    status, code = 404, "not_found"


class PayloadTooLarge(AegisError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AegisError):
    status, code = 415, "unsupported_media_type"


class ServiceUnavailable(AegisError):
    status, code = 503, "service_unavailable"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    502: "upstream_error",
    503: "service_unavailable",
    504: "upstream_timeout",
}




def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
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


HTTP_MESSAGES = {
    404: "No such endpoint. See GET / for the endpoints this server offers.",
    405: "This method is not allowed here; the Allow header lists the methods that are.",
    413: "The request body is larger than MAX_REQUEST_BYTES allows; send a smaller body.",
}


def _from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = HTTP_MESSAGES.get(status) or exc.description or exc.name
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after", "www-authenticate")}
    return error_response(status, message, headers=headers)


def _from_aegis_error(exc: AegisError) -> Response:
    return error_response(exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers)


def _from_unexpected(exc: Exception) -> Response:
    log.exception("unhandled_exception", extra={"request_id": current_request_id()})
    return error_response(500, "Internal error. Quote the request id when you report it.")


def read_body() -> bytes:
    """The request body, refusing more than MAX_REQUEST_BYTES also when it arrives chunked (no
    Content-Length for the before-request check to see): 413, never a truncated body."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        body = request.stream.read(limit + 1)
        # Werkzeug stops a chunked stream at the limit and raises only on a read past it.
        too_large = len(body) > limit or (len(body) == limit and request.stream.read(1) != b"")
    except RequestEntityTooLarge:
        too_large = True
    if too_large:
        raise PayloadTooLarge(f"The request body is larger than MAX_REQUEST_BYTES ({limit} bytes) allows.")
    return body


def _reject_oversized_body() -> None:
    """413 before any view runs, whether or not the view reads the body."""
    length = request.content_length
    if length is not None and length > (limit := current_app.config["MAX_CONTENT_LENGTH"]):
        raise PayloadTooLarge(f"The request body is {length} bytes; MAX_REQUEST_BYTES allows {limit}.")


def init_app(app: Flask) -> None:
    """Route every error through error_response; no stack trace ever reaches a client."""
    app.before_request(_reject_oversized_body)
    app.register_error_handler(AegisError, _from_aegis_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
