"""The service's JSON (orjson, stdlib json for what orjson refuses): clients see the values stdlib json gave them."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.outcomes import json_response
from tests.fixtures.gunicorn import TEST_API_KEY, base_env

MCP_HEADERS = {
    "Authorization": f"Bearer {TEST_API_KEY}", "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list",
    "Accept": "application/json, text/event-stream", "Content-Type": "application/json",
}
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
AWKWARD_VALUES: dict[str, Any] = {
    "non_str_keys": {1: "one", None: "none", False: "no", 2.5: "float"},
    "lone_surrogate": "broken \ud800 text",
    "huge_int": 2**70,
    "negative_huge_int": -(2**64),
    "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "unicode": "grüße ✓ 😀",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    env = base_env(AUDIT_LOG_PATH=str(Path(tmp_path_factory.mktemp("json")) / "audit.log"))
    app = create_app({k: v for k, v in env.items() if k.isupper()})
    app.add_url_rule("/test/awkward/<name>", "awkward", lambda name: json_response({"value": AWKWARD_VALUES[name]}))
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.parametrize("name", sorted(AWKWARD_VALUES))
def test_values_orjson_refuses_or_renders_differently_reach_the_client_as_stdlib_json_had_them(
    client: FlaskClient, name: str
) -> None:
    response = client.get(f"/test/awkward/{name}")
    expected = json.loads(json.dumps({"value": AWKWARD_VALUES[name]}, default=Flask.json_provider_class.default))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.data) == expected


def test_json_bodies_are_compact_utf8() -> None:
    from app.json_codec import encode

    assert encode({"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()


def test_error_bodies_keep_their_shape(client: FlaskClient) -> None:
    response = client.get("/no/such/endpoint")
    body = json.loads(response.data)
    assert response.status_code == 404 and body["error"]["code"] == "not_found" and body["error"]["request_id"]


def post_mcp(client: FlaskClient, data: bytes | str) -> tuple[int, Any]:
    response = client.post("/mcp", data=data, headers=MCP_HEADERS)
    return response.status_code, json.loads(response.data)


@pytest.mark.parametrize("request_id", [123456789012345678901234, -(2**64) - 1, 2**63, 7])
def test_integer_request_ids_of_any_size_are_echoed_exactly(client: FlaskClient, request_id: int) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": {"_meta": META}})
    status, reply = post_mcp(client, body)
    assert status == 200 and reply["id"] == request_id and isinstance(reply["id"], int)
    assert any(tool["name"] == "get_repository_info" for tool in reply["result"]["tools"])


@pytest.mark.parametrize("body", [b"{nope", b"", b"\xff\xfe", b'{"jsonrpc": "2.0", "id": 1', b"[1, 2"])
def test_text_that_is_not_json_is_a_parse_error(client: FlaskClient, body: bytes) -> None:
    status, reply = post_mcp(client, body)
    assert (status, reply["error"]["code"], reply["id"]) == (400, -32700, None)


@pytest.mark.parametrize("text", [
    '{"jsonrpc": "2.0", "id": "a\\ud800", "method": "tools/list", "params": {"_meta": %s}}',
    '\ufeff{"jsonrpc": "2.0", "id": "bom", "method": "tools/list", "params": {"_meta": %s}}',
    '{"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"_meta": %s, "x": NaN}}',
])
def test_json_stdlib_accepted_is_still_accepted(client: FlaskClient, text: str) -> None:
    """Escaped lone surrogates, a UTF-8 byte order mark and NaN: orjson refuses them, stdlib json did not."""
    body = (text % json.dumps(META)).encode("utf-8")
    expected_id = json.loads(body)["id"]
    status, reply = post_mcp(client, body)
    assert status == 200 and reply["id"] == expected_id and "tools" in reply["result"]
