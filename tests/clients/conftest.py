"""Client-driving tests reuse the MCP fixtures: the emulator and gunicorn in front of it."""

from tests.mcp.conftest import gitea, mcp_server  # noqa: F401 - re-exported fixtures
