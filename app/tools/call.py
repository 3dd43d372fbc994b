"""The vocabulary of a tool call: context, runtime, result and the exceptions transports map."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from app.audit.events import AuditContext
from app.auth.principal import Principal, www_authenticate
from app.config import Settings
from app.errors import Forbidden, Unauthorized
from app.gitea.client import GiteaClient
from app.tools.registry import TITLE_AND_OUTPUT_SCHEMA_SINCE, Catalog, Tool
from app.tools.selection import EVERYTHING, Selection
from app.tools.shaping import ToolLimits

ProgressCallback = Callable[[float, "float | None", "str | None"], None]


class UnknownTool(LookupError):
    """No tool has this name: the transport answers JSON-RPC -32602."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown tool: {name!r}. Call tools/list for the tools this server offers.")
        self.name = name


class InsufficientScope(Forbidden):
    """The caller lacks the tool's scope: HTTP 403 with error="insufficient_scope" so the client can step up."""

    def __init__(self, settings: Settings, scope: str) -> None:
        challenge = www_authenticate(settings, error="insufficient_scope", scope=scope)
        super().__init__(
            f"This tool needs the {scope} scope; re-authorize requesting it.",
            headers={"WWW-Authenticate": challenge},
            details={"required_scope": scope},
        )
        self.scope = scope


class UpstreamUnauthorized(Unauthorized):
    """Gitea refused the caller's own upstream token (revoked grant, expired): the transport answers
    HTTP 401 with error="invalid_token" so the client refreshes or re-authenticates."""

    def __init__(self, settings: Settings) -> None:
        challenge = www_authenticate(settings, error="invalid_token")
        super().__init__(
            "Gitea rejected the token behind this session; refresh or re-authorize.",
            headers={"WWW-Authenticate": challenge},
        )


