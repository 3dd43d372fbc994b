"""/oauth/token: authorization_code (PKCE) and refresh_token (rotation, reuse detection) grants.

Both redeem at Gitea with our client secret and answer with sealed tokens; Gitea's own
tokens never leave this server. Errors follow RFC 6749 §5.2.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import unquote

from app.auth.sealed import InvalidSealedToken, SealedAccess, SealedRefresh, new_token_id
from app.oauth.clients import Client
from app.oauth.codes import IssuedCode, pkce_matches
from app.oauth.facade import OAuthFacade, UnknownClient, record_security_event
from app.oauth.metadata import same_resource
from app.oauth.scopes import IGNORED_SCOPES
from app.oauth.summary import auth_summary
from app.oauth.upstream import GiteaTokens, UpstreamRefused, UpstreamUnavailable


class TokenError(Exception):
    """An RFC 6749 §5.2 error response."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """client_secret_basic: `Basic base64(urlencoded id:urlencoded secret)` (RFC 6749 §2.3.1)."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise TokenError("invalid_client", "unreadable Basic credentials", 401) from None
    return (unquote(name), unquote(secret)) if sep else None


def authenticate_client(facade: OAuthFacade, form: Mapping[str, str], header: str | None) -> Client:
    """The calling client: public clients name themselves, confidential ones prove their secret."""
    basic = basic_credentials(header)
    client_id = basic[0] if basic else form.get("client_id", "")
    if basic and form.get("client_id") not in (None, "", basic[0]):
        raise TokenError("invalid_request", "client_id in the body differs from the Authorization header")
    try:
        client = facade.clients.find(client_id)
    except UnknownClient as exc:
        raise TokenError("invalid_client", str(exc), 401) from None
    secret = basic[1] if basic else form.get("client_secret", "")
    if client.needs_secret and not client.secret_matches(secret):
        raise TokenError("invalid_client", "client authentication failed", 401)
    return client


