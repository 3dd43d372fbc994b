"""Per-request authentication cost of a sealed token (target: median <= 50 us) and upstream calls it makes.

Gitea is a counting HTTP server on loopback: any request the auth path sends upstream shows
up in its count. The API-key path is measured alongside for a side-by-side ratio.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.auth.authenticator import EXTENSION as AUTH_EXTENSION
from app.auth.sealed import SealedAccess

TARGET_US = 50.0
ROUNDS = 20_000
API_KEY = "bench-key-0123456789abcdef0123456789abcdef"


class CountingGitea(BaseHTTPRequestHandler):
    """Answers everything with 404 and counts it."""

    hits = 0

    def do_GET(self) -> None:
        self._count()

    def do_POST(self) -> None:
        self._count()

    def _count(self) -> None:
        CountingGitea.hits += 1
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


def build(gitea_url: str, **extra: str) -> Any:
    state = tempfile.mkdtemp(prefix="aegis-bench-auth-")
    settings = {"GITEA_URL": gitea_url, "AUDIT_LOG_PATH": f"{state}/audit.log", "LOG_LEVEL": "WARNING",
                "DCR_STORAGE_PATH": f"{state}/dcr.json", **extra}
    return create_app(settings)


def timings(app: Any, header: str) -> list[float]:
    authenticator = app.extensions[AUTH_EXTENSION]
    samples = []
    with app.app_context():
        authenticator.authenticate(header)  # the first request
        for _ in range(ROUNDS):
            started = time.perf_counter_ns()
            authenticator.authenticate(header)
            samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def sealed_header(app: Any) -> str:
    facade = app.extensions["aegis.oauth"]
    access = SealedAccess("alice", frozenset({"read:repository"}), "bench-client", "gitea-access-token-" + "x" * 300,
                          int(time.time()) + 3600, "bench-jti")
    return "Bearer " + facade.codec.seal_access(access)


def report(label: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    median, p99 = statistics.median(ordered), ordered[int(len(ordered) * 0.99)]
    print(f"{label:<34} median {median:7.2f} us   p99 {p99:7.2f} us   ratio to target {median / TARGET_US:5.2f}")
    return median


def main() -> int:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), CountingGitea)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    gitea_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    oauth = build(gitea_url, OAUTH_MODE="true", GITEA_OAUTH_CLIENT_ID="bench", GITEA_OAUTH_CLIENT_SECRET="bench",
                  OAUTH_STATE_SECRET="bench-state-secret-0123456789abcdef")
    api_keys = build(gitea_url, MCP_API_KEYS=API_KEY)
    print(f"{ROUNDS} authentications each, after one warm-up request")
    sealed = report("sealed token (JWE dir+A256GCM)", timings(oauth, sealed_header(oauth)))
    upstream = CountingGitea.hits
    keyed = report("API key (constant-time compare)", timings(api_keys, f"Bearer {API_KEY}"))
    print(f"sealed / API key: {sealed / keyed:5.2f}x")
    print(f"upstream calls made by {ROUNDS + 1} sealed-token authentications: {upstream}")
    httpd.shutdown()
    ok = sealed <= TARGET_US and upstream == 0
    print(f"{'PASS' if ok else 'FAIL'}: median {sealed:.2f} us (<= {TARGET_US} us), {upstream} upstream calls (0)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
