"""/oauth/authorize: read and check one authorization request before anyone is asked to consent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.oauth.clients import Client
from app.oauth.metadata import same_resource
from app.oauth.redirects import is_registered
from app.oauth.scopes import UnknownScope, parse_scope, scope_string

PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
MAX_STATE = 1024


class AuthorizePageError(Exception):
    """The request cannot be trusted to redirect anywhere: show an error page (RFC 6749 §4.1.2.1)."""


class AuthorizeRedirectError(Exception):
    """An error the client hears about at its (verified) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description = error, description


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request: which client, where to, with which PKCE challenge and scopes."""

    client_id: str
    client_name: str
    client_source: str
    redirect_uri: str
    state: str
    code_challenge: str
    scope: str
    resource: str

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        return cls(**{name: str(data[name]) for name in cls.__dataclass_fields__})


def redirect_uri_of(client: Client, args: Mapping[str, str]) -> str:
    """The request's redirect URI, which must be registered (else an error page, never a redirect)."""
    requested = args.get("redirect_uri", "")
    if not requested and len(client.redirect_uris) == 1:
        return client.redirect_uris[0]
    if not requested or not is_registered(requested, client.redirect_uris):
        raise AuthorizePageError("The redirect_uri is not registered for this client; no redirect was made.")
    return requested


def checked_request(client: Client, redirect_uri: str, args: Mapping[str, str], resource: str) -> AuthorizationRequest:
    """Check everything after the redirect URI; failures become AuthorizeRedirectError."""
    if args.get("response_type") != "code":
        raise AuthorizeRedirectError("unsupported_response_type", "response_type must be code")
    if args.get("code_challenge_method") != "S256" or not PKCE_CHALLENGE.match(args.get("code_challenge", "")):
        raise AuthorizeRedirectError("invalid_request", "PKCE is required: send code_challenge with method S256")
    state = args.get("state", "")
    if not state or len(state) > MAX_STATE:
        raise AuthorizeRedirectError("invalid_request", "state is required")
    asked_resource = args.get("resource")
    if asked_resource is not None and not same_resource(asked_resource, resource):
        raise AuthorizeRedirectError("invalid_target", f"this server only issues tokens for {resource}")
    try:
        scopes = parse_scope(args.get("scope"))
    except UnknownScope as exc:
        raise AuthorizeRedirectError("invalid_scope", str(exc)) from None
    return AuthorizationRequest(client.client_id, client.client_name, client.source, redirect_uri,
                                state, args["code_challenge"], scope_string(scopes), resource)


def client_redirect(redirect_uri: str, params: Mapping[str, str]) -> str:
    """The redirect URI with `params` added to its query (existing query parameters kept)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
