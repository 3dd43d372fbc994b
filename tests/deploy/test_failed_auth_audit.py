"""Every failed authentication is audited with a reason code and the client address, never the credential;
a flood is summarised per address and minute; the lockout still works; the chain still verifies."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.audit.verify import verify_chain
from app.auth.authenticator import Authenticator
from app.auth.failures import (
    EXPIRED_TOKEN,
    MALFORMED_AUTHORIZATION,
    MISSING_CREDENTIAL,
    UNKNOWN_API_KEY,
    AuthAttempt,
    FailedAuthAudit,
    TokenRejected,
)
from app.auth.sealed import SealedAccess
from app.config import Settings
from app.errors import Unauthorized
from app.store.memory import MemoryStore
from tests.fixtures.gunicorn import TEST_API_KEY, GunicornServer, base_env
from tests.fixtures.redis import RedisServer
from tests.oauth.conftest import Stack, call_tool, codec_for, stack
from tests.oauth.test_revocation import reuse_refresh_token

__all__ = ["stack"]  # the OAuth stack, for expired, invalid and revoked sealed tokens
pytestmark = pytest.mark.timeout(150)
BAD_KEY = "not-a-key-but-should-never-be-logged-0123456789abcdef"
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


# --- the rules, in one process -----------------------------------------------------------------------


class Recorded:
    """A stand-in AuditRecorder that keeps the security events it is given."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], str]] = []

    def record_security(self, context: Any, kind: str, details: dict[str, Any], severity: str = "warning") -> None:
        self.events.append((kind, details, severity))


def test_beyond_the_threshold_one_summary_with_the_count_follows_the_minute() -> None:
    now = [600.0]  # the start of minute 10
    scheduled: list[tuple[float, Callable[[], None]]] = []
    audit = Recorded()
    failures = FailedAuthAudit(MemoryStore(), audit, 3, clock=lambda: now[0],
                               schedule=lambda delay, action: scheduled.append((delay, action)))
    attempt = AuthAttempt("203.0.113.9", "/mcp", "req-1")
    for reason in [MISSING_CREDENTIAL, UNKNOWN_API_KEY, UNKNOWN_API_KEY] + [UNKNOWN_API_KEY] * 5 + [EXPIRED_TOKEN] * 2:
        now[0] += 1
        failures(reason, attempt)
    failures(UNKNOWN_API_KEY, AuthAttempt("198.51.100.1"))  # another address has its own budget
    kinds = [kind for kind, _, _ in audit.events]
    assert kinds == ["authentication_failed"] * 4
    first = audit.events[0]
    assert first[1] == {"reason": MISSING_CREDENTIAL, "client_address": "203.0.113.9", "route": "/mcp"}
    assert first[2] == "info" and audit.events[1][2] == "warning"
    assert "summarised" in audit.events[2][1]["note"]
    assert len(scheduled) == 1 and scheduled[0][0] == pytest.approx(60 - 4 + 1)  # the end of the minute, +1 s
    scheduled[0][1]()
    kind, summary, _ = audit.events[-1]
    assert kind == "authentication_failures_summarised"
    assert summary["failures"] == 10 and summary["summarised"] == 7 and summary["client_address"] == "203.0.113.9"
    assert summary["reasons"] == [{"reason": UNKNOWN_API_KEY, "count": 5}, {"reason": EXPIRED_TOKEN, "count": 2}]
    now[0] = 700.0  # the next minute starts afresh
    failures(UNKNOWN_API_KEY, attempt)
    assert audit.events[-1][0] == "authentication_failed"


def test_the_authenticator_names_the_reason_and_never_sees_the_request() -> None:
    settings = Settings.from_mapping({"MCP_API_KEYS": TEST_API_KEY, "GITEA_URL": "http://127.0.0.1:9"})
    seen: list[tuple[str, AuthAttempt]] = []
    authenticator = Authenticator(settings, lambda reason, attempt: seen.append((reason, attempt)))

    def expired(token: str) -> None:
        if token == "old":
            raise TokenRejected(EXPIRED_TOKEN)

    authenticator.register(expired)
    attempt = AuthAttempt("192.0.2.1", "/mcp", None)
    for header in (None, "Basic dXNlcjpwYXNz", "Bearer nope", "Bearer old"):
        with pytest.raises(Unauthorized):
            authenticator.authenticate(header, attempt)
    assert [reason for reason, _ in seen] == [MISSING_CREDENTIAL, MALFORMED_AUTHORIZATION, UNKNOWN_API_KEY,
                                              EXPIRED_TOKEN]
    assert all(found is attempt for _, found in seen)


# --- the real server ---------------------------------------------------------------------------------


