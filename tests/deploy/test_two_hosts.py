"""Two hosts behind the shipped nginx: two gunicorn masters (2 workers each) on one Redis, one session
secret and one policy file, as docs/Deployment.md "Two hosts behind nginx" describes.

The tests run in file order on one fleet; the last one kills a host.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from app.audit.verify import verify_chain
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import ROOT, GunicornServer, base_env
from tests.fixtures.nginx import SHIPPED_SITE, NginxServer, loopback_site
from tests.fixtures.redis import RedisServer

pytestmark = pytest.mark.timeout(180)
SESSION_KEY = "sessions-key-0123456789abcdef0123456789abcdef"
LIMITED_KEY = "limited-key-0123456789abcdef0123456789abcdef"
METRICS_KEY = "metrics-key-0123456789abcdef0123456789abcdef"
FAILOVER_KEY = "failover-key-0123456789abcdef0123456789abcdef"
PER_KEY_LIMIT = 30
ACCEPT = "application/json, text/event-stream"
REPO = {"owner": "acme", "repo": "service-a"}


class NginxPair(NginxServer):
    """The shipped site with its one upstream server replaced by the two hosts (nothing else changed)."""

    def __init__(self, ports: tuple[int, int]) -> None:
        super().__init__(upstream_port=ports[0])
        self.ports = ports

    def write_config(self) -> Path:
        main = super().write_config()
        site = loopback_site(SHIPPED_SITE.read_text(), upstream_port=self.ports[0], https_port=self.https_port,
                             http_port=self.http_port, cert=self.cert, key=self.key, logs=self.prefix)
        one = f"server 127.0.0.1:{self.ports[0]};"
        assert site.count(one) == 1
        two = "\n    ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=30s;" for port in self.ports)
        (self.prefix / "aegis-mcp.conf").write_text(site.replace(one, two))
        return main


@dataclass
class Fleet:
    hosts: list[GunicornServer]
    nginx: NginxPair
    emulator: EmulatorProcess

    @property
    def url(self) -> str:
        return self.nginx.url

    @property
    def verify(self) -> str:
        return str(self.nginx.cert)

    def served_by(self, request_id: str) -> list[int]:
        """Which hosts' access logs show this request id."""
        return [n for n, host in enumerate(self.hosts)
                if any(line.get("request_id") == request_id for line in host.log_lines())]


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    state = Path(tempfile.mkdtemp(prefix="aegis-two-hosts-"))
    policy = state / "policy.yaml"
    policy.write_text("repositories:\n  acme/service-a: {paths: {deny: ['secrets/*']}}\n")
    emulator = EmulatorProcess().start(str(state / "emulator"))
    redis = RedisServer().start()
    hosts: list[GunicornServer] = []
    nginx: NginxPair | None = None
    try:
        shared = {
            "GITEA_URL": emulator.base_url, "GITEA_TOKEN": emulator.token("alice"), "REDIS_URL": redis.url,
            "MCP_SESSION_SECRET": "shared-session-secret-" + "x" * 42, "POLICY_FILE": str(policy),
            "MCP_API_KEYS": ",".join((SESSION_KEY, LIMITED_KEY, METRICS_KEY, FAILOVER_KEY)),
            "TOKEN_RATE_LIMIT_PER_MINUTE": str(PER_KEY_LIMIT), "TRUSTED_PROXY_COUNT": "1",
            "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
        }
        for _ in range(2):
            hosts.append(GunicornServer(base_env(**shared)).start())  # each its own AUDIT_LOG_PATH and metrics
        nginx = NginxPair((hosts[0].port, hosts[1].port)).start()
        yield Fleet(hosts, nginx, emulator)
    finally:
        if nginx is not None:
            nginx.stop()
        for host in hosts:
            host.stop()
        redis.stop()
        emulator.stop()


def rpc(method: str, params: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}


