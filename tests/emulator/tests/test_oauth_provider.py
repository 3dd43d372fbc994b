"""The emulator's OAuth2/OIDC provider behaves like Gitea 1.27's (shared/gitea/FACTS.md §1)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from werkzeug.serving import BaseWSGIServer, make_server

from tests.emulator.oauth import OAuthProvider

REDIRECT = "http://127.0.0.1:9/callback"  # never contacted: redirects are read, not followed


@dataclass
class Account:
    """A user as the emulator's model keeps one."""

    id: int
    login: str
    password: str
    email: str
    full_name: str = ""


USERS = {
    "alice": Account(1, "alice", "alice-pw", "alice@example.com", "Alice Liddell"),
    "bob": Account(2, "bob", "bob-pw", "bob@example.com"),
}
ALICE = ("alice", "alice-pw")


@dataclass
class Gitea:
    """A provider mounted on a tiny Flask app, served on a loopback port."""

    provider: OAuthProvider
    url: str
    server: BaseWSGIServer

    def register(self, confidential: bool = True) -> Client:
        """Register a fresh app so each test starts without grants."""
        client_id, secret = self.provider.register_app("test-app", [REDIRECT], confidential)
        return Client(client_id, secret)


@dataclass
class Client:
    """OAuth client credentials."""

    client_id: str
    secret: str


def serve(state_dir: Path, **options: Any) -> Gitea:
    """Start a threaded werkzeug server around a fresh provider."""
    app = Flask("oauth-provider-test")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    provider = OAuthProvider(url, USERS, str(state_dir), **options)
    app.register_blueprint(provider.blueprint())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Gitea(provider, url, server)


@pytest.fixture(scope="module")
def gitea(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gitea]:
    """One provider for the module; tests isolate themselves with fresh apps."""
    running = serve(tmp_path_factory.mktemp("gitea-state"))
    yield running
    running.server.shutdown()


@pytest.fixture
def client(gitea: Gitea) -> Client:
    """A fresh confidential app."""
    return gitea.register()


def pkce() -> tuple[str, str]:
    """Return (verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(
    gitea: Gitea, client: Client, user: tuple[str, str] | None = ALICE, /, **params: str
) -> requests.Response:
    """Send an authorize request, signed in with Basic user credentials (emulator extension)."""
    query = {"client_id": client.client_id, "redirect_uri": REDIRECT, "response_type": "code", "state": "st8"}
    return requests.get(
        f"{gitea.url}/login/oauth/authorize", params=query | params, auth=user, allow_redirects=False, timeout=10
    )


def redirect_params(response: requests.Response) -> dict[str, str]:
    """Return the query of a 303 to the client's redirect URI."""
    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def approved_code(gitea: Gitea, client: Client, scope: str, **params: str) -> str:
    """Pre-approve through the control route, then get a code without consent."""
    grant = {"login": "alice", "client_id": client.client_id, "scope": scope}
    assert requests.post(f"{gitea.url}/_emulator/oauth/grants", json=grant, timeout=10).status_code == 201
    return redirect_params(authorize(gitea, client, scope=scope, **params))["code"]


def token_request(gitea: Gitea, client: Client | None = None, /, **form: str) -> requests.Response:
    """POST the token endpoint, authenticating with client_secret_basic when `client` is given."""
    auth = (client.client_id, client.secret) if client else None
    return requests.post(f"{gitea.url}/login/oauth/access_token", data=form, auth=auth, timeout=10)


def tokens_for(gitea: Gitea, client: Client, scope: str = "openid profile email") -> dict[str, Any]:
    """Run a PKCE code flow for alice and return the token response."""
    verifier, challenge = pkce()
    code = approved_code(gitea, client, scope, code_challenge=challenge, code_challenge_method="S256")
    response = token_request(
        gitea, client, grant_type="authorization_code", code=code, code_verifier=verifier, redirect_uri=REDIRECT
    )
    assert response.status_code == 200, response.text
    return response.json()


def token_error(response: requests.Response) -> tuple[str, str]:
    """Assert Gitea's token error shape and return (error, description)."""
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "error_description"}
    return body["error"], body["error_description"]


def verified(gitea: Gitea, token: str) -> jwt.Token:
    """Verify a token's signature against the published JWKS, as a client would."""
    keys = KeySet.import_key_set(requests.get(f"{gitea.url}/login/oauth/keys", timeout=10).json())
    return jwt.decode(token, keys, algorithms=["RS256"])


