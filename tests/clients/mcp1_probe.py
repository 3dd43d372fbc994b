"""Run by .venv-mcp1's Python (mcp 1.x): connect over one transport, list tools, call one, print JSON.

Usage: mcp1_probe.py URL streamable|sse|websocket TOKEN [TOOL]   (TOOL: the tool to call, default get_repository_info)
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from typing import Any

import mcp.client.websocket as websocket_module
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError


def open_transport(url: str, kind: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if kind == "streamable":
        return streamablehttp_client(url, headers=headers)
    if kind == "sse":
        return sse_client(url, headers=headers)
    # websocket_client() takes no headers; give its connect call the Authorization header.
    websocket_module.ws_connect = functools.partial(websocket_module.ws_connect, additional_headers=headers)
    return websocket_module.websocket_client(url)


async def probe(url: str, kind: str, token: str, tool: str = "get_repository_info") -> dict[str, Any]:
    async with open_transport(url, kind, token) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            try:
                result = await session.call_tool(tool, {"owner": "acme", "repo": "service-a"})
            except McpError as exc:  # a protocol error (an unknown tool): report it like an error result
                return {"protocol_version": init.protocolVersion, "server": init.serverInfo.name,
                        "tools": [tool.name for tool in tools.tools], "is_error": True, "text": str(exc),
                        "structured": None}
            return {
                "protocol_version": init.protocolVersion,
                "server": init.serverInfo.name,
                "tools": [tool.name for tool in tools.tools],
                "is_error": result.isError,
                "text": result.content[0].text if result.content else "",
                "structured": result.structuredContent,
            }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(*sys.argv[1:5]))))
