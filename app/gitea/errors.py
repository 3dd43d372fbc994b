"""Typed upstream errors, each already shaped for our error model."""

from __future__ import annotations

import re
from typing import Any

from app.errors import AegisError

SCOPE_PREFIX = "token does not have at least one of required scope"
# 1.2x: "required=[read:repository], token scope=..."; older: "required scope(s): [read:user]".
REQUIRED_SCOPE = re.compile(r"required(?:=| scope\(s\): )\[([^\]]*)\]")
MAX_MESSAGE = 300


class GiteaError(AegisError):
    """A Gitea call failed; `status` is what we answer, `upstream_status` what Gitea said."""

    status, code = 502, "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, details=details, headers=headers)
        self.upstream_status = upstream_status


class GiteaAuthError(GiteaError):
    """401: the user's Gitea credentials are missing, invalid or expired."""

    status, code = 401, "upstream_unauthorized"


class GiteaScopeError(GiteaError):
    """403 because the token lacks a scope: the client should re-authorize with it."""

    status, code = 403, "insufficient_scope"

    def __init__(self, message: str, *, required_scope: str | None, upstream_status: int = 403) -> None:
        super().__init__(message, upstream_status=upstream_status,
                         details={"required_scope": required_scope} if required_scope else None)
        self.required_scope = required_scope


class GiteaPermissionError(GiteaError):
    """403 for any other reason: the user may not do this."""

    status, code = 403, "forbidden"


class GiteaNotFound(GiteaError):
    """404: missing, or private and not visible to this user."""

    status, code = 404, "not_found"


class GiteaConflict(GiteaError):
    """409/412/423: the resource's state forbids the change (exists, merged, archived)."""

    status, code = 409, "conflict"


class GiteaValidationError(GiteaError):
    """400/422: Gitea rejected the input."""

    status, code = 400, "validation_error"


class GiteaRateLimited(GiteaError):
    """429 from Gitea; `retry_after` seconds come from its Retry-After header."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int | None, upstream_status: int = 429) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        super().__init__(message, upstream_status=upstream_status, headers=headers)
        self.retry_after = retry_after


class GiteaUnavailable(GiteaError):
    """5xx, a refused or reset connection, or a response that is not what Gitea sends."""

    status, code = 502, "upstream_unavailable"


class GiteaTimeout(GiteaError):
    """Gitea did not answer within REQUEST_TIMEOUT_SECONDS."""

    status, code = 504, "upstream_timeout"


def required_scope(message: str) -> str | None:
    """Return the scope(s) named in Gitea's missing-scope message."""
    found = REQUIRED_SCOPE.search(message)
    return found.group(1).strip() or None if found else None


def parse_retry_after(value: str | None) -> int | None:
    """Return Retry-After in whole seconds; HTTP dates and garbage give None."""
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None


def error_for_status(status: int, message: str, retry_after: str | None = None) -> GiteaError:
    """Build the typed error for an HTTP error status and Gitea's `message` text."""
    detail = f": {message}" if message else ""
    if status == 401:
        return GiteaAuthError(f"Gitea rejected the credentials (401){detail}; sign in again.", upstream_status=status)
    if status == 403:
        return forbidden_error(message)
    if status == 404:
        return GiteaNotFound(f"Not found on Gitea, or not visible to you{detail}.", upstream_status=status)
    if status == 429:
        seconds = parse_retry_after(retry_after)
        wait = f"retry after {seconds} s" if seconds is not None else "retry later"
        return GiteaRateLimited(f"Gitea is rate limiting requests; {wait}.", retry_after=seconds)
    if status >= 500:
        return GiteaUnavailable(f"Gitea failed to answer ({status}); try again shortly.", upstream_status=status)
    return client_error(status, detail)


def forbidden_error(message: str) -> GiteaError:
    """Tell a missing token scope (step-up) from a plain permission denial."""
    if message.startswith(SCOPE_PREFIX):
        scope = required_scope(message)
        need = f"the scope {scope}" if scope else "a scope this call needs"
        return GiteaScopeError(f"The Gitea token lacks {need}; authorize again and grant it.",
                               required_scope=scope)
    detail = f": {message}" if message else ""
    return GiteaPermissionError(f"Gitea denied the request (403){detail}.", upstream_status=403)


def client_error(status: int, detail: str) -> GiteaError:
    """Map the remaining 4xx statuses."""
    if status in (405, 409, 412, 423):
        return GiteaConflict(f"Gitea refused the change ({status}){detail}.", upstream_status=status)
    if status in (400, 413, 422):
        return GiteaValidationError(f"Gitea rejected the input ({status}){detail}.", upstream_status=status)
    return GiteaError(f"Gitea answered {status}{detail}.", upstream_status=status)


def safe_message(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Shorten Gitea's message and blank out any secret it might echo."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
