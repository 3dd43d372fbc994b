"""Run the emulator: python -m tests.emulator --host 127.0.0.1 --port PORT --state-dir DIR [--seed ...]."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.emulator.app import create_emulator, write_credentials
from tests.emulator.server import EmulatorServer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description="Gitea 1.27 emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state-dir", required=True, help="git repositories, credentials.json, requests.jsonl")
    parser.add_argument("--seed", default="demo", help="demo | empty | PATH.json")
    parser.add_argument("--oauth-redirect-uri", action="append", default=[], dest="redirect_uris")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Bind, seed, write credentials.json, serve until SIGTERM or SIGINT."""
    args = parse_args(argv)
    server = EmulatorServer(args.host, args.port)
    app = create_emulator(args.state_dir, f"http://{args.host}:{server.port}/", args.seed, args.redirect_uris)
    server.app = app
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    write_credentials(app, args.state_dir)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
