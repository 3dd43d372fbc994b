"""The OAuth edges: discovery documents, /register, /oauth/{authorize,consent,callback,token}.

Each view translates HTTP into app.oauth calls and back; the rules live in app/oauth/.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from marshmallow import ValidationError
from werkzeug.wrappers import Response as HttpResponse

from app import json_codec
from app.errors import NotFound
from app.limits import EXTENSION as LIMITS_EXTENSION
from app.limits.keys import client_address
from app.mcp.admission import normalise_origin
from app.oauth import EXTENSION as OAUTH_EXTENSION
from app.oauth import OAuthFacade, current_facade, record_security_event
from app.oauth.authorize import (
    AuthorizationRequest,
    AuthorizePageError,
    AuthorizeRedirectError,
    checked_request,
    client_redirect,
    redirect_uri_of,
)
from app.oauth.clients import RegistryFull
from app.oauth.codes import IssuedCode
from app.oauth.consent import CONSENT_COOKIE, CSRF_COOKIE, STATE_COOKIE, FlowError, UpstreamLeg
from app.oauth.facade import UnknownClient
from app.oauth.metadata import AS_METADATA_PATH, PRM_PATHS, authorization_server_metadata, protected_resource_metadata
from app.oauth.redirects import LOOPBACK_HOSTS, unregistrable
from app.oauth.scopes import SCOPE_DESCRIPTIONS, UnknownScope, gitea_scope, parse_scope
from app.oauth.tokens import TokenError, answer
from app.oauth.upstream import pkce_pair
from app.outcomes import json_response
from schemas.dcr import ClientRegistrationSchema

bp = Blueprint("oauth", __name__, template_folder="templates")
MAX_REGISTRATION_BYTES = 16 * 1024
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
UPSTREAM_ERRORS = ("access_denied", "invalid_scope", "temporarily_unavailable", "server_error")


def facade() -> OAuthFacade:
    found = current_facade()
    if found is None:
        raise NotFound("OAuth is not enabled on this server (OAUTH_MODE=false).")
    return found


@bp.before_request
def _oauth_mode_only() -> None:
    facade()


def page(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.headers.update(PAGE_HEADERS)
    return response


def error_page(message: str, status: int = 400) -> Response:
    return page("oauth/error.html", status, message=message)


def set_cookie(response: HttpResponse, name: str, value: str, max_age: int | None = None) -> None:
    """`__Host-` cookies: Secure, Path=/, no Domain; HttpOnly and SameSite=Lax (Gitea's redirect is a GET)."""
    response.set_cookie(name, value, max_age=max_age, secure=True, httponly=True, samesite="Lax", path="/")


# --- discovery --------------------------------------------------------------------------------------


def _protected_resource() -> Response:
    return json_response(protected_resource_metadata(facade().options))


for _number, _path in enumerate(PRM_PATHS):
    bp.add_url_rule(_path, f"protected_resource_{_number}", _protected_resource, methods=["GET"])


@bp.get(AS_METADATA_PATH)
def authorization_server() -> Response:
    return json_response(authorization_server_metadata(facade().options))


# --- dynamic client registration (RFC 7591; deprecated by MCP 2026-07-28, still supported) ------------


@bp.post("/register")
def register() -> Response:
    options = facade().options
    if not options.dcr_enabled:
        raise NotFound("Dynamic client registration is disabled (DCR_ENABLED=false).")
    try:
        body = bounded_body(MAX_REGISTRATION_BYTES)
    except json_codec.TooDeeplyNested as exc:
        return registration_error("invalid_client_metadata", str(exc))
    if body is None:
        return registration_error("invalid_client_metadata", "the body must be a JSON object of at most 16 KB")
    try:
        metadata = ClientRegistrationSchema().load(body)
        if metadata.get("scope"):
            parse_scope(metadata["scope"])
    except (ValidationError, UnknownScope) as exc:
        return registration_error("invalid_client_metadata", _message(exc))
    problems = unregistrable(metadata["redirect_uris"], options.redirect_allowlist)
    if problems:
        return registration_error("invalid_redirect_uri", "; ".join(problems))
    try:
        client, secret = facade().registry.register(metadata)
    except RegistryFull as exc:
        return json_response({"error": "temporarily_unavailable", "error_description": str(exc)}, 503, NO_STORE)
    return json_response(client.registration_response(secret), 201, NO_STORE)


@bp.record_once
def _limit_registration(state: BlueprintSetupState) -> None:
    """A dedicated per-address budget for /register, on top of the application-wide limits."""
    limiter = state.app.extensions.get(LIMITS_EXTENSION)
    found = state.app.extensions.get(OAUTH_EXTENSION)
    if limiter is None or found is None:
        return
    per_hour = found.options.registrations_per_hour
    limit = limiter.limit(f"{per_hour}/hour", key_func=client_address, override_defaults=False,
                          error_message=f"at most {per_hour} client registrations per hour from one address")
    # Flask-Limiter checks a route's own limit in its decorator's wrapper, so the wrapper becomes the view.
    state.app.view_functions[f"{bp.name}.register"] = limit(register)


def bounded_body(limit: int) -> dict[str, Any] | None:
    """The JSON object body, or None when it is not one or is larger than `limit` bytes;
    TooDeeplyNested when it nests deeper than the service reads."""
    if request.content_length is not None and request.content_length > limit:
        return None
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        return None
    try:
        value = json_codec.decode(raw)
    except json_codec.TooDeeplyNested:
        raise
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def registration_error(error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, 400, NO_STORE)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{field}: {problem}" for field, problem in exc.normalized_messages().items())
    return str(exc)


# --- authorization: authorize → consent → Gitea → callback -------------------------------------------


@bp.get("/oauth/authorize")
def authorize() -> HttpResponse:
    current = facade()
    try:
        client = current.clients.find(request.args.get("client_id", ""))
        redirect_uri = redirect_uri_of(client, request.args)
    except (UnknownClient, AuthorizePageError) as exc:
        return error_page(str(exc))
    try:
        pending = checked_request(client, redirect_uri, request.args, current.options.resource)
    except AuthorizeRedirectError as exc:
        return error_redirect(redirect_uri, exc.error, exc.description, request.args.get("state"))
    remembered = current.consent.covers(request.cookies.get(CONSENT_COOKIE), pending)
    if remembered and request.args.get("prompt") != "consent":
        return to_gitea(current, pending)
    return consent_page(current, pending)


def error_redirect(redirect_uri: str, error: str, description: str, state: str | None) -> HttpResponse:
    """RFC 6749 §4.1.2.1 error redirect, with RFC 9207 `iss`."""
    params = {"error": error, "error_description": description, "iss": facade().options.issuer}
    if state:
        params["state"] = state
    return redirect(client_redirect(redirect_uri, params), 303)


def consent_page(current: OAuthFacade, pending: AuthorizationRequest) -> Response:
    browser_secret = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    request_id = current.pending.hold(pending)
    host = urlsplit(pending.redirect_uri).hostname or pending.redirect_uri
    response = page(
        "oauth/consent.html", client_name=pending.client_name, client_id=pending.client_id,
        source=pending.client_source, redirect_uri=pending.redirect_uri, redirect_host=host,
        loopback_redirect=host in LOOPBACK_HOSTS, request_id=request_id, action=url_for("oauth.consent"),
        csrf_token=current.pending.csrf_token(request_id, browser_secret),
        scopes=[(scope, SCOPE_DESCRIPTIONS[scope]) for scope in sorted(pending.scopes)],
    )
    if request.cookies.get(CSRF_COOKIE) != browser_secret:
        set_cookie(response, CSRF_COOKIE, browser_secret)
    return response


@bp.post("/oauth/consent")
def consent() -> HttpResponse:
    current = facade()
    request_id = request.form.get("request", "")
    csrf_ok = current.pending.csrf_ok(request_id, request.cookies.get(CSRF_COOKIE, ""),
                                      request.form.get("csrf_token", ""))
    if not csrf_ok or not same_origin(current.options.issuer):
        record_security_event("consent_csrf_rejected")
        return error_page("The consent form was not submitted from this server's page (CSRF check failed).", 403)
    pending = current.pending.take(request_id)
    if pending is None:
        return error_page("This consent request expired or was already answered.")
    if request.form.get("decision") != "approve":
        return error_redirect(pending.redirect_uri, "access_denied", "the user denied the request", pending.state)
    response = to_gitea(current, pending)
    set_cookie(response, CONSENT_COOKIE, current.consent.remember(request.cookies.get(CONSENT_COOKIE), pending),
               max_age=30 * 24 * 3600)
    return response


def same_origin(issuer: str) -> bool:
    """A browser's Origin header, when sent, must be ours."""
    origin = request.headers.get("Origin")
    return origin is None or origin == normalise_origin(issuer)


def to_gitea(current: OAuthFacade, pending: AuthorizationRequest) -> HttpResponse:
    """Consent is given: send the browser to Gitea with a fresh state, also set as this browser's cookie."""
    verifier, challenge = pkce_pair()
    state = current.states.issue(UpstreamLeg(pending, verifier))
    scope = gitea_scope(pending.scopes, identity_only=current.options.service_pat)
    response = redirect(current.upstream.authorize_url(state, scope, challenge), 303)
    set_cookie(response, STATE_COOKIE, state, max_age=current.options.state_ttl)
    return response


@bp.get("/oauth/callback")
def callback() -> HttpResponse:
    current = facade()
    try:
        leg = current.states.redeem(request.args.get("state", ""), request.cookies.get(STATE_COOKIE))
    except FlowError as exc:
        record_security_event("oauth_state_rejected", reason=str(exc))
        return error_page(str(exc))
    pending = leg.request
    code = request.args.get("code", "")
    if request.args.get("error") or not code:
        error = request.args.get("error", "server_error")
        response = error_redirect(pending.redirect_uri, error if error in UPSTREAM_ERRORS else "access_denied",
                                  "Gitea did not authorize the request", pending.state)
    else:
        ours = current.codes.issue(IssuedCode(pending, code, leg.verifier))
        params = {"code": ours, "state": pending.state, "iss": current.options.issuer}
        response = redirect(client_redirect(pending.redirect_uri, params), 303)
    response.delete_cookie(STATE_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
    return response


# --- token endpoint ----------------------------------------------------------------------------------


@bp.post("/oauth/token")
def token() -> Response:
    try:
        return json_response(answer(facade(), request.form, request.headers.get("Authorization")), 200, NO_STORE)
    except TokenError as exc:
        headers = dict(NO_STORE)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return json_response(exc.body(), exc.status, headers)
