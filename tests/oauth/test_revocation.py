"""Revocation lives in the store: a reused refresh token or a replayed code revokes the grant family,
and every worker, a restarted gateway (with Redis) and the sealed access tokens all see it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from app.oauth.revocation import CHECK_SECONDS
from tests.fixtures.gunicorn import GunicornServer
from tests.fixtures.redis import RedisServer
from tests.oauth.conftest import Authorized, Stack, audit_events, authorize, call_tool, exchange

pytestmark = pytest.mark.timeout(120)
OWN_SERVERS = ("memory", "redis", "redis-peer")


@pytest.fixture(autouse=True)
def own_servers(stack: Stack) -> Iterator[None]:
    """Each test starts its own gateways (its own Redis, restarts) and stops them by PID at the end."""
    yield
    for name in OWN_SERVERS:
        stack.drop(name)


def tokens_of(stack: Stack, server: GunicornServer) -> tuple[Authorized, dict[str, Any]]:
    """A finished sign-in and its token response."""
    done = authorize(stack, server)
    response = exchange(server, done)
    assert response.status_code == 200, response.text
    return done, response.json()


def refresh(server: GunicornServer, done: Authorized, refresh_token: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": done.client_id}
    return requests.post(f"{server.url}/oauth/token", data=form, timeout=30)


def assert_refused_grant(response: requests.Response) -> None:
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def assert_invalid_token(response: requests.Response) -> None:
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def reuse_refresh_token(stack: Stack, server: GunicornServer) -> tuple[Authorized, dict[str, Any], dict[str, Any]]:
    """Sign in, rotate once, then present the first refresh token again: the family is revoked."""
    done, first = tokens_of(stack, server)
    rotated = refresh(server, done, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert call_tool(server, rotated.json()["access_token"]).status_code == 200
    assert_refused_grant(refresh(server, done, first["refresh_token"]))
    return done, first, rotated.json()


def test_refresh_token_reuse_revokes_the_family_access_tokens_too(stack: Stack, private_redis_server: RedisServer
                                                                   ) -> None:
    server = stack.server("redis", REDIS_URL=private_redis_server.url)
    done, first, second = reuse_refresh_token(stack, server)
    assert_refused_grant(refresh(server, done, second["refresh_token"]))
    assert_invalid_token(call_tool(server, second["access_token"]))
    assert_invalid_token(call_tool(server, first["access_token"]))


def test_refresh_token_reuse_stays_revoked_after_a_restart_with_redis(stack: Stack, private_redis_server: RedisServer
                                                                      ) -> None:
    server = stack.server("redis", REDIS_URL=private_redis_server.url)
    done, first, second = reuse_refresh_token(stack, server)
    restarted = stack.restart("redis")
    assert restarted.process is not None and server.process is not None
    assert restarted.process.pid != server.process.pid
    assert_refused_grant(refresh(restarted, done, first["refresh_token"]))
    assert_refused_grant(refresh(restarted, done, second["refresh_token"]))
    assert_invalid_token(call_tool(restarted, second["access_token"]))


def test_a_used_refresh_token_stays_used_after_a_restart_with_redis(stack: Stack, private_redis_server: RedisServer
                                                                    ) -> None:
    server = stack.server("redis", REDIS_URL=private_redis_server.url)
    done, first = tokens_of(stack, server)
    assert refresh(server, done, first["refresh_token"]).status_code == 200
    restarted = stack.restart("redis")
    assert_refused_grant(refresh(restarted, done, first["refresh_token"]))


def test_revocation_is_shared_by_gateways_on_one_redis(stack: Stack, private_redis_server: RedisServer) -> None:
    """Two gunicorn masters (two hosts behind one name) share Redis: a revocation at one holds at the other."""
    shared = {"REDIS_URL": private_redis_server.url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{stack.ports['redis']}",
              "DCR_STORAGE_PATH": f"{stack.state_dir}/dcr-shared/clients.json"}
    one, other = stack.server("redis", **shared), stack.server("redis-peer", **shared)
    done, first = tokens_of(stack, one)
    second = refresh(other, done, first["refresh_token"])
    assert second.status_code == 200, second.text
    access = second.json()["access_token"]
    assert call_tool(other, access).status_code == 200  # `other` has now seen this family unrevoked
    assert_refused_grant(refresh(one, done, first["refresh_token"]))  # reuse noticed at the first master
    revoked_at = time.monotonic()
    assert_refused_grant(refresh(other, done, second.json()["refresh_token"]))  # the token endpoint asks at once
    while call_tool(other, access).status_code == 200:
        assert time.monotonic() - revoked_at < CHECK_SECONDS + 2, "the revocation never reached the other gateway"
        time.sleep(0.2)
    assert_invalid_token(call_tool(other, access))


def test_without_redis_one_process_refuses_reuse_and_a_restart_forgets(stack: Stack) -> None:
    """The documented limit of the memory store (docs/Security.md): revocations die with the process."""
    server = stack.server("memory")
    assert "OAUTH_MODE without REDIS_URL" in server.logs() and "a restart forgets them" in server.logs()
    done, first, second = reuse_refresh_token(stack, server)
    assert_invalid_token(call_tool(server, second["access_token"]))
    restarted = stack.restart("memory")
    assert refresh(restarted, done, first["refresh_token"]).status_code == 200


def test_replayed_code_revokes_the_tokens_of_its_first_use(stack: Stack, server: GunicornServer) -> None:
    done, tokens = tokens_of(stack, server)
    assert call_tool(server, tokens["access_token"]).status_code == 200
    assert_refused_grant(exchange(server, done))
    assert_invalid_token(call_tool(server, tokens["access_token"]))
    assert_refused_grant(refresh(server, done, tokens["refresh_token"]))
    replays = [e for e in audit_events(server) if e["event"] == "security_event"
               and e["kind"] == "authorization_code_replay" and e["client_id"] == done.client_id]
    assert [e["severity"] for e in replays] == ["high"]


def test_replayed_code_revokes_across_a_restart_with_redis(stack: Stack, private_redis_server: RedisServer) -> None:
    server = stack.server("redis", REDIS_URL=private_redis_server.url)
    done, tokens = tokens_of(stack, server)
    restarted = stack.restart("redis")
    assert_refused_grant(exchange(restarted, done))
    assert_invalid_token(call_tool(restarted, tokens["access_token"]))


def test_sealed_tokens_fail_closed_when_redis_is_down(stack: Stack, private_redis_server: RedisServer) -> None:
    """Revocation cannot be checked without the store: 503 with Retry-After, never a pass."""
    server = stack.server("redis", REDIS_URL=private_redis_server.url)
    _, tokens = tokens_of(stack, server)
    private_redis_server.stop()
    response = call_tool(server, tokens["access_token"])
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