def answer(facade: OAuthFacade, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
    """The token response for one request, or TokenError."""
    client = authenticate_client(facade, form, authorization)
    grant = GRANTS.get(form.get("grant_type", ""))
    if grant is None:
        raise TokenError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
    body = grant(facade, client, form)
    facade.registry.note_use(client, int(time.time()))  # a used registration is never evicted as abandoned
    return body


def redeem_code(facade: OAuthFacade, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
    code, family = form.get("code", ""), new_token_id()
    issued = facade.codes.redeem(code, family) if code else None
    if issued is None:
        refuse_code(facade, client, code)
    check_code(issued, client, form)
    tokens = upstream_call(facade.upstream.redeem_code, issued.gitea_code, issued.gitea_verifier)
    login = probed_login(facade, tokens, issued.request.scopes, client.client_id)
    request = issued.request
    return issue(facade, client, tokens, login=login, scopes=request.scopes, resource=request.resource,
                 family=family)


def refuse_code(facade: OAuthFacade, client: Client, code: str) -> NoReturn:
    """An unusable code; a used one revokes every token its first use was issued (RFC 6749 §4.1.2, §10.5)."""
    family = facade.codes.family_of(code) if code else None
    if family is not None:
        facade.revocations.revoke(family)
        record_security_event("authorization_code_replay", severity="high", client_id=client.client_id,
                              grant_revoked=True)
    raise TokenError("invalid_grant", "the authorization code is unknown, expired or already used")


def check_code(issued: IssuedCode, client: Client, form: Mapping[str, str]) -> None:
    """The code is this client's, for this redirect URI, with the matching PKCE verifier and resource."""
    request = issued.request
    if request.client_id != client.client_id:
        raise TokenError("invalid_grant", "the authorization code was issued to another client")
    if form.get("redirect_uri", "") != request.redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri differs from the authorization request")
    if not pkce_matches(form.get("code_verifier", ""), request.code_challenge):
        raise TokenError("invalid_grant", "PKCE verification failed")
    resource = form.get("resource")
    if resource is not None and not same_resource(resource, request.resource):
        raise TokenError("invalid_target", f"tokens here are only for {request.resource}")


def probed_login(facade: OAuthFacade, tokens: GiteaTokens, scopes: frozenset[str], client_id: str) -> str:
    """Who the Gitea token belongs to (GET /api/v1/user), logged as oauth_auth_summary."""
    probe = facade.upstream.probe(tokens.access_token)
    auth_summary(logging.INFO, kind="sealed", scopes=scopes, api_probe=probe.result, login=probe.login,
                 client_id=client_id)
    if probe.result == "skip:error":
        raise TokenError("temporarily_unavailable", "Gitea could not be reached; try again shortly", 503)
    if probe.login is None:
        record_security_event("oauth_token_lacks_api_scope", status=probe.result, client_id=client_id)
        raise TokenError("invalid_grant", f"Gitea refused the new token (api_probe={probe.result})")
    return probe.login


def refresh(facade: OAuthFacade, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
    try:
        old = facade.codec.open_refresh(form.get("refresh_token", ""))
    except InvalidSealedToken:
        raise TokenError("invalid_grant", "the refresh token is invalid or expired") from None
    if old.client_id != client.client_id:
        raise TokenError("invalid_grant", "the refresh token was issued to another client")
    claim_refresh_token(facade, old)
    scopes = narrowed_scopes(old, form.get("scope"))
    resource = form.get("resource")
    if resource is not None and not same_resource(resource, old.resource):
        raise TokenError("invalid_target", f"tokens here are only for {old.resource}")
    tokens = upstream_call(facade.upstream.refresh, old.gitea_refresh_token)
    auth_summary(logging.INFO, kind="sealed", scopes=scopes, api_probe="skip:cached", login=old.login,
                 client_id=client.client_id)
    return issue(facade, client, tokens, login=old.login, scopes=scopes, resource=old.resource, family=old.family)


GRANTS = {"authorization_code": redeem_code, "refresh_token": refresh}


def claim_refresh_token(facade: OAuthFacade, old: SealedRefresh) -> None:
    """Use a refresh token once; a second use means it leaked, so its whole family is revoked."""
    if facade.revocations.is_revoked(old.family):
        raise TokenError("invalid_grant", "this grant was revoked; authorize again")
    if not facade.revocations.first_use(old.token_id, old.expires_at):
        facade.revocations.revoke(old.family)
        record_security_event("refresh_token_reuse", severity="high", login=old.login, client_id=old.client_id)
        raise TokenError("invalid_grant", "the refresh token was already used; the grant is revoked")


def narrowed_scopes(old: SealedRefresh, requested: str | None) -> frozenset[str]:
    """A refresh may keep or narrow the scopes, never widen them (RFC 6749 §6)."""
    if not requested:
        return old.scopes
    asked = frozenset(requested.split()) - IGNORED_SCOPES
    if not asked <= old.scopes:
        raise TokenError("invalid_scope", "a refresh cannot add scopes; authorize again for more")
    return asked


def upstream_call(call: Any, *args: str) -> GiteaTokens:
    try:
        tokens: GiteaTokens = call(*args)
    except UpstreamRefused as exc:
        raise TokenError("invalid_grant", f"Gitea refused the grant ({exc}); authorize again") from None
    except UpstreamUnavailable:
        raise TokenError("temporarily_unavailable", "Gitea could not be reached; try again shortly", 503) from None
    return tokens


def issue(facade: OAuthFacade, client: Client, tokens: GiteaTokens, *, login: str, scopes: frozenset[str],
          resource: str, family: str) -> dict[str, Any]:
    """The token response: a sealed access token and, for refresh-capable clients, a sealed refresh token."""
    now = int(time.time())
    lifetime = min(facade.options.access_token_ttl, tokens.expires_in)
    access = SealedAccess(login, scopes, client.client_id, tokens.access_token, now + lifetime, new_token_id(), family)
    body: dict[str, Any] = {"access_token": facade.codec.seal_access(access), "token_type": "Bearer",
                            "expires_in": lifetime, "scope": " ".join(sorted(scopes))}
    if tokens.refresh_token and "refresh_token" in client.grant_types:
        sealed = SealedRefresh(login, scopes, client.client_id, resource, tokens.refresh_token, family,
                               now + facade.options.refresh_token_ttl, new_token_id())
        body["refresh_token"] = facade.codec.seal_refresh(sealed)
    return body
