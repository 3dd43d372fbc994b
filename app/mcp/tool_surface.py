"""The engine's view of the tool core: catalog definitions and the one execute_tool path."""

from __future__ import annotations

from typing import Any

from app.audit.events import correlation_id_from
from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.mcp.engine import CallContext, progress_notifier
from app.mcp.jsonrpc import INVALID_PARAMS, RpcError
from app.tools.call import ToolCall, ToolResult, ToolRuntime, UnknownTool
from app.tools.execution import execute_tool, scope_challenge
from app.tools.selection import EVERYTHING, Selection, parse_selection

# Public discovery shows what an authenticated caller holding every scope could use; the catalog then
# applies the principal-independent filters (write mode, tools the policy denies everywhere).
DISCOVERY_PRINCIPAL = Principal("discovery", frozenset({READ_SCOPE, WRITE_SCOPE}), None, "anonymous")


class CoreToolSurface:
    """Adapts app.tools (the runtime's catalog, execute_tool, ToolCall, UnknownTool) to the engine."""

    def __init__(self, runtime: ToolRuntime) -> None:
        self.runtime = runtime

    def definitions(self, principal: Any, version: str, selection: Selection = EVERYTHING) -> list[dict[str, Any]]:
        catalog = self.runtime.catalog
        visible = catalog.visible_tools(principal, selection)
        return [tool.definition(version, catalog.output_schemas) for tool in visible]

    def public_definitions(self, version: str, selection: Selection = EVERYTHING) -> list[dict[str, Any]]:
        """The unauthenticated GET /mcp/tools list: tools/list's filtering, without per-caller scope."""
        return self.definitions(DISCOVERY_PRINCIPAL, version, selection)

    def select(
        self, toolsets: list[tuple[str, str]], readonly: list[tuple[str, str | None]]
    ) -> Selection:
        """A connection's selection from (where, raw value) pairs; SelectionError for unknown names, a bad
        readonly value or a selection that leaves no tool (the message names the valid toolsets)."""
        if not toolsets and not readonly:
            return EVERYTHING  # what parsing nothing gives, without counting the served toolsets on every call
        catalog = self.runtime.catalog
        selection = parse_selection(
            toolsets, readonly, known=catalog.known_toolsets, served=catalog.served_toolsets()
        )
        catalog.check_selection(selection)
        return selection

    def is_write(self, name: Any) -> bool:
        """Whether `name` is a write tool of the catalog (a flagged write may ask the user to confirm it)."""
        tool = self.runtime.catalog.offered(name) if isinstance(name, str) else None
        return tool is not None and tool.is_write

    def toolsets(self) -> dict[str, int]:
        """The toolsets served and their tool counts (write mode applied)."""
        return self.runtime.catalog.served_toolsets()

    def call_result(self, principal: Any, name: str, arguments: dict[str, Any], context: CallContext) -> ToolResult:
        """execute_tool's own result (with its status), for transports that map it themselves (REST);
        raises UnknownTool."""
        return execute_tool(self.runtime, tool_call(principal, name, arguments, context))

    def call(
        self, principal: Any, name: str, arguments: dict[str, Any], version: str, context: CallContext
    ) -> dict[str, Any]:
        try:
            result = self.call_result(principal, name, arguments, context)
        except UnknownTool:
            raise RpcError(
                INVALID_PARAMS, f"Unknown tool: {name}. Call tools/list for the tools you may use."
            ) from None
        mcp_result: dict[str, Any] = result.to_mcp(version)
        return mcp_result

    def scope_challenge(self, principal: Any, name: Any, arguments: Any, context: CallContext) -> None:
        """Raise InsufficientScope now if the call would: before a stream opens, a 403 can still be sent."""
        if isinstance(name, str):
            scope_challenge(self.runtime, tool_call(principal, name, arguments, context))


def tool_call(principal: Principal, name: str, arguments: Any, context: CallContext) -> ToolCall:
    """The call object of one tools/call: what the transport knows, nothing from Flask."""
    token = (context.request_meta or {}).get("progressToken")
    return ToolCall(
        principal, name, arguments, context.correlation_id or correlation_id_from(None),
        transport=context.transport, request_id=str(context.request_id) if context.request_id is not None else None,
        progress=progress_notifier(token, context), cancelled=context.cancelled, selection=context.selection,
        ask_user=context.ask,
    )
