"""The emulator process: keep-alive, counters, faults, request log, webhooks, token revocation, clean exit."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.process import EmulatorProcess
from tests.emulator.tests.conftest import Gitea

REPO = "/repos/acme/service-a"


@pytest.fixture(autouse=True)
def clean_controls(gitea: Gitea) -> Iterator[None]:
    """Each test starts with no faults and zero counters."""
    gitea.control("DELETE", "/faults")
    gitea.control("POST", "/stats/reset")
    yield
    gitea.control("DELETE", "/faults")


def test_one_session_keeps_one_connection(gitea: Gitea, alice: requests.Session) -> None:
    """300 requests (GETs and POSTs with bodies) through one Session use one TCP connection."""
    for number in range(150):
        assert alice.get(f"{gitea.api}{REPO}/topics", timeout=10).status_code == 200
        assert alice.post(f"{gitea.api}{REPO}/issues/1/comments", json={"body": f"ping {number}"},
                          timeout=10).status_code == 201
    assert gitea.control("GET", "/stats").json() == {"requests": 300, "connections": 1}


def test_separate_clients_count_as_separate_connections(gitea: Gitea) -> None:
    """Three plain requests.get calls open three connections."""
    for _ in range(3):
        requests.get(gitea.api + "/version", timeout=10)
    assert gitea.control("GET", "/stats").json() == {"requests": 3, "connections": 3}


def test_status_faults_fire_the_given_times_then_stop(gitea: Gitea, alice: requests.Session) -> None:
    """A 500 armed once fails one request with Gitea's error shape (still recorded), then the route works again."""
    path = f"/api/v1{REPO}"
    assert gitea.control("POST", "/faults", json={"method": "GET", "path": path, "kind": "500", "times": 1}).ok
    failed = alice.get(gitea.base_url + path, timeout=10)
    assert (failed.status_code, set(failed.json())) == (500, {"message", "url"})
    last = Path(gitea.process.state_dir, "requests.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last)["template"] == "/repos/{owner}/{repo}"
    assert alice.get(gitea.base_url + path, timeout=10).status_code == 200


def test_429_carries_retry_after_and_globs_match(gitea: Gitea, alice: requests.Session) -> None:
    """A glob path matches any owner; 429 sends the configured Retry-After; other methods pass."""
    spec = {"method": "GET", "path": "/api/v1/repos/*/service-a/topics", "kind": "429", "retry_after": 7}
    gitea.control("POST", "/faults", json=spec)
    limited = alice.get(f"{gitea.api}{REPO}/topics", timeout=10)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert alice.get(f"{gitea.api}{REPO}", timeout=10).status_code == 200
    gitea.control("POST", "/faults", json={"method": "GET", "path": "/api/v1/version", "kind": "502"})
    assert requests.get(gitea.api + "/version", timeout=10).status_code == 502
    gitea.control("DELETE", "/faults")
    assert requests.get(gitea.api + "/version", timeout=10).status_code == 200


def test_a_fault_with_a_rate_fails_that_share_of_requests_and_counts_its_hits(
    gitea: Gitea, alice: requests.Session
) -> None:
    """rate 0.25 over 400 requests: about 100 fail (seeded), and GET /faults reports exactly how many."""
    gitea.control("POST", "/faults", json={"method": "GET", "path": "/api/v1/version", "kind": "502", "rate": 0.25})
    failed = sum(alice.get(gitea.api + "/version", timeout=10).status_code == 502 for _ in range(400))
    assert 60 <= failed <= 140
    assert gitea.control("GET", "/faults").json()[0]["hits"] == failed
    refused = gitea.control("POST", "/faults", json={"path": "/api/v1/version", "kind": "502", "rate": 2})
    assert refused.status_code == 400 and "rate" in refused.json()["message"]


def test_connection_faults_break_the_transport(gitea: Gitea, alice: requests.Session) -> None:
    """reset drops the connection; truncated sends half a body; invalid_json is 200 with broken JSON."""
    for kind in ("reset", "truncated", "invalid_json", "latency"):
        gitea.control("POST", "/faults", json={"path": f"/api/v1{REPO}", "kind": kind, "times": 1, "latency_ms": 50})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{gitea.api}{REPO}", timeout=10)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        requests.get(f"{gitea.api}{REPO}", timeout=10)
    broken = requests.get(f"{gitea.api}{REPO}", timeout=10)
    assert broken.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        broken.json()
    assert alice.get(f"{gitea.api}{REPO}", timeout=10).json()["full_name"] == "acme/service-a"  # latency: slow, fine
    assert alice.get(f"{gitea.api}{REPO}", timeout=10).status_code == 200


def test_expect_continue_and_large_body_keep_the_connection_usable(gitea: Gitea) -> None:
    """curl-style `Expect: 100-continue` with a 200 KiB body, then another request on the same session."""
    session = gitea.session("alice")
    body = {"body": "x" * 200_000}
    created = session.post(f"{gitea.api}{REPO}/issues/1/comments", json=body, headers={"Expect": "100-continue"},
                           timeout=10)
    assert (created.status_code, len(created.json()["body"])) == (201, 200_000)
    assert session.get(gitea.api + "/version", timeout=10).status_code == 200
    assert gitea.control("GET", "/stats").json()["connections"] == 1


def test_bad_fault_is_refused(gitea: Gitea) -> None:
    """An unknown kind is a 400 from the control API."""
    assert gitea.control("POST", "/faults", json={"path": "/x", "kind": "explode"}).status_code == 400


def test_every_api_request_is_recorded_by_template(gitea: Gitea, alice: requests.Session) -> None:
    """requests.jsonl holds method, swagger template, query names and body field names."""
    alice.get(f"{gitea.api}{REPO}/contents/src/service_a/app.py", params={"ref": "develop"}, timeout=10)
    alice.patch(f"{gitea.api}{REPO}/issues/4", json={"title": "Document the deployment"}, timeout=10)
    lines = Path(gitea.process.state_dir, "requests.jsonl").read_text(encoding="utf-8").splitlines()
    read, write = (json.loads(line) for line in lines[-2:])
    assert read == {"method": "GET", "path": f"/api/v1{REPO}/contents/src/service_a/app.py",
                    "template": "/repos/{owner}/{repo}/contents/{filepath}", "query": ["ref"], "body": []}
    assert (write["template"], write["body"]) == ("/repos/{owner}/{repo}/issues/{index}", ["title"])


def test_revoked_token_is_401(gitea: Gitea) -> None:
    """After /_emulator/tokens/bob/revoke the token fails with 401."""
    session = gitea.session("bob", "read-all")
    assert session.get(gitea.api + "/user", timeout=10).status_code == 200
    token = gitea.process.token("bob", "read-all")
    assert gitea.control("POST", "/tokens/bob/revoke", json={"token": token}).json() == {"revoked": 1}
    assert session.get(gitea.api + "/user", timeout=10).status_code == 401


def test_a_bearer_with_a_dot_is_an_oauth_token(gitea: Gitea) -> None:
    """A JWT-looking bearer the OAuth provider does not know is a 401; the aegis-mcp app is registered."""
    response = requests.get(gitea.api + "/user", headers={"Authorization": "Bearer a.b.c"}, timeout=10)
    assert response.status_code == 401
    oauth_app = gitea.process.credentials["oauth_app"]
    assert oauth_app["client_id"] and oauth_app["client_secret"]
    discovery = requests.get(gitea.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert discovery["token_endpoint"] == gitea.base_url + "/login/oauth/access_token"


class _Receiver(BaseHTTPRequestHandler):
    """Keeps every POST it gets."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        """Store headers and body; answer 200."""
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A webhook receiver on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    server.shutdown()
    server.server_close()


def test_webhook_carries_gitea_headers_and_signature(gitea: Gitea, receiver: tuple[str, list[Any]]) -> None:
    """A PR comment event: X-Gitea-Event issue_comment, detailed type, HMAC over the exact 2-space JSON body."""
    url, received = receiver
    result = gitea.control("POST", "/webhooks/deliver", json={"url": url, "event": "pull_request_comment",
                                                               "secret": "s3cret"}).json()
    assert result["status"] == 200
    headers, body = received[0]
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert (headers["X-Gitea-Event"], headers["X-Gitea-Event-Type"]) == ("issue_comment", "pull_request_comment")
    assert (headers["X-Gitea-Signature"], headers["X-Hub-Signature-256"]) == (digest, f"sha256={digest}")
    assert headers["X-Gitea-Delivery"] == headers["X-GitHub-Delivery"] == result["delivery"]
    assert headers["X-Gogs-Event"] == "issue_comment"
    assert body.startswith(b'{\n  "action": "created"')
    payload = json.loads(body)
    assert payload["is_pull"] is True
    assert payload["issue"]["pull_request"] is not None


def test_push_webhook_payload(gitea: Gitea, receiver: tuple[str, list[Any]]) -> None:
    """A push event lists commits with added/removed/modified files; without a secret signatures are empty."""
    url, received = receiver
    gitea.control("POST", "/webhooks/deliver", json={"url": url, "event": "push"})
    headers, body = received[0]
    payload = json.loads(body)
    assert (payload["ref"], payload["total_commits"]) == ("refs/heads/main", 3)
    assert payload["head_commit"]["modified"] == ["CHANGELOG.md", "src/service_a/__init__.py"]
    assert (headers["X-Gitea-Signature"], headers["X-Hub-Signature-256"]) == ("", "sha256=")


def test_sigterm_exits_cleanly(tmp_path: Path) -> None:
    """An empty-seed emulator answers, then exits 0 on SIGTERM."""
    process = EmulatorProcess().start(str(tmp_path), seed="empty")
    try:
        assert requests.get(process.base_url + "/api/v1/user/repos", timeout=10,
                            headers={"Authorization": "token " + process.token("bob")}).json() == []
    finally:
        assert process.stop() == 0
