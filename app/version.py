"""The release of AegisGitea MCP (one place; the package, the MCP serverInfo and GET / read it)."""

__version__ = "0.1.0"