def initialize(url: str, version: str, verify: Any = True) -> str:
    body = rpc("initialize", {"protocolVersion": version, "capabilities": {},
                              "clientInfo": {"name": "t", "version": "1"}})
    headers = {"Authorization": f"Bearer {SESSION_KEY}", "Accept": ACCEPT}
    answer = requests.post(f"{url}/mcp", json=body, headers=headers, verify=verify, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["protocolVersion"] == version
    return answer.headers["Mcp-Session-Id"]


def in_session(url: str, session: str, version: str, message: dict[str, Any], *, verify: Any = True,
               request_id: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {SESSION_KEY}", "Accept": ACCEPT, "Mcp-Session-Id": session,
               "Mcp-Protocol-Version": version}
    if request_id:
        headers["X-Request-ID"] = request_id
    return requests.post(f"{url}/mcp", json=message, headers=headers, verify=verify, timeout=10)


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18"])
def test_a_legacy_session_works_whichever_host_answers(fleet: Fleet, version: str) -> None:
    one, other = fleet.hosts
    session = initialize(one.url, version)
    listed = in_session(other.url, session, version, rpc("tools/list"))  # opened on one host, used on the other
    assert listed.status_code == 200 and len(listed.json()["result"]["tools"]) > 10
    session = initialize(fleet.url, version, fleet.verify)  # and through nginx, round robin
    ids = [f"two-hosts-{version}-{n}-{uuid.uuid4().hex[:8]}" for n in range(6)]
    for n, request_id in enumerate(ids):
        call = rpc("tools/call", {"name": "get_repository_info", "arguments": REPO}, n + 2)
        answer = in_session(fleet.url, session, version, call, verify=fleet.verify, request_id=request_id)
        assert answer.status_code == 200 and answer.json()["result"]["isError"] is False, answer.text
    served = [fleet.served_by(request_id) for request_id in ids]
    assert all(len(hosts) == 1 for hosts in served)
    assert {hosts[0] for hosts in served} == {0, 1}, "nginx sent every request to one host"


def sse_events(response: requests.Response, into: list[tuple[str, str]]) -> None:
    event = "message"
    try:
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                into.append((event, line[6:]))
                event = "message"
    except (requests.RequestException, AttributeError):  # the test closed the stream under the reader
        return


def wait_for(events: list[tuple[str, str]], predicate: Any, timeout: float = 10) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in list(events):
            if predicate(event):
                return event
        time.sleep(0.05)
    raise AssertionError(f"no such event in {events}")


def test_an_sse_stream_on_one_host_carries_the_answers_to_messages_posted_at_the_other(fleet: Fleet) -> None:
    one, other = fleet.hosts
    headers = {"Authorization": f"Bearer {SESSION_KEY}", "Accept": "text/event-stream"}
    events: list[tuple[str, str]] = []
    with requests.get(f"{one.url}/mcp/sse", headers=headers, stream=True, timeout=30) as stream:
        reader = threading.Thread(target=sse_events, args=(stream, events), daemon=True)
        reader.start()
        endpoint = wait_for(events, lambda e: e[0] == "endpoint")[1]
        post_headers = {"Authorization": f"Bearer {SESSION_KEY}", "Accept": ACCEPT}
        init = rpc("initialize", {"protocolVersion": "2024-11-05", "capabilities": {},
                                  "clientInfo": {"name": "t", "version": "1"}}, 1)
        assert requests.post(other.url + endpoint, json=init, headers=post_headers, timeout=10).status_code == 202
        wait_for(events, lambda e: '"id":1' in e[1] and "protocolVersion" in e[1])
        for n, url in enumerate((other.url, one.url, fleet.url), start=2):  # the other host, its own, nginx
            call = rpc("tools/call", {"name": "get_repository_info", "arguments": REPO}, n)
            sent = requests.post(url + endpoint, json=call, headers=post_headers, verify=fleet.verify, timeout=10)
            assert sent.status_code == 202, sent.text
            answer = json.loads(wait_for(events, lambda e, n=n: f'"id":{n}' in e[1])[1])
            assert answer["result"]["isError"] is False


def test_rate_limits_count_exactly_across_both_hosts(fleet: Fleet) -> None:
    headers = {"Authorization": f"Bearer {LIMITED_KEY}"}
    call = {"tool": "get_repository_info", "arguments": REPO}
    codes, hosts = [], set()
    for n in range(PER_KEY_LIMIT + 5):
        request_id = f"limited-{n}-{uuid.uuid4().hex[:8]}"
        answer = requests.post(f"{fleet.url}/mcp/tool/call", json=call, headers={**headers, "X-Request-ID": request_id},
                               verify=fleet.verify, timeout=10)
        codes.append(answer.status_code)
        if n < 6:
            hosts.update(fleet.served_by(request_id))
    assert codes == [200] * PER_KEY_LIMIT + [429] * 5
    assert hosts == {0, 1}


def tool_calls_counted(host: GunicornServer) -> float:
    text = requests.get(f"{host.url}/metrics", timeout=10).text
    prefix = 'aegis_tool_calls_total{status="success",tool="get_repository_info"}'
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix))


