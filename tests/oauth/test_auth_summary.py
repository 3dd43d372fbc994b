"""oauth_auth_summary (spec/Troubleshooting.md): INFO on a token's first request, DEBUG on the repeats."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.conftest import Stack, authorize, call_tool, exchange

pytestmark = pytest.mark.timeout(120)


def summaries(server: GunicornServer, client_id: str) -> list[dict[str, Any]]:
    return [line for line in server.log_lines()
            if line.get("message") == "oauth_auth_summary" and line["context"].get("client_id") == client_id]


def test_first_request_with_a_token_logs_the_summary_at_info_and_the_second_does_not(
    stack: Stack, server: GunicornServer
) -> None:
    done = authorize(stack, server)
    token = exchange(server, done).json()["access_token"]
    exchanged = summaries(server, done.client_id)
    assert [(s["level"], s["context"]["api_probe"]) for s in exchanged] == [("INFO", "pass")]
    assert call_tool(server, token).status_code == 200
    assert call_tool(server, token).status_code == 200
    after_calls = summaries(server, done.client_id)[len(exchanged):]
    assert len(after_calls) == 1  # the main server logs at INFO: the repeat (DEBUG) is not written
    first = after_calls[0]
    assert first["level"] == "INFO"
    assert first["context"]["api_probe"] == "skip:cached" and first["context"]["login"] == "alice"
    assert first["context"]["token_type"] == "sealed"
    assert first["context"]["scopes_effective"] == ["read:repository"]


def test_a_new_token_of_the_same_client_is_announced_again(stack: Stack, server: GunicornServer) -> None:
    done = authorize(stack, server)
    tokens = exchange(server, done).json()
    assert call_tool(server, tokens["access_token"]).status_code == 200
    refreshed = exchange(server, done, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert call_tool(server, refreshed["access_token"]).status_code == 200
    assert call_tool(server, refreshed["access_token"]).status_code == 200
    cached = [s for s in summaries(server, done.client_id) if s["context"]["api_probe"] == "skip:cached"]
    # one per access token, plus the refresh grant's own line at /oauth/token
    assert [s["level"] for s in cached] == ["INFO", "INFO", "INFO"]
