"""Upstream (Gitea) failures turned into tool results a model can act on."""

from __future__ import annotations

from typing import Any

from app.gitea.errors import GiteaAuthError, GiteaError, GiteaNotFound, GiteaScopeError
from app.gitea.request import UnsafePathValue
from app.tools.call import ToolCall, ToolResult, UpstreamUnauthorized

STATUS_BY_ERROR = {
    "write_not_allowed": "internal_error",  # a refused upstream write is a bug in this server, not the caller's
    "not_found": "not_found",
    "upstream_unauthorized": "upstream_unauthorized",
    "insufficient_scope": "upstream_forbidden",
    "forbidden": "upstream_forbidden",
    "conflict": "upstream_conflict",
    "validation_error": "upstream_rejected",
    "rate_limited": "upstream_rate_limited",
    "upstream_unavailable": "upstream_unavailable",
    "upstream_timeout": "upstream_timeout",
}


def upstream_failure(call: ToolCall, exc: GiteaError, args: dict[str, Any]) -> ToolResult:
    """An isError result naming what failed and what to do; a rejected user token raises instead."""
    if isinstance(exc, GiteaAuthError):
        return _rejected_credentials(call)
    if isinstance(exc, UnsafePathValue):  # refused here, never sent: the caller's arguments are at fault
        return ToolResult.error(f"{call.tool.name}: {exc.message}", "invalid_arguments")
    status = STATUS_BY_ERROR.get(exc.code, "upstream_error")
    return ToolResult.error(_message(call, exc, args), status)


def _rejected_credentials(call: ToolCall) -> ToolResult:
    if call.principal.kind == "oauth":
        raise UpstreamUnauthorized(call.runtime.settings)
    # The service token is the operator's, not the caller's: re-authenticating would not help.
    return ToolResult.error(
        "Gitea rejected this server's GITEA_TOKEN (401); the operator must replace it.", "upstream_unauthorized"
    )


SUBJECT_ARGUMENTS = (
    "filepath", "path", "sha", "base", "head", "ref", "branch", "issue_number", "pull_number", "release_id", "org",
    "run_id", "job_id",
)


def _message(call: ToolCall, exc: GiteaError, args: dict[str, Any]) -> str:
    if isinstance(exc, GiteaNotFound):
        return f"{call.tool.name}: not found: {_subject(call, args)} does not exist or is not visible to you."
    if isinstance(exc, GiteaScopeError):
        return f"{call.tool.name}: {exc.message}"
    return f"{call.tool.name} failed: {exc.message}"


def _subject(call: ToolCall, args: dict[str, Any]) -> str:
    """What was asked for, e.g. "filepath='x.py' in acme/service-a" (or the repository alone)."""
    named = ", ".join(f"{key}={args[key]!r}" for key in SUBJECT_ARGUMENTS if args.get(key) is not None)
    where = call.repository or "the requested resource"
    return f"{named} in {where} (or {where} itself)" if named and call.repository else named or where
