"""The engine's view of the tool core: catalog definitions and the one execute_tool path."""

from __future__ import annotations

from typing import Any

from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.mcp.engine import CallContext, progress_notifier
from app.mcp.jsonrpc import INVALID_PARAMS, RpcError

# Public discovery shows what an authenticated caller holding every scope could use; the catalog then
# applies the principal-independent filters (write mode, tools the policy denies everywhere).
DISCOVERY_PRINCIPAL = Principal("discovery", frozenset({READ_SCOPE, WRITE_SCOPE}), None, "anonymous")


class CoreToolSurface:
    """Adapts app.tools (Catalog, execute_tool, ToolContext, UnknownTool) to the engine."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog

    def definitions(self, principal: Any, version: str) -> list[dict[str, Any]]:
        return [tool.definition(version) for tool in self.catalog.visible_tools(principal)]

    def public_definitions(self, version: str) -> list[dict[str, Any]]:
        """The unauthenticated GET /mcp/tools list: tools/list's filtering, without per-caller scope."""
        return self.definitions(DISCOVERY_PRINCIPAL, version)

    def call(
        self, principal: Any, name: str, arguments: dict[str, Any], version: str, context: CallContext
    ) -> dict[str, Any]:
        from app.tools.core import ToolContext, UnknownTool, execute_tool

        token = (context.request_meta or {}).get("progressToken")
        tool_context = ToolContext(
            request_id=str(context.request_id) if context.request_id is not None else None,
            progress=progress_notifier(token, context),
            cancelled=context.cancelled,
        )
        try:
            result = execute_tool(principal, name, arguments, tool_context)
        except UnknownTool:
            raise RpcError(
                INVALID_PARAMS, f"Unknown tool: {name}. Call tools/list for the tools you may use."
            ) from None
        mcp_result: dict[str, Any] = result.to_mcp(version)
        return mcp_result