def audit_lines(path: str) -> list[dict[str, Any]]:
    file = Path(path)
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()] if file.exists() else []


def failures_in(path: str) -> list[dict[str, Any]]:
    return [e for e in audit_lines(path) if e.get("kind", "").startswith("authentication_fail")]


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def server(redis: RedisServer) -> Iterator[GunicornServer]:
    """Two workers on one Redis: the threshold counts across both."""
    running = GunicornServer(base_env(REDIS_URL=redis.url, GUNICORN_WORKERS="2", AUTH_FAILURE_AUDIT_PER_MINUTE="4",
                                      MCP_SESSION_SECRET="s" * 64)).start()
    yield running
    running.stop()


def wait_for_minute_start() -> None:
    """Start a burst early in a wall-clock minute, so it does not straddle two windows."""
    if time.time() % 60 > 45:
        time.sleep(60 - time.time() % 60 + 0.5)


def test_each_failure_is_audited_with_reason_and_address_and_a_flood_is_summarised(server: GunicornServer) -> None:
    wait_for_minute_start()
    url = f"{server.url}/mcp"
    sent = [
        requests.post(url, json=PING, timeout=10),
        requests.post(url, json=PING, headers={"Authorization": "Basic Zm9vOmJhcg=="}, timeout=10),
        *[requests.post(url, json=PING, headers={"Authorization": f"Bearer {BAD_KEY}"}, timeout=10)
          for _ in range(8)],
    ]
    assert [r.status_code for r in sent] == [401] * 10
    path = server.env["AUDIT_LOG_PATH"]
    single = [e for e in failures_in(path) if e["kind"] == "authentication_failed"]
    assert [e["details"]["reason"] for e in single] == [MISSING_CREDENTIAL, MALFORMED_AUTHORIZATION,
                                                        UNKNOWN_API_KEY, UNKNOWN_API_KEY]
    assert {e["details"]["client_address"] for e in single} == {"127.0.0.1"}
    assert {e["details"]["route"] for e in single} == {"/mcp"}
    assert all(e["request_id"] for e in single)
    deadline = time.time() + 75  # the summary follows the end of the minute
    while not [e for e in failures_in(path) if e["kind"] == "authentication_failures_summarised"]:
        assert time.time() < deadline, "no summary entry after the minute ended"
        time.sleep(1)
    summary = next(e for e in failures_in(path) if e["kind"] == "authentication_failures_summarised")
    assert summary["details"]["failures"] == 10 and summary["details"]["summarised"] == 6
    assert summary["details"]["reasons"] == [{"reason": UNKNOWN_API_KEY, "count": 6}]
    raw = Path(path).read_text() + server.logs()
    assert BAD_KEY not in raw and "Zm9vOmJhcg" not in raw  # never the credential, in the audit or the logs
    assert verify_chain([path], require_genesis=True).ok


def test_the_lockout_still_locks_and_is_audited_after_the_failures(gunicorn_server: Callable[..., GunicornServer]
                                                                   ) -> None:
    server = gunicorn_server(MAX_AUTH_FAILURES="3", AUTH_FAILURE_WINDOW="60")
    headers = {"Authorization": f"Bearer {BAD_KEY}"}
    codes = [requests.post(f"{server.url}/mcp", json=PING, headers=headers, timeout=10).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    kinds = [e.get("kind") for e in audit_lines(server.env["AUDIT_LOG_PATH"]) if e.get("event") == "security_event"]
    assert kinds == ["authentication_failed"] * 3 + ["auth_failure_lockout"]


def test_expired_invalid_and_revoked_sealed_tokens_have_their_own_reasons(stack: Stack) -> None:
    server = stack.server("main")
    codec = codec_for(server)
    expired = codec.seal_access(SealedAccess("alice", frozenset({"read:repository"}), "c", "gitea-token",
                                             int(time.time()) - 120, "jti-expired"))
    forged = expired[:-8] + "AAAAAAAA"
    assert call_tool(server, expired).status_code == 401
    assert call_tool(server, forged).status_code == 401
    assert call_tool(server, "plain-unknown-token").status_code == 401
    _, _, rotated = reuse_refresh_token(stack, server)
    deadline = time.monotonic() + 5  # a worker may trust its last look at the family for CHECK_SECONDS
    while call_tool(server, rotated["access_token"]).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    reasons = [e["details"]["reason"] for e in failures_in(server.env["AUDIT_LOG_PATH"])
               if e["details"].get("route") == "/mcp/tool/call"]
    assert reasons[-4:] == ["expired_token", "invalid_token", "unknown_token", "revoked_token"]
    assert expired not in Path(server.env["AUDIT_LOG_PATH"]).read_text()
