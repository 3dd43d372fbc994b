"""The MCP protocol engine: JSON-RPC, revisions, sessions and SSE framing; transports live in blueprints/mcp.py."""
