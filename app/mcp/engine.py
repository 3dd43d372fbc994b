"""Method dispatch for every revision: one engine, results shaped for the revision that asked."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.errors import AegisError
from app.mcp.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    Message,
    RequestId,
    RpcError,
    notification,
    result_message,
)
from app.mcp.revisions import MODERN_VERSIONS, SERVER_INFO_KEY, negotiate
from app.outcomes import tool_error
from app.tools.selection import EVERYTHING, SELECTION_META, Selection
from app.version import __version__

log = logging.getLogger("aegis.mcp")
SERVER_NAME = "aegis-gitea-mcp"
SERVER_TITLE = "AegisGitea MCP"
SERVER_DESCRIPTION = "Read and (in write mode) change repositories of a self-hosted Gitea, under policy and audit."
INSTRUCTIONS = (
    "Tools for one self-hosted Gitea. Repository arguments are owner and repo; "
    "results are bounded and secrets in them are masked."
)
TOOLS_PAGE_SIZE = 100
# The tool list depends on the caller's scopes and the policy file: a private cache, refreshed often.
TOOLS_TTL_MS = 60_000
DISCOVER_TTL_MS = 3_600_000
CAPABILITIES: dict[str, Any] = {"tools": {"listChanged": False}}
# Handshake revisions may set a log level; we send no log notifications, so every level is honoured trivially.
LEGACY_CAPABILITIES: dict[str, Any] = {**CAPABILITIES, "logging": {}}
LOG_LEVELS = frozenset({"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"})
MODERN_METHODS = frozenset({"server/discover", "tools/list", "tools/call"})
LEGACY_METHODS = frozenset({"initialize", "ping", "logging/setLevel", "tools/list", "tools/call"})

Notify = Callable[[dict[str, Any]], None]
Progress = Callable[[float, "float | None", "str | None"], None]


class ToolSurface(Protocol):
    """What the engine needs from the tool core: definitions and the single execution path."""

    def definitions(self, principal: Any, version: str, selection: Selection = EVERYTHING) -> list[dict[str, Any]]: ...

    def public_definitions(self, version: str, selection: Selection = EVERYTHING) -> list[dict[str, Any]]: ...

    def call(
        self, principal: Any, name: str, arguments: dict[str, Any], version: str, context: CallContext
    ) -> dict[str, Any]: ...

    def call_result(self, principal: Any, name: str, arguments: dict[str, Any], context: CallContext) -> Any: ...

    def scope_challenge(self, principal: Any, name: Any, arguments: Any, context: CallContext) -> None: ...

    def select(self, toolsets: list[tuple[str, str]], readonly: list[tuple[str, str | None]]) -> Selection: ...

    def toolsets(self) -> dict[str, int]: ...

    def is_write(self, name: Any) -> bool: ...


@dataclass
class CallContext:
    """One request's caller, revision and the channels back to the client."""

    principal: Any
    version: str
    request_id: RequestId | None = None
    request_meta: dict[str, Any] | None = None
    notify: Notify | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    correlation_id: str | None = None  # the HTTP request's (X-Correlation-ID when valid); None: a new one per call
    transport: str = "streamable_http"
    selection: Selection = EVERYTHING  # the connection's toolsets / readonly (tools/list and tools/call)
    ask: Callable[[str, dict[str, Any]], Any] | None = None  # elicitation on this call's stream (app.mcp.elicitation)

    @property
    def modern(self) -> bool:
        return self.version in MODERN_VERSIONS


def server_info(version: str) -> dict[str, Any]:
    """serverInfo with only the fields the revision knows."""
    info: dict[str, Any] = {"name": SERVER_NAME, "version": __version__}
    if version >= "2025-06-18":
        info["title"] = SERVER_TITLE
    if version >= "2025-11-25":
        info["description"] = SERVER_DESCRIPTION
    return info


