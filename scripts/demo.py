"""`make demo`: the Gitea emulator with demo data and the service in API-key mode, until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import GunicornServer, base_env, free_port


def banner(server: GunicornServer, emulator: EmulatorProcess, key: str) -> str:
    alice = emulator.credentials["users"]["alice"]
    return f"""
AegisGitea MCP demo is running (Ctrl-C stops both processes).

  MCP endpoint (Streamable HTTP): {server.url}/mcp
  Legacy SSE endpoint:            {server.url}/mcp/sse
  Tool list (no auth):            {server.url}/mcp/tools
  API key:                        {key}
  Gitea emulator:                 {emulator.base_url}  (user alice / {alice['password']})
  Service log:                    {server.log_path}
  Audit log:                      {server.env['AUDIT_LOG_PATH']}

Connect Claude Code:
  claude mcp add --transport http aegis-gitea {server.url}/mcp --header "Authorization: Bearer {key}"

Try it with curl:
  curl -s {server.url}/mcp/tool/call -H "Authorization: Bearer {key}" -H 'Content-Type: application/json' \\
    -d '{{"tool":"get_repository_info","arguments":{{"owner":"acme","repo":"service-a"}}}}'
"""


def main() -> int:
    # Each demo starts from fresh demo data; the audit log stays beside it for inspection.
    demo_dir = Path(tempfile.mkdtemp(prefix="aegis-demo-"))
    emulator = EmulatorProcess().start(str(demo_dir / "gitea"), seed="demo")
    key = secrets.token_urlsafe(48)
    env = base_env(
        GITEA_URL=emulator.base_url,
        GITEA_TOKEN=emulator.token("alice"),
        MCP_API_KEYS=key,
        MCP_PORT=os.environ.get("MCP_PORT", str(free_port())),
        AUDIT_LOG_PATH=str(demo_dir / "audit.log"),
    )
    server = GunicornServer(env)
    try:
        server.start()
        print(banner(server, emulator, key), flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        print("\nstopping…", flush=True)
        server.stop()
        emulator.stop()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
