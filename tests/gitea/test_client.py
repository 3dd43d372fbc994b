"""The shared client: credentials never cross between users, metrics name routes, connections are reused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from app.gitea import BoundGiteaClient, GiteaAuthError, GiteaClient, GiteaCredentials
from app.gitea.request import ALLOWED_WRITES, GiteaRequest, RefusedWrite
from tests.gitea.conftest import EmulatorControl

ACME = ("acme", "service-a")


def test_credentials_never_show_the_token(tokens: dict[str, dict[str, str]], gitea: GiteaClient) -> None:
    secret = tokens["alice"]["full"]
    credentials = GiteaCredentials("token", secret)
    for text in (repr(credentials), str(credentials), repr(gitea.bind(credentials)), f"{credentials}"):
        assert secret not in text


def test_credentials_refuse_header_injection() -> None:
    with pytest.raises(ValueError):
        GiteaCredentials("token", "abc\r\nX-Sudo: admin")
    with pytest.raises(ValueError):
        GiteaCredentials("basic", "abc")


def test_concurrent_users_each_see_only_themselves(alice: BoundGiteaClient, bob: BoundGiteaClient) -> None:
    seen: dict[str, set[str]] = {"alice": set(), "bob": set()}
    gate = threading.Barrier(8)

    def act(name: str, client: BoundGiteaClient) -> None:
        gate.wait()
        for _ in range(25):
            seen[name].add(client.current_user()["login"])
            client.list_my_repos()

    threads = [threading.Thread(target=act, args=pair) for pair in [("alice", alice), ("bob", bob)] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"alice": {"alice"}, "bob": {"bob"}}


def test_trailing_slash_in_gitea_url_is_ignored(emulator_url: str, tokens: dict[str, dict[str, str]]) -> None:
    client = GiteaClient(emulator_url + "/", timeout=5, pool_size=1, max_file_bytes=1024)
    assert client.api_url == emulator_url + "/api/v1"
    assert client.bind(GiteaCredentials("token", tokens["bob"]["full"])).current_user()["login"] == "bob"
    client.close()


def test_metrics_are_labelled_by_route_template(alice: BoundGiteaClient, bob: BoundGiteaClient) -> None:
    labels = {"route": "GET /repos/{owner}/{repo}", "status": "200"}
    before = REGISTRY.get_sample_value("aegis_gitea_requests_total", labels) or 0
    alice.get_repository(*ACME)
    assert REGISTRY.get_sample_value("aegis_gitea_requests_total", labels) == before + 1
    not_found = {"route": "GET /repos/{owner}/{repo}", "status": "404"}
    before_404 = REGISTRY.get_sample_value("aegis_gitea_requests_total", not_found) or 0
    with pytest.raises(Exception):  # noqa: B017 - the type is tested elsewhere; the count is the point
        bob.get_repository("alice", "private-notes")
    assert REGISTRY.get_sample_value("aegis_gitea_requests_total", not_found) == before_404 + 1
    assert (REGISTRY.get_sample_value("aegis_gitea_request_duration_seconds_count",
                                      {"route": "GET /repos/{owner}/{repo}"}) or 0) >= 2
    routes = {s.labels.get("route", "") for m in REGISTRY.collect() for s in m.samples
              if s.name.startswith("aegis_gitea_")}
    assert not any("acme" in route or "private-notes" in route for route in routes)


def test_sequential_calls_reuse_one_connection(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    for _ in range(50):
        alice.get_repository(*ACME)
    stats = control.stats()
    assert stats["requests"] == 50
    assert stats["connections"] <= 2


def test_netrc_credentials_never_replace_or_add_an_identity(
    gitea: GiteaClient, alice: BoundGiteaClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password bob-password-1\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert alice.current_user()["login"] == "alice"
    with pytest.raises(GiteaAuthError):
        gitea.bind(None).current_user()  # anonymous stays anonymous


REFUSED_CALLS = [
    GiteaRequest("DELETE", "/repos/{owner}/{repo}/issues/{index}/labels/{id}", {"owner": "acme", "repo": "service-a",
                                                                         "index": 1, "id": 1}),
    GiteaRequest("delete", "/repos/{owner}/{repo}", {"owner": "acme", "repo": "service-a"}),
    GiteaRequest("POST", "/repos/{owner}/{repo}/contents/{filepath}", {"owner": "acme", "repo": "service-a",
                                                               "filepath": "README.md"}, body={"content": "eA=="}),
    GiteaRequest("PUT", "/repos/{owner}/{repo}/contents/{filepath}", {"owner": "acme", "repo": "service-a",
                                                              "filepath": "README.md"}, body={"content": "eA=="}),
    GiteaRequest("POST", "/repos/{owner}/{repo}/pulls/{index}/merge",
                 {"owner": "acme", "repo": "service-a", "index": 1}, body={"Do": "merge"}),
    GiteaRequest("PATCH", "/repos/{owner}/{repo}", {"owner": "acme", "repo": "service-a"}, body={"archived": True}),
]


@pytest.mark.parametrize("call", REFUSED_CALLS, ids=lambda c: c.route)
def test_send_refuses_every_write_outside_the_allow_list_before_any_request(
    call: GiteaRequest, gitea: GiteaClient, tokens: dict[str, dict[str, str]], control: EmulatorControl,
    emulator_state: tuple[str, Path],
) -> None:
    log = emulator_state[1] / "requests.jsonl"
    logged_before = log.read_text(encoding="utf-8") if log.exists() else ""
    with pytest.raises(RefusedWrite) as refused:
        gitea.send(call, GiteaCredentials("token", tokens["alice"]["full"]))
    assert refused.value.status == 403 and call.template in refused.value.message
    assert control.stats()["requests"] == 0
    assert (log.read_text(encoding="utf-8") if log.exists() else "") == logged_before
    gitea.bind(GiteaCredentials("token", tokens["alice"]["full"])).get_repository(*ACME)
    assert control.stats()["requests"] == 1  # the counter does count what is sent


def test_allowed_writes_are_the_write_tools_endpoints_and_none_deletes_merges_or_writes_content() -> None:
    assert {method for method, _ in ALLOWED_WRITES} == {"POST", "PATCH", "PUT"}
    assert not [t for _, t in ALLOWED_WRITES if "/contents" in t or "/merge" in t or t.count("/") < 4]


class CookieSettingGitea(BaseHTTPRequestHandler):
    """A Gitea stand-in that sets a cookie on every answer (and on a redirect) and notes the cookies it receives."""

    received: list[str | None] = []

    def do_GET(self) -> None:
        self.received.append(self.headers.get("Cookie"))
        login = "alice" if "alice" in self.headers.get("Authorization", "") else "bob"
        if self.path.endswith("/repos/acme/old-name"):
            self.send_response(301)
            self.send_header("Location", "/api/v1/repos/acme/service-a")
            self.send_header("Set-Cookie", f"redirected_{login}=1; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"login": login, "full_name": "acme/service-a"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", f"session_{login}=secret-of-{login}; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@contextmanager
def client_of(stand_in: type[BaseHTTPRequestHandler]) -> Iterator[GiteaClient]:
    """A GiteaClient talking to this Gitea stand-in, served on loopback for the block's duration."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), stand_in)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = GiteaClient(f"http://127.0.0.1:{server.server_address[1]}", timeout=5, pool_size=2, max_file_bytes=1024)
    try:
        yield client
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def test_a_cookie_gitea_sets_never_rides_along_on_any_later_request() -> None:
    with client_of(CookieSettingGitea) as client:
        for login in ("alice", "bob", "alice"):
            user = client.bind(GiteaCredentials("token", f"{login}-token"))
            assert user.current_user()["login"] == login
            assert user.get_repository("acme", "old-name")["full_name"] == "acme/service-a"  # through the redirect
    assert len(CookieSettingGitea.received) == 9 and set(CookieSettingGitea.received) == {None}


class LongNumberGitea(BaseHTTPRequestHandler):
    """A Gitea stand-in answering numbers past 64 bits, which a careless JSON reader turns into floats."""

    def do_GET(self) -> None:
        body = b'{"full_name": "acme/service-a", "id": 123456789012345678901234, "size": 18446744073709551617}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_numbers_past_64_bits_in_a_gitea_answer_are_read_exactly() -> None:
    with client_of(LongNumberGitea) as client:
        repo = client.bind(GiteaCredentials("token", "alice-token")).get_repository("acme", "service-a")
    assert repo["id"] == 123456789012345678901234 and repo["size"] == 18446744073709551617
