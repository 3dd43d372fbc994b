"""The per-credential stream cap counts a user's client, not each token: one OAuth user who mints (or refreshes)
many tokens for one client shares one cap, and another client of the same user has places of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.conftest import Stack, authorize, exchange

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def held() -> Iterator[list[requests.Response]]:
    streams: list[requests.Response] = []
    yield streams
    for stream in streams:
        stream.close()


@pytest.fixture
def server(stack: Stack) -> Iterator[GunicornServer]:
    yield stack.server("streams", MCP_MAX_STREAMS_PER_CREDENTIAL="1")
    stack.drop("streams")


def open_stream(server: GunicornServer, token: str) -> requests.Response:
    return requests.get(f"{server.url}/mcp/sse", stream=True, timeout=(5, 10),
                        headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})


def refreshed(server: GunicornServer, client_id: str, refresh_token: str) -> str:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    answer = requests.post(f"{server.url}/oauth/token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_many_tokens_of_one_user_and_client_share_one_stream_cap(stack: Stack, server: GunicornServer,
                                                                 held: list[requests.Response]) -> None:
    done = authorize(stack, server)
    tokens = exchange(server, done).json()
    second = refreshed(server, done.client_id, tokens["refresh_token"])  # a new access token, the first still valid
    held.append(open_stream(server, tokens["access_token"]))
    assert held[0].status_code == 200
    refused = open_stream(server, second)
    assert refused.status_code == 429 and "MCP_MAX_STREAMS_PER_CREDENTIAL=1" in refused.json()["error"]["message"]
    other_client = exchange(server, authorize(stack, server)).json()["access_token"]  # same user, another client
    held.append(open_stream(server, other_client))
    assert held[-1].status_code == 200
