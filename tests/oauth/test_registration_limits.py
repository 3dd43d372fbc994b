"""Dynamic client registration under abuse: a per-address budget, and a cap that cannot lock new clients out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer, free_port
from tests.oauth.conftest import CLIENT_REDIRECT, SERVER_APP, Stack, authorize, exchange

pytestmark = pytest.mark.timeout(120)
DAY = 24 * 3600
Start = Callable[..., GunicornServer]


@pytest.fixture
def start(stack: Stack, tmp_path: Path) -> Iterator[Start]:
    """Factory: an OAuth server of its own (own port, own registry file) with extra settings."""
    started: list[GunicornServer] = []

    def run(**env: str) -> GunicornServer:
        settings = {"MCP_PORT": str(free_port()), "DCR_STORAGE_PATH": str(tmp_path / "clients.json"), **env}
        server = GunicornServer(stack._env("main", settings), app=SERVER_APP).start()
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


def registration(server: GunicornServer) -> requests.Response:
    body = {"redirect_uris": [CLIENT_REDIRECT], "client_name": "Limit test", "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"]}
    return requests.post(f"{server.url}/register", json=body, timeout=10)


def record(client_id: str, issued_ago: int, used_ago: int | None) -> dict[str, Any]:
    now = int(time.time())
    return {"client_id": client_id, "client_name": client_id, "redirect_uris": [CLIENT_REDIRECT],
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
            "application_type": "native", "source": "dcr", "issued_at": now - issued_ago,
            "last_used_at": 0 if used_ago is None else now - used_ago, "secret_hash": None, "metadata": {}}


def seed(path: Path, *records: dict[str, Any]) -> None:
    path.write_text(json.dumps({r["client_id"]: r for r in records}))
    path.chmod(0o600)


def registered(path: Path) -> set[str]:
    return set(json.loads(path.read_text()))


def known_to_authorize(server: GunicornServer, client_id: str) -> bool:
    params = {"client_id": client_id, "redirect_uri": CLIENT_REDIRECT}
    page = requests.get(f"{server.url}/oauth/authorize", params=params, allow_redirects=False, timeout=10)
    return "unknown client_id" not in page.text


def test_the_eleventh_registration_from_one_address_in_an_hour_gets_429_with_retry_after(start: Start) -> None:
    server = start(DCR_REGISTRATIONS_PER_HOUR="10")  # the default
    assert [registration(server).status_code for _ in range(10)] == [201] * 10
    refused = registration(server)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    error = refused.json()["error"]
    assert error["status"] == 429 and error["code"] == "rate_limited"
    assert "client registrations per hour" in error["message"]
    assert requests.get(f"{server.url}/.well-known/oauth-authorization-server", timeout=10).status_code == 200


def test_a_registration_never_used_for_a_week_is_dropped_to_make_room(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    seed(path, record("used", 30 * 60, 60), record("abandoned", 8 * DAY, None), record("new", 60, None))
    server = start(DCR_MAX_CLIENTS="3")
    assert known_to_authorize(server, "abandoned")
    created = registration(server)
    assert created.status_code == 201
    assert registered(path) == {"used", "new", created.json()["client_id"]}
    assert not known_to_authorize(server, "abandoned") and known_to_authorize(server, "used")


def test_at_the_cap_the_oldest_unused_client_gives_way(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    seed(path, record("used", 3 * DAY, 60), record("unused-2h", 2 * 3600, None),
         record("unused-1h", 3600, None))
    server = start(DCR_MAX_CLIENTS="3")
    created = registration(server)
    assert created.status_code == 201
    assert registered(path) == {"used", "unused-1h", created.json()["client_id"]}


def test_the_cap_still_holds_when_every_client_is_in_use_or_mid_authorization(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    seed(path, record("used", 3 * DAY, 60), record("also-used", DAY, 3600), record("just-registered", 60, None))
    server = start(DCR_MAX_CLIENTS="3")
    full = registration(server)
    assert full.status_code == 503 and full.json()["error"] == "temporarily_unavailable"
    assert registered(path) == {"used", "also-used", "just-registered"}


def test_a_token_exchange_marks_the_client_used(stack: Stack, server: GunicornServer) -> None:
    done = authorize(stack, server)
    path = Path(server.env["DCR_STORAGE_PATH"])
    assert json.loads(path.read_text())[done.client_id]["last_used_at"] == 0
    before = int(time.time())
    assert exchange(server, done).status_code == 200
    assert json.loads(path.read_text())[done.client_id]["last_used_at"] >= before
