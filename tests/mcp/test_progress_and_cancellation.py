"""Progress streams and cancellation, with a stand-in tool surface that reports progress and waits."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.mcp.engine import CallContext, Engine, progress_notifier
from app.tools.selection import EVERYTHING, Selection
from tests.fixtures.gunicorn import TEST_LIMITS
from tests.mcp.conftest import modern_headers, modern_request

pytestmark = pytest.mark.timeout(30)


class SlowTools:
    """A stand-in catalog with one tool, `wait`, that reports progress then waits to be released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.saw_cancel = threading.Event()

    def definitions(self, principal: Any, version: str, selection: Selection = EVERYTHING) -> list[dict[str, Any]]:
        return self.public_definitions(version)

    def public_definitions(self, version: str, selection: Selection = EVERYTHING) -> list[dict[str, Any]]:
        return [{"name": "wait", "description": "waits", "inputSchema": {"type": "object"}}]

    def select(self, toolsets: list[tuple[str, str]], readonly: list[tuple[str, str | None]]) -> Selection:
        return EVERYTHING  # the stand-in has one tool and no toolsets to narrow

    def toolsets(self) -> dict[str, int]:
        return {"wait": 1}

    def call_result(self, principal: Any, name: str, arguments: dict[str, Any], context: CallContext) -> Any:
        raise NotImplementedError("the stand-in answers MCP calls only")

    def scope_challenge(self, principal: Any, name: Any, arguments: Any, context: CallContext) -> None:
        return None  # `wait` needs no scope beyond read

    def is_write(self, name: Any) -> bool:
        return False  # `wait` reads

    def call(self, principal: Any, name: str, arguments: dict[str, Any], version: str,
             context: CallContext) -> dict[str, Any]:
        report = progress_notifier((context.request_meta or {}).get("progressToken"), context)
        if report is not None:
            report(1, 2, "half way")
        while not self.release.wait(0.01):
            if context.cancelled.is_set():
                self.saw_cancel.set()
                return {"content": [{"type": "text", "text": "cancelled"}], "isError": True}
        return {"content": [{"type": "text", "text": "done"}], "isError": False}


@pytest.fixture
def app_and_tools() -> tuple[Flask, SlowTools]:
    app = create_app({
        **TEST_LIMITS, "GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": "k" * 40, "METRICS_ENABLED": "false",
        "AUDIT_LOG_PATH": "/tmp/aegis-mcp-test-audit.log",
    })
    tools = SlowTools()
    app.extensions["aegis.mcp"].engine = Engine(tools)
    return app, tools


def headers() -> dict[str, str]:
    return {**modern_headers("tools/call", name="wait"), "Authorization": "Bearer " + "k" * 40}


def events(chunks: Any) -> Any:
    for chunk in chunks:
        for block in chunk.decode().split("\n\n"):
            data = [line[5:].strip() for line in block.splitlines() if line.startswith("data:")]
            if data:
                yield json.loads(data[0])


def test_progress_token_turns_the_answer_into_an_sse_stream(app_and_tools: tuple[Flask, SlowTools]) -> None:
    app, tools = app_and_tools
    body = modern_request("tools/call", {"name": "wait", "arguments": {}})
    body["params"]["_meta"]["progressToken"] = "p1"
    response = app.test_client().post("/mcp", json=body, headers=headers(), buffered=False)
    assert response.mimetype == "text/event-stream"
    stream = events(response.response)
    progress = next(stream)
    assert progress == {"jsonrpc": "2.0", "method": "notifications/progress",
                        "params": {"progressToken": "p1", "progress": 1, "total": 2, "message": "half way"}}
    tools.release.set()
    final = next(stream)
    assert final["id"] == 1 and final["result"]["content"][0]["text"] == "done"
    assert final["result"]["resultType"] == "complete"


def test_closing_the_stream_cancels_the_call(app_and_tools: tuple[Flask, SlowTools]) -> None:
    app, tools = app_and_tools
    body = modern_request("tools/call", {"name": "wait", "arguments": {}})
    body["params"]["_meta"]["progressToken"] = 7
    response = app.test_client().post("/mcp", json=body, headers=headers(), buffered=False)
    next(events(response.response))
    response.close()  # what gunicorn does when the client goes away
    assert tools.saw_cancel.wait(5)


def test_legacy_notifications_cancelled_stops_the_running_request(app_and_tools: tuple[Flask, SlowTools]) -> None:
    app, tools = app_and_tools
    client = app.test_client()
    auth = {"Authorization": "Bearer " + "k" * 40}
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}}
    session = client.post("/mcp", json=init, headers=auth).headers["Mcp-Session-Id"]
    legacy = {**auth, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
    answer: dict[str, Any] = {}

    def call() -> None:
        call_body = {"jsonrpc": "2.0", "id": 42, "method": "tools/call", "params": {"name": "wait"}}
        answer.update(app.test_client().post("/mcp", json=call_body, headers=legacy).get_json())

    worker = threading.Thread(target=call)
    worker.start()
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 42, "reason": "user"}}
    while not tools.saw_cancel.is_set():
        assert client.post("/mcp", json=cancel, headers=legacy).status_code == 202
        tools.saw_cancel.wait(0.05)
    worker.join(5)
    assert answer["result"]["content"][0]["text"] == "cancelled"