class ToolFailure(Exception):
    """A handler's clear, expected failure (not found, not a file, ...): becomes an isError result."""

    def __init__(self, message: str, status: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ToolCancelled(Exception):
    """The client cancelled or went away; the handler stopped early."""


T = TypeVar("T")


@dataclass
class ToolRuntime:
    """What execute_tool needs from the process: settings, catalog, Gitea client and the pluggable checks."""

    settings: Settings
    catalog: Catalog
    gitea: GiteaClient  # .bind(credentials) gives the client acting for one caller
    policy: Callable[[], Any] | None = None  # returns the current app.policy.Policy
    audit: Any = None  # app.audit.AuditRecorder: .record(event, is_write=...)
    repository_permission: Callable[[Principal, Tool, str], str | None] | None = None  # service-PAT seam
    store: Any = None  # app.store.Store: the flow guard's labels (app.tools.flow_guard)
    cache: dict[str, Any] = field(default_factory=dict)  # immutable upstream data (search_code archives)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        """A per-process object kept on the runtime, created on first use (caches shared by all calls)."""
        with self.cache_lock:
            if name not in self.cache:
                self.cache[name] = make()
            return self.cache[name]

    @property
    def limits(self) -> ToolLimits:
        return ToolLimits.from_settings(self.settings)


@dataclass(frozen=True)
class ToolCall:
    """One tool call, the only context of a call: a transport (or an automation job) builds it with what it
    knows, execute_tool binds it to the runtime, the tool and the repository, and the handler receives it.

    Nothing in it comes from Flask: the core runs the same with no request at all."""

    principal: Principal
    name: str
    arguments: Any
    correlation_id: str
    transport: str = "direct"  # streamable_http, sse, websocket, rest, automation, direct (tests, benchmarks)
    request_id: str | None = None
    progress: ProgressCallback | None = field(default=None, compare=False)
    cancelled: threading.Event = field(default_factory=threading.Event, compare=False)
    bound_tool: Tool | None = field(default=None, compare=False)
    bound_runtime: ToolRuntime | None = field(default=None, compare=False)
    repository: str | None = None  # "owner/repo" when the tool works on one repository
    selection: Selection = EVERYTHING  # the connection's toolsets / readonly: a tool outside it is unknown
    # Asks the user (MCP elicitation): (message, requestedSchema) -> the client's result or None; None when
    # the client cannot be asked. The flow guard's confirmation (app.mcp.elicitation).
    ask_user: Callable[[str, dict[str, Any]], Any] | None = field(default=None, compare=False)

    def bind(self, runtime: ToolRuntime, tool: Tool, repository: str | None) -> ToolCall:
        """This call as the core runs it: with its runtime, its tool and the repository its arguments name."""
        return replace(self, bound_runtime=runtime, bound_tool=tool, repository=repository)

    @property
    def internal(self) -> bool:
        """An automation job's call: MCP_TOOLSETS / MCP_TOOLS (what clients are served) do not narrow it."""
        return self.transport == "automation"

    @property
    def tool(self) -> Tool:
        if self.bound_tool is None:
            raise RuntimeError("the call is not bound to a tool yet (execute_tool binds it)")
        return self.bound_tool

    @property
    def runtime(self) -> ToolRuntime:
        if self.bound_runtime is None:
            raise RuntimeError("the call is not bound to a runtime yet (execute_tool binds it)")
        return self.bound_runtime

    @property
    def limits(self) -> ToolLimits:
        return self.runtime.limits

    @property
    def policy(self) -> Any:
        """The policy in force now (app.policy.Policy), or None when the runtime has none."""
        return self.runtime.policy() if self.runtime.policy is not None else None

    @property
    def credential_digest(self) -> str:
        """Keys caches per caller: what one credential could read is never served to another."""
        credential = self.principal.upstream.authorization() if self.principal.upstream else ""
        return hashlib.sha256(credential.encode()).hexdigest()

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        """A per-process object kept on the runtime (caches shared by all calls)."""
        return self.runtime.shared(name, make)

    def audit_context(self) -> AuditContext:
        """Who and which request, as every audit entry of this call records it."""
        return AuditContext(request_id=self.request_id, correlation_id=self.correlation_id,
                            principal=self.principal.login, client_id=self.principal.client_id,
                            selection=self.selection.describe() if self.selection.narrows else None)

    def report(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Send a progress notification if the client asked for them; stop if it cancelled."""
        self.check_cancelled()
        if self.progress is not None:
            self.progress(progress, total, message)

    def check_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise ToolCancelled()

    def visible(self, entries: list[T], path_of: Callable[[T], str],
                namespace: str = "files") -> tuple[list[T], list[str]]:
        """The entries whose path the policy lets this caller see, and the withheld paths (each once)."""
        shown, withheld = self.visible_paths(list(dict.fromkeys(path_of(entry) for entry in entries)), namespace)
        allowed = set(shown)
        return [entry for entry in entries if path_of(entry) in allowed], withheld

    def visible_paths(self, paths: list[str], namespace: str = "files") -> tuple[list[str], list[str]]:
        """Split repository paths (or, namespace "wiki", wiki page titles) into (shown, withheld by policy)."""
        policy = self.policy
        if policy is None:
            return paths, []
        allowed, withheld = policy.filter_paths(self.repository, paths, namespace)
        return list(allowed), list(withheld)


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call: compact text for the model, structured content for programs."""

    text: str
    structured: dict[str, Any] | None = None
    is_error: bool = False
    status: str = "success"
    meta: dict[str, Any] | None = None  # the result's `_meta` (every revision has it), e.g. the correlation id

    def to_mcp(self, protocol_version: str) -> dict[str, Any]:
        """The CallToolResult body; structuredContent only where the revision knows it."""
        result: dict[str, Any] = {"content": [{"type": "text", "text": self.text}], "isError": self.is_error}
        if self.structured is not None and protocol_version >= TITLE_AND_OUTPUT_SCHEMA_SINCE:
            result["structuredContent"] = self.structured
        if self.meta:
            result["_meta"] = self.meta
        return result

    @classmethod
    def error(cls, message: str, status: str = "error") -> ToolResult:
        return cls(text=message, is_error=True, status=status)