def test_each_host_s_metrics_count_its_own_calls(fleet: Fleet) -> None:
    before = [tool_calls_counted(host) for host in fleet.hosts]
    headers = {"Authorization": f"Bearer {METRICS_KEY}"}
    for host, calls in zip(fleet.hosts, (3, 5), strict=True):
        for _ in range(calls):  # several requests, so both workers of a host answer some
            answer = requests.post(f"{host.url}/mcp/tool/call", json={"tool": "get_repository_info", "arguments": REPO},
                                   headers=headers, timeout=10)
            assert answer.status_code == 200
    after = [tool_calls_counted(host) for host in fleet.hosts]
    assert [b - a for a, b in zip(before, after, strict=True)] == [3, 5]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def kill_host(host: GunicornServer) -> None:
    """A host dies: SIGKILL its gunicorn master and that master's workers, each by PID."""
    assert host.process is not None
    workers = children_of(host.process.pid)
    assert len(workers) == 2
    host.process.send_signal(signal.SIGKILL)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):  # it may have gone with its master
            os.kill(pid, signal.SIGKILL)
    host.process.wait(timeout=10)
    # The host has died once its port refuses connections. Until then the kernel may still queue a
    # connection on the listening socket (a killed process's threads close its files only when the
    # last of them has exited, while its main thread already shows as a zombie); nginx would send the
    # POST on it, get a reset, and rightly not resend a POST to the other host: a 502.
    deadline = time.monotonic() + 10
    while not refuses(host.port):
        assert time.monotonic() < deadline, f"port {host.port} still accepts connections 10 s after the kill"
        time.sleep(0.02)


def refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:  # a timeout or reset: the socket is going away, not gone yet
        return False


def audited_correlations(host: GunicornServer) -> list[str]:
    path = Path(host.env["AUDIT_LOG_PATH"])
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e["correlation_id"] for e in lines if e.get("event") == "tool_invocation" and e.get("correlation_id")]


def test_killing_one_host_mid_run_loses_no_request_and_no_audit_entry(fleet: Fleet) -> None:
    session = initialize(fleet.url, "2025-06-18", fleet.verify)
    headers = {"Authorization": f"Bearer {FAILOVER_KEY}"}
    sent: list[str] = []
    for n in range(20):
        if n == 8:
            kill_host(fleet.hosts[0])
        correlation = f"failover-{n}-{uuid.uuid4().hex}"
        answer = requests.post(f"{fleet.url}/mcp/tool/call", json={"tool": "get_repository_info", "arguments": REPO},
                               headers={**headers, "X-Correlation-ID": correlation}, verify=fleet.verify, timeout=15)
        assert answer.status_code == 200, (n, answer.status_code, answer.text[:300])
        sent.append(correlation)
    # The legacy session opened before the kill goes on at the surviving host.
    listed = in_session(fleet.url, session, "2025-06-18", rpc("tools/list"), verify=fleet.verify)
    assert listed.status_code == 200
    audited = audited_correlations(fleet.hosts[0]) + audited_correlations(fleet.hosts[1])
    assert sorted(c for c in audited if c.startswith("failover-")) == sorted(sent)  # each exactly once
    for host in fleet.hosts:
        log = host.env["AUDIT_LOG_PATH"]
        assert verify_chain([log], require_genesis=True).ok
        verified = subprocess.run([sys.executable, "-m", "flask", "--app", "tests.audit.cli_app", "audit", "verify",
                                   "--from-genesis", log], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                  check=False)
        assert verified.returncode == 0, verified.stdout + verified.stderr