class Engine:
    """Answers requests of both eras; transports translate bytes to `handle` calls and back."""

    def __init__(self, tools: ToolSurface) -> None:
        self.tools = tools
        self._handlers: dict[str, Callable[[Message, CallContext], dict[str, Any]]] = {
            "server/discover": self._discover,
            "initialize": self._initialize,
            "ping": lambda _m, _c: {},
            "logging/setLevel": self._set_log_level,
            "tools/list": self._list_tools,
            "tools/call": self._call_tool,
        }

    def answer(
        self, message: Message, context: CallContext, *, http_errors: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """The response message for one request and its HTTP status.

        With `http_errors`, HTTP-level refusals (401 invalid upstream token, 403 insufficient scope) propagate
        so the HTTP transport can answer them with their status and WWW-Authenticate challenge; on streams
        they become isError tool results.
        """
        reply_id = message.id if message.id is not None else 0  # requests always carry one; "" and 0 are ids too
        try:
            return 200, result_message(reply_id, self.handle(message, context))
        except RpcError as exc:
            return exc.http_status, exc.to_message(message.id)
        except AegisError as exc:
            if http_errors:
                raise
            refused = tool_error(exc)
            return 200, result_message(reply_id, stamp_modern(refused) if context.modern else refused)
        except Exception:  # the client gets -32603 without internals; the log gets the trace
            log.exception("mcp_request_failed", extra={"method": message.method})
            return 200, RpcError(INTERNAL_ERROR, "Internal error").to_message(message.id)

    def handle(self, message: Message, context: CallContext) -> dict[str, Any]:
        """The result of one request, or RpcError."""
        method = message.method or ""
        known = MODERN_METHODS if context.modern else LEGACY_METHODS
        if method not in known:
            # At 2026-07-28 an unknown method is a transport-level 404 (ladder rung 5).
            raise RpcError(
                METHOD_NOT_FOUND, f"Method not found: {method}", http_status=404 if context.modern else 200
            )
        result = self._handlers[method](message, context)
        return stamp_modern(result) if context.modern else result

    def _discover(self, _message: Message, _context: CallContext) -> dict[str, Any]:
        return {
            "supportedVersions": list(MODERN_VERSIONS),
            "capabilities": CAPABILITIES,
            "instructions": INSTRUCTIONS,
            "ttlMs": DISCOVER_TTL_MS,
            "cacheScope": "public",
        }

    def _initialize(self, message: Message, _context: CallContext) -> dict[str, Any]:
        version = negotiate(message.params.get("protocolVersion"))
        return {
            "protocolVersion": version,
            "capabilities": LEGACY_CAPABILITIES,
            "serverInfo": server_info(version),
            "instructions": INSTRUCTIONS,
        }

    def _set_log_level(self, message: Message, _context: CallContext) -> dict[str, Any]:
        if message.params.get("level") not in LOG_LEVELS:
            raise RpcError(INVALID_PARAMS, f"level must be one of {', '.join(sorted(LOG_LEVELS))}")
        return {}

    def _list_tools(self, message: Message, context: CallContext) -> dict[str, Any]:
        tools = self.tools.definitions(context.principal, context.version, context.selection)
        start = cursor_offset(message.params.get("cursor"), len(tools))
        page: dict[str, Any] = {"tools": tools[start : start + TOOLS_PAGE_SIZE]}
        if start + TOOLS_PAGE_SIZE < len(tools):
            page["nextCursor"] = encode_cursor(start + TOOLS_PAGE_SIZE)
        if context.selection.narrows:  # what was selected, and which asked-for toolsets this server does not serve
            page["_meta"] = {SELECTION_META: context.selection.describe()}
        if context.modern:
            page.update(ttlMs=TOOLS_TTL_MS, cacheScope="private")
        return page

    def _call_tool(self, message: Message, context: CallContext) -> dict[str, Any]:
        name = message.params.get("name")
        arguments = message.params.get("arguments")
        if not isinstance(name, str) or not name:
            raise RpcError(INVALID_PARAMS, "tools/call needs params.name, the tool to call")
        if arguments is not None and not isinstance(arguments, dict):
            raise RpcError(INVALID_PARAMS, "tools/call params.arguments must be an object")
        return self.tools.call(context.principal, name, arguments or {}, context.version, context)


def stamp_modern(result: dict[str, Any]) -> dict[str, Any]:
    """Add what every 2026-07-28 result carries: resultType and serverInfo in _meta."""
    meta = {**result.get("_meta", {}), SERVER_INFO_KEY: server_info(MODERN_VERSIONS[-1])}
    return {"resultType": "complete", **result, "_meta": meta}


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"tools:{offset}".encode()).decode()


def cursor_offset(cursor: Any, total: int) -> int:
    """The list offset an opaque cursor stands for; -32602 for anything we did not issue."""
    if cursor is None:
        return 0
    try:
        prefix, _, number = base64.urlsafe_b64decode(str(cursor).encode()).decode().partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
        prefix = ""
    if prefix != "tools" or not 0 <= offset <= total:
        raise RpcError(INVALID_PARAMS, "Invalid cursor: pass back nextCursor exactly as received")
    return offset


def progress_notifier(token: Any, context: CallContext) -> Progress | None:
    """A progress callback that sends notifications/progress for this request, or None without a token."""
    if token is None or context.notify is None:
        return None
    notify, with_message = context.notify, context.version >= "2025-03-26"
    last = [float("-inf")]

    def report(progress: float, total: float | None = None, message: str | None = None) -> None:
        if progress <= last[0] or context.cancelled.is_set():
            return  # progress must increase, and nothing is sent after cancellation
        last[0] = progress
        params: dict[str, Any] = {"progressToken": token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message and with_message:
            params["message"] = message
        notify(notification("notifications/progress", params))

    return report
