"""Service-PAT mode, the opt-in raw Gitea token mode, and Client ID Metadata Documents."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.conftest import (
    CLIENT_REDIRECT,
    Authorized,
    DocumentServer,
    Stack,
    audit_events,
    authorize,
    authorize_url,
    call_tool,
    exchange,
    pkce,
    query_of,
)

pytestmark = pytest.mark.timeout(60)


# --- service-PAT mode ---------------------------------------------------------------------------------


def pat_token(stack: Stack, login: str) -> tuple[GunicornServer, str]:
    server = stack.server("pat", GITEA_TOKEN=stack.emulator.token("alice"))
    response = exchange(server, authorize(stack, server, stack.browser(login)))
    assert response.status_code == 200, response.text
    return server, response.json()["access_token"]


def test_service_pat_acts_where_the_user_may_read(stack: Stack) -> None:
    server, token = pat_token(stack, "bob")
    response = call_tool(server, token)
    assert response.status_code == 200
    assert response.json()["isError"] is False


def test_service_pat_refuses_a_repository_the_user_cannot_see_and_audits_it(stack: Stack) -> None:
    server, token = pat_token(stack, "bob")
    response = call_tool(server, token, owner="alice", repo="private-notes")
    assert response.json()["isError"] is True
    assert "bob" in response.json()["content"][0]["text"]
    denials = [e for e in audit_events(server) if e.get("kind") == "repository_permission_denied"]
    assert any(e["details"]["repository"] == "alice/private-notes" and e["principal"] == "bob" for e in denials)


def test_service_pat_write_needs_write_permission(stack: Stack) -> None:
    server, token = pat_token(stack, "bob")  # bob has write on acme/service-a, but his token is read-only
    response = call_tool(server, token, "test_create_label", owner="acme", repo="service-a")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def listed(server: GunicornServer, token: str, tool: str, **arguments: Any) -> dict[str, Any]:
    response = call_tool(server, token, tool, limit=50, **arguments)
    assert response.status_code == 200 and response.json()["isError"] is False, response.text
    return dict(response.json())


def test_service_pat_lists_only_the_repositories_the_user_may_see(stack: Stack) -> None:
    server, token = pat_token(stack, "bob")  # the PAT is alice's: it sees alice/private-notes
    result = listed(server, token, "list_repositories")
    names = {repo["full_name"] for repo in result["structuredContent"]["items"]}
    assert "alice/private-notes" not in names and "private-notes" not in result["content"][0]["text"]
    assert "acme/service-a" in names  # public, and bob's anyway
    assert result["structuredContent"]["total"] is None  # alice's count would tell how many are hidden
    org = listed(server, token, "list_org_repositories", org="acme")
    assert "acme/service-a" in {repo["full_name"] for repo in org["structuredContent"]["items"]}


def test_service_pat_lists_the_organizations_of_the_user(stack: Stack) -> None:
    server, token = pat_token(stack, "bob")
    orgs = listed(server, token, "list_organizations")
    assert [org["name"] for org in orgs["structuredContent"]["items"]] == ["acme"]  # bob is a member


def test_service_pat_still_shows_the_pat_owner_her_private_repositories(stack: Stack) -> None:
    server, token = pat_token(stack, "alice")
    names = {repo["full_name"] for repo in listed(server, token, "list_repositories")["structuredContent"]["items"]}
    assert {"alice/private-notes", "acme/service-a"} <= names


# --- raw Gitea tokens (OAUTH_ACCEPT_GITEA_TOKENS=true) -------------------------------------------------


def gitea_token_for(stack: Stack, client_id: str, client_secret: str, redirect_uri: str) -> str:
    """A Gitea OAuth access token issued to `client_id` for alice (the grant pre-approved at the emulator)."""
    gitea = stack.gitea_url
    requests.post(f"{gitea}/_emulator/oauth/grants", json={"login": "alice", "client_id": client_id,
                                                          "scope": "read:repository read:user"}, timeout=10)
    verifier, challenge = pkce()
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": "s",
             "code_challenge": challenge, "code_challenge_method": "S256", "scope": "read:repository read:user"}
    answer = requests.get(f"{gitea}/login/oauth/authorize?{urlencode(query)}", auth=("alice", "alice-password-1"),
                          allow_redirects=False, timeout=10)
    code = query_of(answer.headers["Location"])["code"]
    tokens = requests.post(f"{gitea}/login/oauth/access_token", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": redirect_uri,
        "client_id": client_id, "client_secret": client_secret})
    return str(tokens.json()["access_token"])


def test_raw_gitea_token_of_our_app_is_accepted_when_opted_in(stack: Stack) -> None:
    server = stack.server("raw", OAUTH_ACCEPT_GITEA_TOKENS="true")
    app = stack.emulator.credentials["oauth_app"]
    token = gitea_token_for(stack, app["client_id"], app["client_secret"], f"{server.url}/oauth/callback")
    assert call_tool(server, token).json()["isError"] is False
    assert call_tool(server, token).status_code == 200  # second time from the cache
    summaries = [line["context"] for line in server.log_lines() if line.get("message") == "oauth_auth_summary"]
    assert [s["api_probe"] for s in summaries if s["token_type"] == "jwt"] == ["pass"]


def test_raw_gitea_token_of_another_app_is_refused_even_when_opted_in(stack: Stack) -> None:
    server = stack.server("raw", OAUTH_ACCEPT_GITEA_TOKENS="true")
    other = requests.post(f"{stack.gitea_url}/_emulator/oauth/apps",
                          json={"name": "other", "redirect_uris": ["http://127.0.0.1:1/cb"]}, timeout=10).json()
    token = gitea_token_for(stack, other["client_id"], other["client_secret"], "http://127.0.0.1:1/cb")
    response = call_tool(server, token)
    assert response.status_code == 401
    assert call_tool(server, stack.emulator.token("alice")).status_code == 401  # a PAT never passes


def test_raw_gitea_token_of_the_expected_audience_is_accepted(stack: Stack) -> None:
    other = requests.post(f"{stack.gitea_url}/_emulator/oauth/apps",
                          json={"name": "sibling", "redirect_uris": ["http://127.0.0.1:1/cb"]}, timeout=10).json()
    server = stack.server("raw-expected", OAUTH_ACCEPT_GITEA_TOKENS="true",
                          OAUTH_EXPECTED_AUDIENCE=other["client_id"])
    token = gitea_token_for(stack, other["client_id"], other["client_secret"], "http://127.0.0.1:1/cb")
    assert call_tool(server, token).json()["isError"] is False


# --- Client ID Metadata Documents ----------------------------------------------------------------------


def test_metadata_document_client_consents_and_gets_a_token(stack: Stack, documents: DocumentServer) -> None:
    server = stack.server("cimd", OAUTH_CIMD_ALLOW_LOOPBACK="true")
    client_id = documents.url + "/client.json"
    verifier, challenge = pkce()
    browser = stack.browser()
    landed = browser.follow(authorize_url(server, client_id, challenge), CLIENT_REDIRECT)
    done = Authorized(client_id, query_of(landed)["code"], verifier, query_of(landed))
    assert exchange(server, done).status_code == 200
    assert documents.hits == 1  # cached after the first fetch
    page = stack.browser().request("GET", authorize_url(server, client_id, challenge))
    assert "Metadata Client" in page.text and "(metadata document)" in page.text


@pytest.mark.parametrize("path", ["/moved", "/huge", "/impostor"])
def test_unusable_metadata_document_is_refused(stack: Stack, documents: DocumentServer, path: str) -> None:
    server = stack.server("cimd", OAUTH_CIMD_ALLOW_LOOPBACK="true")
    _, challenge = pkce()
    response = requests.get(authorize_url(server, documents.url + path, challenge), allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
