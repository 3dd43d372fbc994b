"""Attacks on the facade, one test each, against the real gunicorn and the Gitea emulator."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwe, jwt
from joserfc.jwk import OctKey

from app.auth.sealed import SealedAccess
from tests.fixtures.gunicorn import GunicornServer
from tests.oauth.browser import Browser
from tests.oauth.conftest import (
    CLIENT_REDIRECT,
    TOKEN_KEYS,
    DocumentServer,
    Stack,
    authorize,
    authorize_url,
    call_tool,
    codec_for,
    exchange,
    pkce,
    query_of,
    register,
)

pytestmark = pytest.mark.timeout(60)


def assert_error_page_without_redirect(response: requests.Response) -> None:
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/callback",
    "http://127.0.0.1:7777/callback/../evil",
    "http://127.0.0.1:7777/callback?next=https://evil.example",
    "http://127.0.0.1:7777/callbackx",
    "http://127.0.0.1:7777@evil.example/callback",
    "http://127.0.0.1.evil.example:7777/callback",
    "http://localhost:7777/callback",
    "https://127.0.0.1:7777/callback",
    "javascript:alert(1)//127.0.0.1:7777/callback",
])
def test_open_redirect_variant_of_redirect_uri_gets_an_error_page(server: GunicornServer, redirect_uri: str) -> None:
    client = register(server)
    _, challenge = pkce()
    response = requests.get(authorize_url(server, client["client_id"], challenge, redirect_uri=redirect_uri),
                            allow_redirects=False, timeout=10)
    assert_error_page_without_redirect(response)


def test_loopback_redirect_may_change_only_its_port(stack: Stack, server: GunicornServer) -> None:
    client = register(server)
    _, challenge = pkce()
    url = authorize_url(server, client["client_id"], challenge, redirect_uri="http://127.0.0.1:9999/callback")
    assert requests.get(url, allow_redirects=False, timeout=10).status_code == 200  # the consent page


@pytest.mark.parametrize("redirect_uri", ["http://evil.example/cb", "https://evil.example/cb#frag", "ftp://x/cb"])
def test_registration_refuses_unsafe_redirect_uris(server: GunicornServer, redirect_uri: str) -> None:
    response = requests.post(f"{server.url}/register", json={"redirect_uris": [redirect_uri]}, timeout=10)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_redirect_uri")


def test_registration_body_is_bounded(server: GunicornServer) -> None:
    body = {"redirect_uris": [CLIENT_REDIRECT], "client_name": "x", "padding": "y" * 20000}
    response = requests.post(f"{server.url}/register", json=body, timeout=10)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client_metadata")


def test_registry_file_is_private_and_holds_no_secret(server: GunicornServer) -> None:
    import os
    import stat

    client = register(server, token_endpoint_auth_method="client_secret_post")
    path = server.env["DCR_STORAGE_PATH"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as registry:
        assert client["client_secret"] not in registry.read()


def callback_url(stack: Stack, server: GunicornServer) -> tuple[str, Browser]:
    """Run the flow until Gitea sends the browser to our callback; return that URL and the browser."""
    client = register(server)
    _, challenge = pkce()
    browser = stack.browser()
    landed = browser.follow(authorize_url(server, client["client_id"], challenge), f"{server.url}/oauth/callback")
    return landed, browser


def test_tampered_state_is_refused(stack: Stack, server: GunicornServer) -> None:
    landed, browser = callback_url(stack, server)
    params = query_of(landed)
    forged = params["state"][:-4] + ("0000" if not params["state"].endswith("0000") else "1111")
    response = browser.request("GET", f"{server.url}/oauth/callback?{urlencode({**params, 'state': forged})}")
    assert_error_page_without_redirect(response)


def test_replayed_state_is_refused(stack: Stack, server: GunicornServer) -> None:
    landed, browser = callback_url(stack, server)
    assert browser.request("GET", landed).status_code == 303
    assert_error_page_without_redirect(browser.request("GET", landed))


def test_state_from_another_browser_is_refused(stack: Stack, server: GunicornServer) -> None:
    landed, _ = callback_url(stack, server)
    assert_error_page_without_redirect(stack.browser().request("GET", landed))


def test_code_replay_is_refused(stack: Stack, server: GunicornServer) -> None:
    done = authorize(stack, server)
    assert done.params["iss"] == server.url
    assert exchange(server, done).status_code == 200
    again = exchange(server, done)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert again.headers["Cache-Control"] == "no-store"


def test_pkce_mismatch_is_refused(stack: Stack, server: GunicornServer) -> None:
    done = authorize(stack, server)
    wrong = exchange(server, done, code_verifier=pkce()[0])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")


def test_plain_pkce_is_refused_at_authorize(stack: Stack, server: GunicornServer) -> None:
    client = register(server)
    verifier, _ = pkce()
    url = authorize_url(server, client["client_id"], verifier, code_challenge_method="plain")
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_wrong_resource_at_authorize_is_invalid_target(stack: Stack, server: GunicornServer) -> None:
    client = register(server)
    _, challenge = pkce()
    url = authorize_url(server, client["client_id"], challenge, resource="https://other.example/mcp")
    params = query_of(requests.get(url, allow_redirects=False, timeout=10).headers["Location"])
    assert (params["error"], params["state"], params["iss"]) == ("invalid_target", "client-state", server.url)


def test_wrong_resource_at_token_is_invalid_target(stack: Stack, server: GunicornServer) -> None:
    done = authorize(stack, server)
    response = exchange(server, done, resource="https://other.example/mcp")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_target")


def test_unknown_scope_is_invalid_scope(stack: Stack, server: GunicornServer) -> None:
    client = register(server)
    _, challenge = pkce()
    url = authorize_url(server, client["client_id"], challenge, scope="read:repository admin:everything")
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    assert query_of(location)["error"] == "invalid_scope"


def sealed(server: GunicornServer, resource: str | None = None, expires_in: int = 600) -> str:
    access = SealedAccess("alice", frozenset({"read:repository"}), "c", "gitea-token", int(time.time()) + expires_in,
                          "jti")
    return codec_for(server, resource).seal_access(access)


def assert_invalid_token(response: requests.Response) -> None:
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_for_another_audience_is_refused(server: GunicornServer) -> None:
    assert_invalid_token(call_tool(server, sealed(server, resource="https://other.example/mcp")))


def test_expired_sealed_token_is_refused(server: GunicornServer) -> None:
    assert_invalid_token(call_tool(server, sealed(server, expires_in=-5)))


def test_tampered_sealed_token_is_refused(stack: Stack, server: GunicornServer) -> None:
    token = exchange(server, authorize(stack, server)).json()["access_token"]
    assert call_tool(server, token).status_code == 200
    header, key, iv, ciphertext, tag = token.split(".")
    flipped = ciphertext[:10] + ("A" if ciphertext[10] != "A" else "B") + ciphertext[11:]
    assert_invalid_token(call_tool(server, ".".join([header, key, iv, flipped, tag])))


def test_refresh_token_is_not_an_access_token(stack: Stack, server: GunicornServer) -> None:
    body = exchange(server, authorize(stack, server)).json()
    assert_invalid_token(call_tool(server, body["refresh_token"]))


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(server: GunicornServer) -> dict[str, object]:
    return {"iss": server.url, "aud": f"{server.url}/mcp", "sub": "alice", "scope": "read:repository",
            "cid": "c", "gt": "gitea-token", "exp": int(time.time()) + 600, "jti": "j"}


def test_alg_none_token_is_refused(server: GunicornServer) -> None:
    assert_invalid_token(call_tool(server, f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(server))}."))


def test_alg_none_shaped_as_jwe_is_refused(server: GunicornServer) -> None:
    header = b64({"alg": "none", "enc": "A256GCM", "kid": "k2", "typ": "at+jwt"})
    assert_invalid_token(call_tool(server, f"{header}..{b64({'x': 1})}.{b64(claims(server))}.AAAA"))


def our_key() -> OctKey:
    kid, encoded = TOKEN_KEYS.split(",")[0].split(":")
    return OctKey.import_key(base64.urlsafe_b64decode(encoded + "="), {"kid": kid})


def test_hs256_token_signed_with_our_key_is_refused(server: GunicornServer) -> None:
    """Algorithm confusion: a JWS MACed with the sealing key carries perfect claims and is still refused."""
    token = jwt.encode({"alg": "HS256", "kid": "k2", "typ": "at+jwt"}, claims(server), our_key(), algorithms=["HS256"])
    assert_invalid_token(call_tool(server, token))


def test_jwe_with_another_algorithm_is_refused(server: GunicornServer) -> None:
    """Algorithm confusion: A256KW with our key decrypts fine in a permissive library; we never try."""
    header = {"alg": "A256KW", "enc": "A256GCM", "kid": "k2", "typ": "at+jwt"}
    token = jwe.encrypt_compact(header, json.dumps(claims(server)), our_key(), algorithms=["A256KW", "A256GCM"])
    assert_invalid_token(call_tool(server, token))


def test_raw_gitea_token_is_refused_by_default(stack: Stack, server: GunicornServer) -> None:
    assert_invalid_token(call_tool(server, stack.emulator.token("alice")))


def consent_page(stack: Stack, server: GunicornServer) -> tuple[requests.Response, Browser]:
    client = register(server)
    _, challenge = pkce()
    browser = stack.browser()
    return browser.request("GET", authorize_url(server, client["client_id"], challenge)), browser


def hidden_fields(page: requests.Response) -> dict[str, str]:
    from tests.oauth.browser import HIDDEN

    return dict(HIDDEN.findall(page.text))


def test_consent_posted_without_csrf_token_is_refused(stack: Stack, server: GunicornServer) -> None:
    page, browser = consent_page(stack, server)
    fields = {**hidden_fields(page), "decision": "approve"}
    fields.pop("csrf_token")
    response = browser.request("POST", f"{server.url}/oauth/consent", fields)
    assert response.status_code == 403 and "Location" not in response.headers


def test_consent_posted_from_another_site_is_refused(stack: Stack, server: GunicornServer) -> None:
    page, browser = consent_page(stack, server)
    fields = {**hidden_fields(page), "decision": "approve"}
    response = browser.request("POST", f"{server.url}/oauth/consent", fields, {"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_consent_posted_by_another_browser_is_refused(stack: Stack, server: GunicornServer) -> None:
    page, _ = consent_page(stack, server)
    fields = {**hidden_fields(page), "decision": "approve"}
    assert stack.browser().request("POST", f"{server.url}/oauth/consent", fields).status_code == 403


def test_consent_page_refuses_to_be_framed(stack: Stack, server: GunicornServer) -> None:
    page, _ = consent_page(stack, server)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"


def test_denied_consent_redirects_access_denied_with_iss(stack: Stack, server: GunicornServer) -> None:
    client = register(server)
    _, challenge = pkce()
    landed = stack.browser().follow(authorize_url(server, client["client_id"], challenge), CLIENT_REDIRECT,
                                    approve=False)
    assert query_of(landed) == {"error": "access_denied", "error_description": "the user denied the request",
                                     "iss": server.url, "state": "client-state"}


@pytest.mark.parametrize("client_id", [
    "https://127.0.0.1/client.json",
    "https://169.254.169.254/latest/meta-data/client.json",
    "https://[::ffff:127.0.0.1]/client.json",
    "https://[::1]/client.json",
    "https://localhost/client.json",
    "https://10.0.0.1/client.json",
    "http://example.com/client.json",
])
def test_metadata_document_at_a_private_address_is_never_fetched(server: GunicornServer, client_id: str) -> None:
    _, challenge = pkce()
    response = requests.get(authorize_url(server, client_id, challenge), allow_redirects=False, timeout=10)
    assert_error_page_without_redirect(response)
    assert "refused" in response.text or "must be https" in response.text


UNSAFE_REDIRECTS = ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>",
                    "http://evil.example/cb"]


@pytest.mark.parametrize("redirect_uri", UNSAFE_REDIRECTS)
@pytest.mark.parametrize("response_type", ["code", "token"])  # token: an error that would be redirected
def test_metadata_document_with_unsafe_redirect_uri_gets_an_error_page(
        stack: Stack, documents: DocumentServer, redirect_uri: str, response_type: str) -> None:
    server = stack.server("cimd", OAUTH_CIMD_ALLOW_LOOPBACK="true")
    documents.redirect_uris["/unsafe.json"] = [redirect_uri]
    _, challenge = pkce()
    url = authorize_url(server, documents.url + "/unsafe.json", challenge, redirect_uri=redirect_uri,
                        response_type=response_type)
    response = stack.browser().request("GET", url)
    assert_error_page_without_redirect(response)
    assert "redirect_uris" in response.text


def test_metadata_document_with_one_unsafe_redirect_uri_is_refused_whole(
        stack: Stack, documents: DocumentServer) -> None:
    server = stack.server("cimd", OAUTH_CIMD_ALLOW_LOOPBACK="true")
    documents.redirect_uris["/mixed.json"] = [CLIENT_REDIRECT, "javascript:alert(document.domain)"]
    _, challenge = pkce()
    response = requests.get(authorize_url(server, documents.url + "/mixed.json", challenge), allow_redirects=False,
                            timeout=10)
    assert_error_page_without_redirect(response)


def test_metadata_document_with_unsafe_redirect_uri_is_invalid_client_at_the_token_endpoint(
        stack: Stack, documents: DocumentServer) -> None:
    server = stack.server("cimd", OAUTH_CIMD_ALLOW_LOOPBACK="true")
    documents.redirect_uris["/unsafe.json"] = ["http://evil.example/cb"]
    form = {"grant_type": "authorization_code", "code": "x", "client_id": documents.url + "/unsafe.json"}
    response = requests.post(f"{server.url}/oauth/token", data=form, timeout=10)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert "redirect_uris" in response.json()["error_description"]


def test_a_deeply_nested_token_header_is_an_invalid_token_not_a_500(server: GunicornServer) -> None:
    """Issue 20 review: the JWE header of a bearer token was parsed with stdlib json, whose RecursionError
    on 3,000 nested arrays escaped as a 500 with a traceback, to anyone, before any login."""
    header = base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=")
    for token in (f"{header}.a.b.c.d", f"{'A' * 5000}.a.b.c.d"):
        for path in ("/mcp", "/mcp/tool/call"):
            response = requests.post(f"{server.url}{path}", json={"tool": "get_repository_info"},
                                     headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 401, (path, response.status_code, response.text[:200])
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "RecursionError" not in server.logs() and "Traceback" not in server.logs()
