"""One error type hierarchy: what a client may be told, with its status and stable code (app/outcomes.py
gives each its wire shape)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


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


class Conflict(AegisError):
    status, code = 409, "conflict"


class PayloadTooLarge(AegisError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AegisError):
    status, code = 415, "unsupported_media_type"


class TooManyRequests(AegisError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


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
    """413 before any view reads a body that is too large (app/outcomes.py answers every error)."""
    app.before_request(_reject_oversized_body)
