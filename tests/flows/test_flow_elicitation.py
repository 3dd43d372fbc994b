"""A flagged write asks the user through MCP elicitation when the client declared it (2025-06-18+ legacy
session, Streamable HTTP with an SSE response): the question names source and sink, a confirmation lets the
write through and is audited as flow_confirmed, anything else refuses it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx2
import pytest
import requests
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client

from app.mcp.elicitation import ANSWER_SECONDS
from app.mcp.stream_caps import PENDING_QUESTIONS
from tests.flows.conftest import KEYS, FlowWorld, flow_world, text_of

pytestmark = pytest.mark.timeout(120)
READ = {"owner": "acme", "repo": "roadmap", "filepath": "notes/plan.md"}


def comment(title: str) -> dict[str, Any]:
    return {"owner": "acme", "repo": "docs", "title": title, "body": "launch code ROADMAP-4711"}


async def read_then_write(world: FlowWorld, key: str, answer: types.ElicitResult | None,
                          asked: list[str], title: str) -> Any:
    """In one legacy session with an elicitation callback (or none): a private read, then a public write."""
    async def confirm(_context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        assert answer is not None
        return answer

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    transport = streamable_http_client(f"{world.servers[0].url}/mcp", http_client=http)
    async with Client(transport, mode="legacy", elicitation_callback=confirm if answer else None) as client:
        assert (await client.call_tool("get_file_contents", READ)).is_error is False
        return await client.call_tool("create_issue", comment(title))


def events(world: FlowWorld, key_index: int, kind: str) -> list[dict[str, Any]]:
    client = f"api-key-{key_index + 1}"
    return [e for e in world.audit_entries() if e["event"] == kind and e["client_id"] == client]


def test_confirmed_flow_is_written_and_audited_as_flow_confirmed(sdk_world: FlowWorld) -> None:
    asked: list[str] = []
    accept = types.ElicitResult(action="accept", content={"allow": True})
    result = asyncio.run(read_then_write(sdk_world, KEYS[10], accept, asked, "confirmed flow"))
    assert result.is_error is False, result.content[0].text
    assert len(asked) == 1 and "acme/roadmap" in asked[0] and "acme/docs" in asked[0]
    [confirmed] = events(sdk_world, 10, "flow_confirmed")
    assert confirmed["decision"] == "allow" and confirmed["sources"][0]["repository"] == "acme/roadmap"
    assert not events(sdk_world, 10, "flow_denied")


@pytest.mark.parametrize("answer", [
    types.ElicitResult(action="decline"),
    types.ElicitResult(action="cancel"),
    types.ElicitResult(action="accept", content={"allow": False}),
], ids=["decline", "cancel", "accept-but-no"])
def test_anything_but_a_confirmation_refuses_the_write(sdk_world: FlowWorld, answer: types.ElicitResult) -> None:
    index = {"decline": 11, "cancel": 12}.get(answer.action, 13)
    asked: list[str] = []
    result = asyncio.run(read_then_write(sdk_world, KEYS[index], answer, asked, f"refused {index}"))
    assert result.is_error is True and "Refused by the flow guard" in result.content[0].text
    assert len(asked) == 1
    assert len(events(sdk_world, index, "flow_denied")) == 1 and not events(sdk_world, index, "flow_confirmed")


def test_client_without_elicitation_is_refused_without_being_asked(sdk_world: FlowWorld) -> None:
    result = asyncio.run(read_then_write(sdk_world, KEYS[14], None, [], "not asked"))
    assert result.is_error is True and "Refused by the flow guard" in text_of(result.model_dump())


def post(world: FlowWorld, host: int, body: dict[str, Any], session: str | None = None,
         stream: bool = False, *, key: str = KEYS[15]) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    if session:
        headers |= {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
    return requests.post(f"{world.servers[host].url}/mcp", json=body, headers=headers, stream=stream, timeout=60)


def sse_messages(response: requests.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines(decode_unicode=True):
        if line and line.startswith("data: "):
            yield json.loads(line[len("data: "):])


def test_the_answer_reaches_the_waiting_call_from_another_host(two_hosts: FlowWorld) -> None:
    hello = {"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}},
             "clientInfo": {"name": "raw", "version": "1"}}
    session = post(two_hosts, 0, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}
                   ).headers["Mcp-Session-Id"]
    post(two_hosts, 0, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    read = {"name": "get_file_contents", "arguments": READ}
    assert post(two_hosts, 1, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": read}, session).ok
    write = {"name": "create_issue", "arguments": comment("confirmed on another host")}
    with post(two_hosts, 0, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": write}, session,
              stream=True) as stream:
        messages = sse_messages(stream)
        question = next(messages)
        assert question["method"] == "elicitation/create" and "acme/roadmap" in question["params"]["message"]
        answer = {"jsonrpc": "2.0", "id": question["id"], "result": {"action": "accept", "content": {"allow": True}}}
        assert post(two_hosts, 1, answer, session).status_code == 202
        final = next(messages)
    assert final["id"] == 3 and final["result"]["isError"] is False, final
    assert final["result"]["structuredContent"]["title"] == "confirmed on another host"


@pytest.fixture(scope="module")
def asking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowWorld]:
    """One gateway with 1-second keep-alives, so a client that went away is noticed at once."""
    with ExitStack() as stack:
        yield flow_world(stack, tmp_path_factory.mktemp("flows-asking"), 1, SSE_KEEPALIVE_SECONDS="1",
                         GUNICORN_WORKERS="1", GUNICORN_THREADS="16")


def asking_session(world: FlowWorld, key: str) -> str:
    """A legacy session that declared elicitation and read a private file: its public writes are flagged."""
    hello = {"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}},
             "clientInfo": {"name": "raw", "version": "1"}}
    session = post(world, 0, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}, key=key
                   ).headers["Mcp-Session-Id"]
    post(world, 0, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session, key=key)
    read = {"name": "get_file_contents", "arguments": READ}
    assert post(world, 0, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": read}, session, key=key).ok
    return session


def flagged_write(world: FlowWorld, session: str, key: str, number: int) -> requests.Response:
    write = {"name": "create_issue", "arguments": comment(f"unanswered {number}")}
    return post(world, 0, {"jsonrpc": "2.0", "id": 100 + number, "method": "tools/call", "params": write}, session,
                stream=True, key=key)


def test_unanswered_questions_are_capped_per_credential(asking: FlowWorld) -> None:
    session = asking_session(asking, KEYS[20])
    waiting = [flagged_write(asking, session, KEYS[20], number) for number in range(PENDING_QUESTIONS)]
    try:
        for stream in waiting:
            assert next(sse_messages(stream))["method"] == "elicitation/create"
        refused = flagged_write(asking, session, KEYS[20], PENDING_QUESTIONS)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        error = refused.json()["error"]
        assert refused.json()["id"] == 100 + PENDING_QUESTIONS and "waiting for the user's confirmation" in error[
            "message"]
    finally:
        for stream in waiting:
            stream.close()


def test_a_client_that_goes_away_frees_its_question_and_the_write_is_refused(asking: FlowWorld) -> None:
    session = asking_session(asking, KEYS[21])
    with flagged_write(asking, session, KEYS[21], 0) as stream:
        assert next(sse_messages(stream))["method"] == "elicitation/create"
    # Gone: the wait ends at the next keep-alive (not after ANSWER_SECONDS) and the write is refused, audited.
    deadline = time.monotonic() + ANSWER_SECONDS / 2
    while not events(asking, 21, "flow_denied"):
        assert time.monotonic() < deadline, "the question kept waiting for a client that went away"
        time.sleep(0.2)
    assert not events(asking, 21, "flow_confirmed")
