"""Discovery documents field by field: RFC 9728 protected-resource metadata and RFC 8414 server metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer, free_port
from tests.oauth.conftest import SERVER_APP, Stack, authorize

pytestmark = pytest.mark.timeout(120)
PRM_PATHS = (
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource/mcp/sse",
)
AS_PATH = "/.well-known/oauth-authorization-server"


@pytest.fixture(scope="module")
def read_only(stack: Stack) -> Iterator[GunicornServer]:
    """The same OAuth configuration as `main`, with WRITE_MODE=false."""
    env = stack._env("main", {"MCP_PORT": str(free_port()), "WRITE_MODE": "false"})
    running = GunicornServer(env, app=SERVER_APP).start()
    yield running
    running.stop()


def document(server: GunicornServer, path: str) -> dict[str, Any]:
    response = requests.get(server.url + path, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert "Access-Control-Allow-Origin" not in response.headers  # CORS only for admitted origins (app/cors.py)
    return dict(response.json())


def expected_prm(server: GunicornServer, scopes: list[str]) -> dict[str, Any]:
    return {
        "resource": f"{server.url}/mcp",
        "authorization_servers": [server.url],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "AegisGitea MCP",
    }


def test_every_prm_path_serves_the_whole_document_with_write_scope_in_write_mode(server: GunicornServer) -> None:
    for path in PRM_PATHS:
        assert document(server, path) == expected_prm(server, ["read:repository", "write:repository"]), path


def test_prm_offers_only_read_scope_when_write_mode_is_off(read_only: GunicornServer) -> None:
    for path in PRM_PATHS:
        assert document(read_only, path) == expected_prm(read_only, ["read:repository"]), path


def test_authorization_server_metadata_has_every_field(server: GunicornServer) -> None:
    assert document(server, AS_PATH) == {
        "issuer": server.url,
        "authorization_endpoint": f"{server.url}/oauth/authorize",
        "token_endpoint": f"{server.url}/oauth/token",
        "registration_endpoint": f"{server.url}/register",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "scopes_supported": ["read:repository", "write:repository"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
    }


def test_issuer_is_byte_identical_in_prm_as_metadata_and_the_authorization_response(
    stack: Stack, server: GunicornServer
) -> None:
    prm = requests.get(server.url + PRM_PATHS[1], timeout=10).content
    metadata = requests.get(server.url + AS_PATH, timeout=10).content
    issuer = f'"{server.url}"'.encode()
    assert b'"authorization_servers":[' + issuer in prm.replace(b" ", b"").replace(b"\n", b"")
    assert b'"issuer":' + issuer in metadata.replace(b" ", b"").replace(b"\n", b"")
    done = authorize(stack, server)
    assert done.code and done.params["iss"] == server.url and done.params["state"] == "client-state"


def test_an_error_redirect_also_carries_iss(stack: Stack, server: GunicornServer) -> None:
    refused = authorize(stack, server, scope="admin:everything")
    assert refused.params["error"] == "invalid_scope" and refused.params["iss"] == server.url