def jwk_int(value: str) -> int:
    """Decode a JWK base64url integer."""
    return int.from_bytes(base64.urlsafe_b64decode(value + "=="), "big")


class FormFields(HTMLParser):
    """Collect the named inputs of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name"):
            self.fields[str(named["name"])] = named.get("value") or ""


def form_fields(page: str) -> dict[str, str]:
    """Return the named inputs of `page`."""
    parser = FormFields()
    parser.feed(page)
    return parser.fields


def test_discovery_document_lists_gitea_endpoints_and_capabilities(gitea: Gitea) -> None:
    doc = requests.get(f"{gitea.url}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == gitea.url + "/"
    assert doc["authorization_endpoint"] == gitea.url + "/login/oauth/authorize"
    assert doc["token_endpoint"] == gitea.url + "/login/oauth/access_token"
    assert doc["jwks_uri"] == gitea.url + "/login/oauth/keys"
    assert doc["userinfo_endpoint"] == gitea.url + "/login/oauth/userinfo"
    assert doc["introspection_endpoint"] == gitea.url + "/login/oauth/introspect"
    assert doc["response_types_supported"] == ["code", "id_token"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["scopes_supported"] == ["openid", "profile", "email", "groups"]
    assert doc["code_challenge_methods_supported"] == ["plain", "S256"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert "email_verified" in doc["claims_supported"]
    assert "token_endpoint_auth_methods_supported" not in doc


def test_browser_code_flow_with_pkce_signs_in_asks_consent_and_issues_gitea_tokens(gitea: Gitea) -> None:
    client, browser = gitea.register(), requests.Session()
    verifier, challenge = pkce()
    query = {"client_id": client.client_id, "redirect_uri": REDIRECT, "response_type": "code", "state": "xyz"}
    query |= {"scope": "openid profile email read:repository write:issue", "nonce": "n-1"}
    query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    first = browser.get(f"{gitea.url}/login/oauth/authorize", params=query, allow_redirects=False, timeout=10)
    assert first.status_code == 303 and first.headers["Location"].startswith("/user/login?redirect_to=")
    login_page = browser.get(gitea.url + first.headers["Location"], timeout=10)
    signed_in = browser.post(
        f"{gitea.url}/user/login",
        data=form_fields(login_page.text) | {"user_name": "alice", "password": "alice-pw"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"].startswith("/login/oauth/authorize?")
    consent = browser.get(gitea.url + signed_in.headers["Location"], allow_redirects=False, timeout=10)
    assert consent.status_code == 200 and 'action="/login/oauth/grant"' in consent.text
    granted = browser.post(
        f"{gitea.url}/login/oauth/grant",
        data=form_fields(consent.text) | {"granted": "true"},
        allow_redirects=False,
        timeout=10,
    )
    params = redirect_params(granted)
    assert params["state"] == "xyz" and params["code"].startswith("gta_")

    response = token_request(
        gitea,
        client,
        grant_type="authorization_code",
        code=params["code"],
        code_verifier=verifier,
        redirect_uri=REDIRECT,
    )
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600

    access = verified(gitea, body["access_token"]).claims
    assert set(access) == {"gnt", "tt", "exp", "iat"} and access["tt"] == 0
    assert access["exp"] - access["iat"] == 3600
    refresh = verified(gitea, body["refresh_token"]).claims
    assert refresh["tt"] == 1 and refresh["gnt"] == access["gnt"] and refresh["cnt"] == 1

    id_token = verified(gitea, body["id_token"]).claims
    assert id_token["iss"] == gitea.url + "/" and id_token["aud"] == [client.client_id]
    assert id_token["sub"] == "1" and id_token["nonce"] == "n-1"
    assert id_token["name"] == "Alice Liddell" and id_token["preferred_username"] == "alice"
    assert id_token["profile"] == gitea.url + "/alice"
    assert id_token["email"] == "alice@example.com" and id_token["email_verified"] is True
    assert "groups" not in id_token
    assert gitea.provider.resolve_access_token(body["access_token"]) == ("alice", ["write:issue", "read:repository"])


def test_token_kid_is_the_base64url_sha256_of_the_public_key(gitea: Gitea, client: Client) -> None:
    body = tokens_for(gitea, client)
    jwk = requests.get(f"{gitea.url}/login/oauth/keys", timeout=10).json()["keys"][0]
    assert {k: jwk[k] for k in ("kty", "alg", "use", "e")} == {"kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB"}
    public_key = RSAPublicNumbers(jwk_int(jwk["e"]), jwk_int(jwk["n"])).public_key()
    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert jwk["kid"] == kid
    for name in ("access_token", "refresh_token", "id_token"):
        header = json.loads(base64.urlsafe_b64decode(body[name].split(".")[0] + "=="))
        assert header["alg"] == "RS256" and header["kid"] == kid


def test_tampered_token_fails_jwks_verification(gitea: Gitea, client: Client) -> None:
    header, payload, signature = tokens_for(gitea, client)["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(json.dumps(claims | {"gnt": 999}).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        verified(gitea, f"{header}.{forged}.{signature}")
    assert gitea.provider.resolve_access_token(f"{header}.{forged}.{signature}") is None


def test_client_secret_post_is_accepted(gitea: Gitea, client: Client) -> None:
    code = approved_code(gitea, client, "openid")
    response = token_request(
        gitea,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=client.client_id,
        client_secret=client.secret,
    )
    assert response.status_code == 200 and set(response.json()) >= {"access_token", "id_token"}


def test_body_credentials_that_disagree_with_basic_header_are_an_invalid_request(gitea: Gitea, client: Client) -> None:
    other = gitea.register()
    code = approved_code(gitea, client, "")
    response = token_request(gitea, other, grant_type="authorization_code", code=code, client_id=client.client_id)
    assert token_error(response) == (
        "invalid_request",
        "client_id in request body inconsistent with Authorization header",
    )
    response = token_request(gitea, client, grant_type="authorization_code", code=code, client_secret="gto_wrong")
    assert token_error(response)[0] == "invalid_request"


def test_no_scope_field_and_no_id_token_without_openid(gitea: Gitea, client: Client) -> None:
    body = tokens_for(gitea, client, scope="read:repository")
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}


def test_authorization_code_is_single_use(gitea: Gitea, client: Client) -> None:
    code = approved_code(gitea, client, "openid")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert token_request(gitea, client, **form).status_code == 200
    assert token_error(token_request(gitea, client, **form)) == ("unauthorized_client", "client is not authorized")


def test_concurrent_redemptions_of_one_code_yield_one_token(gitea: Gitea, client: Client) -> None:
    code = approved_code(gitea, client, "openid")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda _: token_request(gitea, client, **form).status_code, range(8)))
    assert statuses == [200] + [400] * 7


def test_authorize_also_accepts_a_form_post(gitea: Gitea, client: Client) -> None:
    approved_code(gitea, client, "openid")
    form = {"client_id": client.client_id, "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid"}
    response = requests.post(
        f"{gitea.url}/login/oauth/authorize", data=form, auth=ALICE, allow_redirects=False, timeout=10
    )
    assert "code" in redirect_params(response) and "state" not in redirect_params(response)


def test_pkce_verifier_mismatch_is_rejected_and_the_code_survives(gitea: Gitea, client: Client) -> None:
    verifier, challenge = pkce()
    code = approved_code(gitea, client, "openid", code_challenge=challenge, code_challenge_method="S256")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    wrong = token_request(gitea, client, **form, code_verifier=pkce()[0])
    assert token_error(wrong) == ("unauthorized_client", "failed PKCE code challenge")
    assert token_error(token_request(gitea, client, **form))[1] == "failed PKCE code challenge"
    assert token_request(gitea, client, **form, code_verifier=verifier).status_code == 200


def test_plain_pkce_compares_the_verifier_itself(gitea: Gitea) -> None:
    public = gitea.register(confidential=False)
    consent = authorize(gitea, public, scope="", code_challenge="plain-secret-verifier", code_challenge_method="plain")
    assert consent.status_code == 200
    cookies = consent.cookies
    granted = requests.post(
        f"{gitea.url}/login/oauth/grant",
        data=form_fields(consent.text) | {"granted": "true"},
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )
    code = redirect_params(granted)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": public.client_id}
    assert token_error(token_request(gitea, **form, code_verifier="other"))[1] == "failed PKCE code challenge"
    assert token_request(gitea, **form, code_verifier="plain-secret-verifier").status_code == 200


def test_redirect_uri_must_repeat_the_authorized_one(gitea: Gitea, client: Client) -> None:
    code = approved_code(gitea, client, "openid")
    response = token_request(gitea, client, grant_type="authorization_code", code=code)
    assert token_error(response) == ("invalid_grant", "redirect_uri differs from the original authorization request")


def test_wrong_secret_fails_code_exchange_and_refresh_with_gitea_codes(gitea: Gitea, client: Client) -> None:
    refresh_token = tokens_for(gitea, client)["refresh_token"]
    impostor = Client(client.client_id, "gto_wrong")
    code = approved_code(gitea, client, "openid")
    exchange = token_request(gitea, impostor, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert token_error(exchange) == ("unauthorized_client", "invalid client secret")
    refresh = token_request(gitea, impostor, grant_type="refresh_token", refresh_token=refresh_token)
    assert token_error(refresh) == ("invalid_client", "invalid client secret")
    unknown = token_request(gitea, Client("nope", "x"), grant_type="refresh_token", refresh_token=refresh_token)
    assert token_error(unknown) == ("invalid_client", 'cannot load client with client id: "nope"')
    empty = token_request(gitea, grant_type="refresh_token", client_id=client.client_id, refresh_token=refresh_token)
    assert token_error(empty) == ("invalid_client", "invalid empty client secret")


def test_refresh_returns_new_access_refresh_and_id_tokens(gitea: Gitea, client: Client) -> None:
    first = tokens_for(gitea, client, scope="openid write:repository")
    response = token_request(gitea, client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token"}
    assert verified(gitea, body["refresh_token"]).claims["tt"] == 1
    assert gitea.provider.resolve_access_token(body["access_token"]) == ("alice", ["write:repository"])
    again = token_request(gitea, client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.status_code == 200  # old refresh tokens stay valid unless INVALIDATE_REFRESH_TOKENS


def test_refresh_rejects_garbage_and_other_clients_tokens(gitea: Gitea, client: Client) -> None:
    refresh_token = tokens_for(gitea, client)["refresh_token"]
    garbage = token_request(gitea, client, grant_type="refresh_token", refresh_token="not.a.jwt")
    assert token_error(garbage) == ("unauthorized_client", "unable to parse refresh token")
    other = gitea.register()
    stolen = token_request(gitea, other, grant_type="refresh_token", refresh_token=refresh_token)
    assert token_error(stolen) == ("invalid_grant", "refresh token belongs to a different client")


def test_unsupported_grant_type_is_named(gitea: Gitea, client: Client) -> None:
    response = token_request(gitea, client, grant_type="client_credentials")
    assert token_error(response) == (
        "unsupported_grant_type",
        "Only refresh_token or authorization_code grant type is supported",
    )


def test_introspection_reports_the_grant_and_its_client_as_audience(gitea: Gitea, client: Client) -> None:
    access = tokens_for(gitea, client, scope="openid read:user")["access_token"]
    resource_server = gitea.register()
    response = requests.post(
        f"{gitea.url}/login/oauth/introspect",
        data={"token": access},
        auth=(resource_server.client_id, resource_server.secret),
        timeout=10,
    )
    assert response.json() == {
        "active": True,
        "scope": "openid read:user",
        "username": "alice",
        "iss": gitea.url + "/",
        "sub": "1",
        "aud": [client.client_id],
    }
    junk = requests.post(
        f"{gitea.url}/login/oauth/introspect",
        data={"token": "x.y.z"},
        auth=(client.client_id, client.secret),
        timeout=10,
    )
    assert junk.json() == {"active": False}


def test_introspection_needs_client_credentials(gitea: Gitea, client: Client) -> None:
    access = tokens_for(gitea, client)["access_token"]
    anonymous = requests.post(f"{gitea.url}/login/oauth/introspect", data={"token": access}, timeout=10)
    assert anonymous.status_code == 401 and anonymous.text == "no valid authorization"
    wrong = requests.post(
        f"{gitea.url}/login/oauth/introspect", data={"token": access}, auth=(client.client_id, "bad"), timeout=10
    )
    assert wrong.status_code == 401


def test_userinfo_returns_every_key_for_a_bearer_token(gitea: Gitea, client: Client) -> None:
    access = tokens_for(gitea, client, scope="openid")["access_token"]
    for method in ("GET", "POST"):
        response = requests.request(
            method, f"{gitea.url}/login/oauth/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=10
        )
        body = response.json()
        assert response.status_code == 200
        assert set(body) == {"sub", "name", "preferred_username", "email", "picture", "groups"}
        assert (body["sub"], body["preferred_username"], body["email"]) == ("1", "alice", "alice@example.com")
        assert body["groups"] is None
    token_scheme = requests.get(
        f"{gitea.url}/login/oauth/userinfo", headers={"Authorization": f"token {access}"}, timeout=10
    )
    assert token_scheme.status_code == 200


def test_userinfo_without_valid_token_is_plain_401_with_bearer_challenge(gitea: Gitea) -> None:
    for headers in ({}, {"Authorization": "Bearer a.b.c"}, {"Authorization": "Basic YWxpY2U6YWxpY2UtcHc="}):
        response = requests.get(f"{gitea.url}/login/oauth/userinfo", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.text == "no valid authorization"
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="Gitea OAuth2"'


def test_revoking_the_grant_kills_its_tokens(gitea: Gitea, client: Client) -> None:
    body = tokens_for(gitea, client)
    assert gitea.provider.resolve_access_token(body["access_token"]) is not None
    revoked = requests.post(f"{gitea.url}/_emulator/oauth/revoke", json={"login": "alice"}, timeout=10)
    assert revoked.json()["revoked"] >= 1
    assert gitea.provider.resolve_access_token(body["access_token"]) is None
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert requests.get(f"{gitea.url}/login/oauth/userinfo", headers=headers, timeout=10).status_code == 401
    refresh = token_request(gitea, client, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert token_error(refresh) == ("invalid_grant", "grant does not exist")


def test_revoke_grants_can_target_one_client(gitea: Gitea) -> None:
    kept, dropped = gitea.register(), gitea.register()
    kept_token = tokens_for(gitea, kept)["access_token"]
    dropped_token = tokens_for(gitea, dropped)["access_token"]
    assert gitea.provider.revoke_grants("alice", dropped.client_id) == 1
    assert gitea.provider.resolve_access_token(dropped_token) is None
    assert gitea.provider.resolve_access_token(kept_token) is not None


def test_expire_control_route_expires_access_tokens_but_refresh_still_works(gitea: Gitea, client: Client) -> None:
    body = tokens_for(gitea, client)
    expire = {"login": "alice", "client_id": client.client_id}
    assert requests.post(f"{gitea.url}/_emulator/oauth/expire", json=expire, timeout=10).json() == {"expired": 1}
    assert gitea.provider.resolve_access_token(body["access_token"]) is None
    introspected = requests.post(
        f"{gitea.url}/login/oauth/introspect",
        data={"token": body["access_token"]},
        auth=(client.client_id, client.secret),
        timeout=10,
    )
    assert introspected.json() == {"active": False}
    refreshed = token_request(gitea, client, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert gitea.provider.resolve_access_token(refreshed.json()["access_token"]) is not None


@pytest.mark.parametrize(
    ("scope", "api_scopes"),
    [
        ("openid read:repository write:issue", ["write:issue", "read:repository"]),
        ("openid", ["all"]),
        ("openid profile email groups", ["all"]),
        ("", ["all"]),
        ("repo", ["all"]),
        ("read:user read:invalid", ["all"]),
        ("read:user read:repository", ["read:repository", "read:user"]),
        ("read:user write:issue public-only", ["public-only", "write:issue", "read:user"]),
        ("write:repository read:repository", ["write:repository"]),
        ("openid profile email read:user all", ["all"]),
    ],
)
def test_grant_scope_maps_to_api_scopes_like_gitea(gitea: Gitea, scope: str, api_scopes: list[str]) -> None:
    access = tokens_for(gitea, gitea.register(), scope=scope)["access_token"]
    assert gitea.provider.resolve_access_token(access) == ("alice", api_scopes)


def test_unknown_client_and_unregistered_redirect_get_an_html_400_without_redirect(
    gitea: Gitea, client: Client
) -> None:
    unknown = authorize(gitea, Client("no-such-client", ""))
    assert unknown.status_code == 400 and "Location" not in unknown.headers
    assert "text/html" in unknown.headers["Content-Type"] and "Client ID not registered" in unknown.text
    elsewhere = authorize(gitea, client, redirect_uri=REDIRECT + "/other")
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    assert "Unregistered Redirect URI" in elsewhere.text


def test_authorize_errors_redirect_with_error_description_and_state(gitea: Gitea, client: Client) -> None:
    implicit = redirect_params(authorize(gitea, client, response_type="token"))
    assert implicit == {
        "error": "unsupported_response_type",
        "error_description": "Only code response type is supported.",
        "state": "st8",
    }
    method = redirect_params(authorize(gitea, client, code_challenge="x", code_challenge_method="S512"))
    assert (method["error"], method["error_description"]) == ("invalid_request", "unsupported code challenge method")
    public = gitea.register(confidential=False)
    no_pkce = redirect_params(authorize(gitea, public))
    assert no_pkce == {
        "error": "invalid_request",
        "error_description": "PKCE is required for public clients",
        "state": "st8",
    }


def test_consent_is_skipped_only_for_confidential_apps_with_a_grant(gitea: Gitea, client: Client) -> None:
    assert authorize(gitea, client, scope="openid").status_code == 200  # no grant yet: consent page
    approved_code(gitea, client, "openid")
    assert authorize(gitea, client, scope="openid").status_code == 303
    public = gitea.register(confidential=False)
    grant = {"login": "alice", "client_id": public.client_id, "scope": "openid"}
    requests.post(f"{gitea.url}/_emulator/oauth/grants", json=grant, timeout=10)
    challenge = pkce()[1]
    consent = authorize(gitea, public, scope="openid", code_challenge=challenge, code_challenge_method="S256")
    assert consent.status_code == 200 and 'name="granted"' in consent.text


def test_denied_consent_redirects_with_access_denied(gitea: Gitea, client: Client) -> None:
    consent = authorize(gitea, client, scope="openid")
    denied = requests.post(
        f"{gitea.url}/login/oauth/grant",
        data=form_fields(consent.text) | {"granted": "false"},
        cookies=consent.cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert redirect_params(denied) == {
        "error": "access_denied",
        "error_description": "the request is denied",
        "state": "st8",
    }


def test_consent_post_must_match_the_pending_request(gitea: Gitea, client: Client) -> None:
    consent = authorize(gitea, client, scope="openid")
    forged = requests.post(
        f"{gitea.url}/login/oauth/grant",
        data=form_fields(consent.text) | {"granted": "true", "state": "other"},
        cookies=consent.cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 400


def test_wrong_password_keeps_the_user_on_the_sign_in_form(gitea: Gitea, client: Client) -> None:
    response = requests.post(
        f"{gitea.url}/user/login", data={"user_name": "alice", "password": "nope"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 200 and "Username or password is incorrect." in response.text
    assert authorize(gitea, client, ("alice", "nope")).headers["Location"].startswith("/user/login")


def test_control_route_registers_apps_over_http(gitea: Gitea) -> None:
    created = requests.post(
        f"{gitea.url}/_emulator/oauth/apps",
        json={"name": "mcp", "redirect_uris": [REDIRECT], "confidential": True},
        timeout=10,
    )
    assert created.status_code == 201
    credentials = created.json()
    assert credentials["client_secret"].startswith("gto_")
    body = tokens_for(gitea, Client(credentials["client_id"], credentials["client_secret"]))
    assert gitea.provider.resolve_access_token(body["access_token"]) == ("alice", ["all"])


def test_short_lived_tokens_rotation_and_key_reuse_across_restarts(gitea: Gitea, tmp_path: Path) -> None:
    first = serve(tmp_path, access_token_ttl=-1, invalidate_refresh_tokens=True)
    second = serve(tmp_path)
    try:
        kid = requests.get(f"{first.url}/login/oauth/keys", timeout=10).json()["keys"][0]["kid"]
        assert requests.get(f"{second.url}/login/oauth/keys", timeout=10).json()["keys"][0]["kid"] == kid
        assert (tmp_path / "jwt" / "private.pem").stat().st_mode & 0o077 == 0
        client = first.register()
        body = tokens_for(first, client)
        assert body["expires_in"] == -1
        assert first.provider.resolve_access_token(body["access_token"]) is None
        rotated = token_request(first, client, grant_type="refresh_token", refresh_token=body["refresh_token"])
        assert rotated.status_code == 200
        replay = token_request(first, client, grant_type="refresh_token", refresh_token=body["refresh_token"])
        assert token_error(replay) == ("unauthorized_client", "token was already used")
    finally:
        first.server.shutdown()
        second.server.shutdown()
