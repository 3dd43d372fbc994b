"""Gitea 1.27's OAuth2/OIDC provider, emulated for tests (shared/gitea/FACTS.md §1).

Routes: /.well-known/openid-configuration and /login/oauth/{authorize,grant,access_token,
keys,userinfo,introspect}, plus the sign-in form at /user/login that authorize sends a
signed-out browser to. Tokens are RS256 JWTs shaped like Gitea's (`gnt`, `tt`, `cnt`).

Emulator extensions, absent from Gitea and marked as such:
- HTTP Basic *user* credentials on the authorize and grant requests sign the user in, so
  headless tests need no login form;
- control routes under /_emulator/oauth/: `apps` (register), `grants` (pre-approve),
  `revoke` and `expire` (kill a grant's access tokens now).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Blueprint, Request, Response, after_this_request, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
OIDC_SCOPES = ("openid", "profile", "email", "groups")
SCOPE_CATEGORIES = (
    "activitypub", "admin", "misc", "notification", "organization", "package", "issue", "repository", "user",
)  # fmt: skip
OIDC_CLAIMS = (
    "aud", "exp", "iat", "iss", "sub", "name", "preferred_username", "profile", "picture",
    "website", "locale", "updated_at", "email", "email_verified", "groups",
)  # fmt: skip
ACCESS_TOKEN, REFRESH_TOKEN = 0, 1
REFRESH_TOKEN_TTL = 730 * 3600  # REFRESH_TOKEN_EXPIRATION_TIME is in hours
CODE_TTL = 600  # [I] the code lifetime is not in FACTS; RFC 6749 §4.1.2 advises at most 10 minutes
SESSION_COOKIE = "i_like_gitea"
JSON_TYPE = "application/json;charset=utf-8"
TEXT_TYPE = "text/plain;charset=utf-8"


class InvalidScope(ValueError):
    """A scope name that Gitea's AccessTokenScope does not know."""


def _scope_level(name: str) -> tuple[str, int]:
    """Split `read:issue` into its category and level (1 read, 2 write)."""
    level, _, category = name.partition(":")
    if category not in SCOPE_CATEGORIES or level not in ("read", "write"):
        raise InvalidScope(name)
    return category, 2 if level == "write" else 1


def normalize_api_scope(scope: str) -> str:
    """Return Gitea's normal form of a comma-separated API token scope (write implies read)."""
    names = [name for name in scope.split(",") if name not in ("", "sudo")]  # Gitea skips both
    levels: dict[str, int] = {}
    for name in names:
        if name == "all":
            levels.update(dict.fromkeys(SCOPE_CATEGORIES, 2))
        elif name != "public-only":
            category, level = _scope_level(name)
            levels[category] = max(level, levels.get(category, 0))
    granted = [f"{'write' if levels[c] == 2 else 'read'}:{c}" for c in SCOPE_CATEGORIES if c in levels]
    if granted == [f"write:{c}" for c in SCOPE_CATEGORIES]:
        granted = ["all"]
    return ",".join((["public-only"] if "public-only" in names else []) + granted)


def grant_api_scopes(grant_scope: str) -> list[str]:
    """Map a grant's space-separated scope to API token scopes (GrantAdditionalScopes)."""
    remainder = [name for name in grant_scope.split(" ") if name not in OIDC_SCOPES]
    try:
        normalized = normalize_api_scope(",".join(remainder))
    except InvalidScope:
        return ["all"]  # one unknown name (say GitHub's `repo`) gives full access
    return normalized.split(",") if normalized else ["all"]


def _b64url(raw: bytes) -> str:
    """Encode without padding, like Go's base64.RawURLEncoding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _random_secret(prefix: str) -> str:
    """Return Gitea's `prefix + lowercase unpadded base32 of 32 random bytes`."""
    return prefix + base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=").lower()


class SigningKey:
    """The provider's RSA key, kept as PKCS#8 PEM at <state_dir>/jwt/private.pem like Gitea's."""

    def __init__(self, state_dir: str, size: int = 2048) -> None:
        path = os.path.join(state_dir, "jwt", "private.pem")
        self._key = self._load(path) if os.path.exists(path) else self._create(path, size)
        der = self._key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64url(hashlib.sha256(der).digest())  # Gitea's CreatePublicKeyFingerprint

    @staticmethod
    def _load(path: str) -> RSAKey:
        with open(path, "rb") as pem:
            return RSAKey.import_key(pem.read())

    @staticmethod
    def _create(path: str, size: int) -> RSAKey:
        key = RSAKey.generate_key(size)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as pem:
            pem.write(key.as_pem(private=True))
        os.replace(partial, path)  # a concurrent reader never sees half a key
        return key

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Return a compact RS256 JWT carrying `claims`, with Gitea's `kid` header."""
        return jwt.encode({"alg": ALGORITHM, "kid": self.kid}, dict(claims), self._key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> dict[str, Any] | None:
        """Return the claims of a token this key signed, or None."""
        try:
            return dict(jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims)
        except (JoseError, ValueError):
            return None

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Return the JWK Set served at /login/oauth/keys."""
        public = self._key.as_dict(private=False)
        jwk = {"alg": ALGORITHM, "e": public["e"], "kid": self.kid, "kty": "RSA", "n": public["n"], "use": "sig"}
        return {"keys": [jwk]}


@dataclass
class OAuthApp:
    """A registered OAuth2 application."""

    id: int
    name: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    confidential: bool

    def secret_matches(self, secret: str) -> bool:
        """Tell whether `secret` is this app's client secret."""
        return hmac.compare_digest(self.client_secret.encode(), secret.encode())


@dataclass
class Grant:
    """A user's consent to one app; all its tokens die with it."""

    id: int
    app: OAuthApp
    login: str
    scope: str
    nonce: str = ""
    counter: int = 1  # Gitea's column default

    def has_scope(self, name: str) -> bool:
        """Tell whether the space-separated grant scope names `name`."""
        return name in self.scope.split(" ")


@dataclass
class AuthorizationCode:
    """A single-use code bound to a grant, a redirect URI and a PKCE challenge."""

    code: str
    grant: Grant
    redirect_uri: str
    challenge: str
    method: str
    valid_until: float

    def accepts(self, verifier: str) -> bool:
        """Check a PKCE code_verifier against the stored challenge (RFC 7636 §4.6)."""
        if self.method == "S256":
            return _b64url(hashlib.sha256(verifier.encode()).digest()) == self.challenge
        if self.method == "plain":
            return verifier == self.challenge
        return self.method == ""

    def location(self, state: str) -> str:
        """Return the redirect carrying the code (and the state, when there is one)."""
        return with_query(self.redirect_uri, {"code": self.code, **({"state": state} if state else {})})


def with_query(uri: str, params: Mapping[str, str]) -> str:
    """Add `params` to `uri`'s query, re-encoded sorted like Go's url.Values.Encode."""
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) | dict(params)
    return urlunsplit(parts._replace(query=urlencode(sorted(query.items()))))


class TokenError(Exception):
    """An RFC 6749 §5.2 error; Gitea answers every one with HTTP 400."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code, self.description = code, description

    def response(self) -> Response:
        """Return the JSON 400 response."""
        return json_response({"error": self.code, "error_description": self.description}, 400)


class AuthorizeError(Exception):
    """An RFC 6749 §4.1.2.1 error, sent back to a registered redirect URI."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code, self.description = code, description

    def redirect(self, redirect_uri: str, state: str) -> Response:
        """Return Gitea's 303 with error, error_description and (always) state."""
        params = {"error": self.code, "error_description": self.description, "state": state}
        return see_other(with_query(redirect_uri, params))


@dataclass
class TokenForm:
    """The fields of a token request after client authentication is merged in."""

    grant_type: str
    client_id: str
    client_secret: str
    redirect_uri: str = ""
    code: str = ""
    refresh_token: str = ""
    code_verifier: str = ""


@dataclass
class AuthorizationRequest:
    """The parameters of one authorize request."""

    client_id: str
    redirect_uri: str
    response_type: str
    state: str
    scope: str
    nonce: str
    challenge: str
    method: str

    @classmethod
    def read(cls, values: Mapping[str, str]) -> AuthorizationRequest:
        """Read the request from query and form values."""
        names = ("client_id", "redirect_uri", "response_type", "state", "scope", "nonce")
        fields = {name: values.get(name, "") for name in names}
        return cls(**fields, challenge=values.get("code_challenge", ""), method=values.get("code_challenge_method", ""))

    def check(self, app: OAuthApp) -> None:
        """Raise the AuthorizeError Gitea gives once client and redirect URI are known good."""
        if self.response_type != "code":
            raise AuthorizeError("unsupported_response_type", "Only code response type is supported.")
        if self.method not in ("", "S256", "plain"):
            raise AuthorizeError("invalid_request", "unsupported code challenge method")
        if self.method == "" and not app.confidential:
            raise AuthorizeError("invalid_request", "PKCE is required for public clients")


def json_response(body: Any, status: int = 200) -> Response:
    """Return a JSON response with Gitea's content type."""
    return Response(json.dumps(body), status, content_type=JSON_TYPE)


def see_other(location: str) -> Response:
    """Return a 303 redirect, Gitea's default for ctx.Redirect."""
    return Response("", 303, headers={"Location": location})


def unauthorized(scheme: str) -> Response:
    """Return Gitea's plain-text 401 for userinfo (Bearer) and introspect (Basic)."""
    headers = {"WWW-Authenticate": f'{scheme} realm="Gitea OAuth2"'}
    return Response("no valid authorization", 401, headers=headers, content_type=TEXT_TYPE)


def basic_credentials(header: str) -> tuple[str, str] | None:
    """Parse `Basic base64(name:secret)` without URL-decoding, as Gitea does."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except ValueError:
        return None
    return (name, secret) if sep else None


def bearer_token(req: Request) -> str:
    """Return the token of `Authorization: bearer|token X` or the deprecated query parameters."""
    scheme, _, value = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "token"):
        return value.strip()
    return req.args.get("access_token") or req.args.get("token") or ""


def _unix(moment: Any) -> int:
    """Return unix seconds of a datetime, or 0 when there is none."""
    return int(moment.timestamp()) if isinstance(moment, datetime) else 0


class OAuthProvider:
    """Gitea's OAuth2 provider state: apps, grants, codes, tokens and the signing key.

    `users` maps login -> object with id, login, password, email, full_name (and optionally
    is_active, website, language, avatar_url, created/updated). Tests may shorten
    `access_token_ttl` (seconds; a negative value issues already-expired tokens).
    """

    def __init__(
        self,
        root_url: str,
        users: Mapping[str, Any],
        state_dir: str,
        *,
        access_token_ttl: int = 3600,
        invalidate_refresh_tokens: bool = False,
        resolve_pat: Callable[[str], str | None] | None = None,
        groups_of: Callable[[str], list[str]] | None = None,
        key_size: int = 2048,
    ) -> None:
        self.root_url = root_url.rstrip("/")
        self.issuer = self.root_url + "/"  # Gitea's AppURL keeps the trailing slash
        self.access_token_ttl = access_token_ttl
        self.invalidate_refresh_tokens = invalidate_refresh_tokens
        self._users = users
        self._resolve_pat = resolve_pat
        self._groups_of = groups_of
        self._key = SigningKey(state_dir, key_size)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._apps: dict[str, OAuthApp] = {}
        self._grants: dict[int, Grant] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._issued: dict[int, set[str]] = {}  # grant id -> access tokens, for `expire`
        self._killed: set[str] = set()

    def blueprint(self) -> Blueprint:
        """Return the blueprint serving the provider's routes."""
        return ProviderRoutes(self).blueprint()

    # --- apps and users -------------------------------------------------------------

    def register_app(self, name: str, redirect_uris: list[str], confidential: bool = True) -> tuple[str, str]:
        """Register an application; return (client_id, client_secret) like Gitea's (uuid, gto_...)."""
        client_id, secret = str(uuid.uuid4()), _random_secret("gto_")
        app = OAuthApp(next(self._ids), name, client_id, secret, list(redirect_uris), confidential)
        with self._lock:
            self._apps[app.client_id] = app
        return app.client_id, app.client_secret

    def app(self, client_id: str) -> OAuthApp | None:
        """Return the application registered under `client_id`."""
        with self._lock:
            return self._apps.get(client_id)

    def authenticate_client(self, client_id: str, secret: str) -> OAuthApp | None:
        """Return the app when `secret` is its client secret."""
        app = self.app(client_id)
        return app if app is not None and app.secret_matches(secret) else None

    def has_user(self, login: str) -> bool:
        """Tell whether `login` is a canonical login."""
        return login in self._users

    def user(self, login: str) -> Any:
        """Return the user object for a canonical login."""
        return self._users[login]

    def sign_in(self, name: str, password: str) -> str | None:
        """Return the canonical login when `name` (login or email, any case) and password match."""
        lowered = name.lower()
        for login, user in list(self._users.items()):
            if lowered in (login.lower(), str(getattr(user, "email", "")).lower()):
                return login if hmac.compare_digest(str(user.password), password) else None
        return None

    # --- grants and codes -----------------------------------------------------------

    def grant_for(self, app: OAuthApp, login: str) -> Grant | None:
        """Return the user's existing grant for `app`."""
        with self._lock:
            return self._find_grant(app, login)

    def _find_grant(self, app: OAuthApp, login: str) -> Grant | None:
        """Return the grant of `login` for `app`; the caller holds the lock."""
        return next((g for g in self._grants.values() if g.app is app and g.login == login), None)

    def approve(self, app: OAuthApp, login: str, scope: str, nonce: str = "") -> Grant:
        """Create the grant or update its scope (newer Gitea updates instead of failing)."""
        with self._lock:
            grant = self._find_grant(app, login)
            if grant is None:
                grant = Grant(next(self._ids), app, login, scope)
                self._grants[grant.id] = grant
            grant.scope = scope
            grant.nonce = nonce or grant.nonce
            return grant

    def new_code(self, grant: Grant, redirect_uri: str, challenge: str, method: str) -> AuthorizationCode:
        """Issue a single-use authorization code for `grant`."""
        code = AuthorizationCode(_random_secret("gta_"), grant, redirect_uri, challenge, method, time.time() + CODE_TTL)
        with self._lock:
            self._codes[code.code] = code
        return code

    def revoke_grants(self, login: str, client_id: str | None = None) -> int:
        """Delete the user's grants (for one app or all); their codes and tokens die with them."""
        with self._lock:
            doomed = [g for g in self._grants.values() if self._matches(g, login, client_id)]
            for grant in doomed:
                del self._grants[grant.id]
                self._issued.pop(grant.id, None)
            self._codes = {k: c for k, c in self._codes.items() if c.grant.id in self._grants}
            return len(doomed)

    def expire_access_tokens(self, login: str, client_id: str | None = None) -> int:
        """Make every access token issued so far for the user's grants expired (emulator only)."""
        with self._lock:
            doomed = [g for g in self._grants.values() if self._matches(g, login, client_id)]
            tokens = set().union(*(self._issued.pop(g.id, set()) for g in doomed))
            self._killed |= tokens
            return len(tokens)

    @staticmethod
    def _matches(grant: Grant, login: str, client_id: str | None) -> bool:
        """Tell whether a grant belongs to `login` (and to `client_id` when given)."""
        return grant.login.lower() == login.lower() and client_id in (None, grant.app.client_id)

    # --- tokens ---------------------------------------------------------------------

    def exchange(self, form: TokenForm) -> dict[str, Any]:
        """Answer a token request or raise TokenError."""
        if form.grant_type == "authorization_code":
            return self._redeem_code(form)
        if form.grant_type == "refresh_token":
            return self._refresh(form)
        raise TokenError("unsupported_grant_type", "Only refresh_token or authorization_code grant type is supported")

    def _client(self, form: TokenForm, secret_error: str) -> OAuthApp:
        """Load the client and check a confidential client's secret."""
        app = self.app(form.client_id)
        if app is None:
            # Gitea formats the id with '%s' in quotes on code exchange and with %q on refresh
            quoted = json.dumps(form.client_id) if secret_error == "invalid_client" else f"'{form.client_id}'"
            raise TokenError("invalid_client", f"cannot load client with client id: {quoted}")
        if app.confidential and not app.secret_matches(form.client_secret):
            reason = "invalid client secret" if form.client_secret else "invalid empty client secret"
            raise TokenError(secret_error, reason)
        return app

    def _redeem_code(self, form: TokenForm) -> dict[str, Any]:
        """Exchange a code, in Gitea's order of checks (AccessTokenOAuth, handleAuthorizationCode)."""
        app = self._client(form, "unauthorized_client")
        if form.redirect_uri and form.redirect_uri not in app.redirect_uris:
            raise TokenError("unauthorized_client", "unexpected redirect URI")
        with self._lock:
            code = self._codes.get(form.code)
        if code is None:
            raise TokenError("unauthorized_client", "client is not authorized")
        self._check_code(code, form, app)
        with self._lock:
            if self._codes.pop(code.code, None) is None:
                raise TokenError("invalid_grant", "authorization code already used")
        return self._token_response(code.grant)

    def _check_code(self, code: AuthorizationCode, form: TokenForm, app: OAuthApp) -> None:
        """Reject an expired code, a failed PKCE check, another redirect URI or another app."""
        if code.valid_until < time.time():
            with self._lock:
                self._codes.pop(code.code, None)
            raise TokenError("invalid_grant", "authorization code expired")
        if not code.accepts(form.code_verifier):
            raise TokenError("unauthorized_client", "failed PKCE code challenge")
        if code.redirect_uri and form.redirect_uri != code.redirect_uri:
            raise TokenError("invalid_grant", "redirect_uri differs from the original authorization request")
        if code.grant.app is not app:
            raise TokenError("invalid_grant", "invalid grant")

    def _refresh(self, form: TokenForm) -> dict[str, Any]:
        """Issue fresh tokens for a refresh token (handleRefreshToken)."""
        app = self._client(form, "invalid_client")
        # Like Gitea's ParseToken, `tt` is not checked: any live token of the grant refreshes.
        claims = self._live_claims(form.refresh_token)
        if claims is None:
            raise TokenError("unauthorized_client", "unable to parse refresh token")
        with self._lock:
            grant = self._grants.get(claims.get("gnt", 0))
        if grant is None:
            raise TokenError("invalid_grant", "grant does not exist")
        if grant.app is not app:
            raise TokenError("invalid_grant", "refresh token belongs to a different client")
        counter = claims.get("cnt", 0)
        if self.invalidate_refresh_tokens and (counter == 0 or counter != grant.counter):
            raise TokenError("unauthorized_client", "token was already used")
        return self._token_response(grant)

    def _token_response(self, grant: Grant) -> dict[str, Any]:
        """Sign access, refresh and (with `openid`) ID tokens (NewAccessTokenResponse)."""
        with self._lock:
            grant.counter += 1 if self.invalidate_refresh_tokens else 0
            counter = grant.counter
        now = int(time.time())
        access = self._sign_access_token(grant, now)
        refresh_claims = {"gnt": grant.id, "tt": REFRESH_TOKEN, "cnt": counter, "exp": now + REFRESH_TOKEN_TTL}
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_token_ttl,
            "refresh_token": self._key.sign({**refresh_claims, "iat": now}),
        }
        if grant.has_scope("openid"):
            body["id_token"] = self._key.sign(self._id_token_claims(grant, now))
        with self._lock:
            self._issued.setdefault(grant.id, set()).add(access)
        return body

    def _sign_access_token(self, grant: Grant, now: int) -> str:
        """Sign `{gnt, tt, exp, iat}`, stepping iat back past a token killed by `expire`.

        RS256 signatures are deterministic, so a token issued in the same second as a killed
        one would be byte-identical to it and be refused.
        """
        while True:
            token = self._key.sign(
                {"gnt": grant.id, "tt": ACCESS_TOKEN, "exp": now + self.access_token_ttl, "iat": now}
            )
            with self._lock:
                if token not in self._killed:
                    return token
            now -= 1

    def _id_token_claims(self, grant: Grant, now: int) -> dict[str, Any]:
        """Build the OIDC ID token claims (FACTS §1.7); empty values are omitted like Go's omitempty."""
        user = self.user(grant.login)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": str(user.id),
            "aud": [grant.app.client_id],
            "exp": now + self.access_token_ttl,
            "iat": now,
            "nonce": grant.nonce,
        }
        if grant.has_scope("profile"):
            claims |= self._profile_claims(grant.login, user)
        if grant.has_scope("email"):
            claims |= {"email": user.email, "email_verified": bool(getattr(user, "is_active", True))}
        if grant.has_scope("groups"):
            claims["groups"] = self._groups(grant.login)
        return {name: value for name, value in claims.items() if value not in ("", None, [], False)}

    def _profile_claims(self, login: str, user: Any) -> dict[str, Any]:
        """Return the claims the `profile` scope adds."""
        updated = getattr(user, "updated", None) or getattr(user, "created", None)
        return {
            "name": self._display_name(login, user),
            "preferred_username": login,
            "profile": f"{self.root_url}/{login}",
            "picture": self._avatar(user),
            "website": getattr(user, "website", ""),
            "locale": getattr(user, "language", ""),
            "updated_at": _unix(updated),
        }

    @staticmethod
    def _display_name(login: str, user: Any) -> str:
        """Return Gitea's DisplayName: the trimmed full name, else the login."""
        return str(getattr(user, "full_name", "") or "").strip() or login

    def _avatar(self, user: Any) -> str:
        """Return the user's avatar URL (Gitea's generated avatar when none is known)."""
        known = getattr(user, "avatar_url", "")
        digest = hashlib.md5(str(user.email).lower().encode(), usedforsecurity=False).hexdigest()
        return known or f"{self.root_url}/avatars/{digest}"

    def _groups(self, login: str) -> list[str] | None:
        """Return org and org:team names, or None (JSON null) like a nil Go slice."""
        groups = self._groups_of(login) if self._groups_of else []
        return list(groups) or None

    def _live_claims(self, token: str) -> dict[str, Any] | None:
        """Return the claims of a token signed here that has not expired, else None."""
        claims = self._key.verify(token) if "." in token else None
        if claims is None or not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            return None
        with self._lock:
            return None if token in self._killed else claims

    def resolve_access_token(self, token: str) -> tuple[str, list[str]] | None:
        """Return (login, API scopes) for a valid, unexpired, unrevoked access token, else None."""
        claims = self._live_claims(token)
        if claims is None or claims.get("tt") != ACCESS_TOKEN or claims.get("iat", 0) > time.time():
            return None
        with self._lock:
            grant = self._grants.get(claims.get("gnt", 0))
        return (grant.login, grant_api_scopes(grant.scope)) if grant else None

    def bearer_login(self, token: str) -> str | None:
        """Return the user behind an OAuth access token or (through resolve_pat) a PAT."""
        if "." in token:  # Gitea's rule: only a value with a dot is tried as an OAuth JWT
            resolved = self.resolve_access_token(token)
            return resolved[0] if resolved else None
        return self._resolve_pat(token) if self._resolve_pat and token else None

    def userinfo(self, login: str) -> dict[str, Any]:
        """Return the userinfo body; every key is present and scopes do not filter it."""
        user = self.user(login)
        return {
            "sub": str(user.id),
            "name": self._display_name(login, user),
            "preferred_username": login,
            "email": user.email,
            "picture": self._avatar(user),
            "groups": self._groups(login),
        }

    def introspect(self, token: str) -> dict[str, Any]:
        """Describe a token (RFC 7662-ish); aud is the client id of the token's grant."""
        claims = self._live_claims(token)
        with self._lock:
            grant = self._grants.get(claims.get("gnt", 0)) if claims else None
        if grant is None:
            return {"active": False}
        body = {"active": True, "scope": grant.scope, "username": grant.login, "iss": self.issuer}
        body |= {"sub": str(self.user(grant.login).id), "aud": [grant.app.client_id]}
        return {name: value for name, value in body.items() if value != ""}

    def discovery(self) -> dict[str, Any]:
        """Return the OpenID discovery document of Gitea 1.27 (no device flow)."""
        base = self.root_url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/login/oauth/authorize",
            "token_endpoint": f"{base}/login/oauth/access_token",
            "jwks_uri": f"{base}/login/oauth/keys",
            "userinfo_endpoint": f"{base}/login/oauth/userinfo",
            "introspection_endpoint": f"{base}/login/oauth/introspect",
            "response_types_supported": ["code", "id_token"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "subject_types_supported": ["public"],
            "scopes_supported": list(OIDC_SCOPES),
            "claims_supported": list(OIDC_CLAIMS),
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Return the JWK Set."""
        return self._key.jwks()


@dataclass
class WebSession:
    """A signed-in browser and the authorize request awaiting its consent."""

    login: str
    pending: AuthorizationRequest | None = None


class ProviderRoutes:
    """The HTTP side of the provider: sessions, the HTML forms and the JSON endpoints."""

    def __init__(self, provider: OAuthProvider) -> None:
        self.provider = provider
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def blueprint(self) -> Blueprint:
        """Wire every route into a blueprint."""
        bp = Blueprint("gitea_oauth", __name__)
        routes: list[tuple[str, Callable[[], Response], list[str]]] = [
            ("/.well-known/openid-configuration", self.discovery, ["GET"]),
            ("/login/oauth/authorize", self.authorize, ["GET", "POST"]),
            ("/login/oauth/grant", self.grant, ["POST"]),
            ("/login/oauth/access_token", self.access_token, ["POST"]),
            ("/login/oauth/keys", self.keys, ["GET"]),
            ("/login/oauth/userinfo", self.userinfo, ["GET", "POST"]),
            ("/login/oauth/introspect", self.introspect, ["POST"]),
            ("/user/login", self.login, ["GET", "POST"]),
            ("/_emulator/oauth/apps", self.control_apps, ["POST"]),
            ("/_emulator/oauth/grants", self.control_grants, ["POST"]),
            ("/_emulator/oauth/revoke", self.control_revoke, ["POST"]),
            ("/_emulator/oauth/expire", self.control_expire, ["POST"]),
        ]
        for rule, view, methods in routes:
            bp.add_url_rule(rule, view.__name__, view, methods=methods)
        return bp

    # --- sessions -------------------------------------------------------------------

    def _session(self) -> WebSession | None:
        """Return the session named by the request's cookie."""
        with self._lock:
            return self._sessions.get(request.cookies.get(SESSION_COOKIE, ""))

    def _start_session(self, login: str) -> WebSession:
        """Sign `login` in with a new session cookie set on this request's response."""
        sid, session = secrets.token_hex(16), WebSession(login)
        with self._lock:
            self._sessions[sid] = session

        @after_this_request
        def set_cookie(response: Response) -> Response:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax")
            return response

        return session

    def _signed_in(self) -> WebSession | None:
        """Return the session of a signed-in user; Basic user credentials also sign in (emulator)."""
        session = self._session()
        if session is not None:
            return session
        credentials = basic_credentials(request.headers.get("Authorization", ""))
        login = self.provider.sign_in(*credentials) if credentials else None
        return self._start_session(login) if login else None

    # --- authorization --------------------------------------------------------------

    def authorize(self) -> Response:
        """GET|POST /login/oauth/authorize (AuthorizeOAuth)."""
        session = self._signed_in()
        if session is None:
            return see_other("/user/login?" + urlencode({"redirect_to": request.full_path}))
        req = AuthorizationRequest.read(request.values)
        app = self.provider.app(req.client_id)
        if app is None:
            return error_page("unauthorized_client", "Client ID not registered")
        if req.redirect_uri not in app.redirect_uris:
            return error_page("invalid_request", "Unregistered Redirect URI")
        try:
            req.check(app)
        except AuthorizeError as err:
            return err.redirect(req.redirect_uri, req.state)
        grant = self.provider.grant_for(app, session.login)
        if grant is not None and app.confidential:
            return self._skip_consent(app, session.login, req)
        session.pending = req
        return html_page("Authorize application", consent_form(app, req))

    def _skip_consent(self, app: OAuthApp, login: str, req: AuthorizationRequest) -> Response:
        """Redirect with a code at once: the grant exists and the app is confidential."""
        grant = self.provider.approve(app, login, req.scope, req.nonce)
        code = self.provider.new_code(grant, req.redirect_uri, req.challenge, req.method)
        return see_other(code.location(req.state))

    def grant(self) -> Response:
        """POST /login/oauth/grant: the consent form (GrantApplicationOAuth)."""
        session = self._signed_in()
        if session is None:
            return see_other("/user/login")
        form, pending = request.form, session.pending
        asked = (form.get("client_id"), form.get("state"), form.get("redirect_uri"))
        if pending is None or asked != (pending.client_id, pending.state, pending.redirect_uri):
            return Response("Bad Request", 400, content_type=TEXT_TYPE)
        if form.get("granted", "").lower() not in ("1", "t", "true"):  # Go's ParseBool
            denied = AuthorizeError("access_denied", "the request is denied")
            return denied.redirect(pending.redirect_uri, pending.state)
        app = self.provider.app(pending.client_id)
        if app is None:
            return Response("Internal Server Error", 500, content_type=TEXT_TYPE)
        grant = self.provider.approve(app, session.login, form.get("scope", ""), form.get("nonce", ""))
        code = self.provider.new_code(grant, pending.redirect_uri, pending.challenge, pending.method)
        return see_other(code.location(pending.state))

    def login(self) -> Response:
        """GET|POST /user/login: a minimal sign-in form that returns to `redirect_to`."""
        target = request.values.get("redirect_to", "")
        if request.method == "GET":
            return html_page("Sign in", login_form(target, ""))
        login = self.provider.sign_in(request.form.get("user_name", ""), request.form.get("password", ""))
        if login is None:
            return html_page("Sign in", login_form(target, "Username or password is incorrect."))
        self._start_session(login)
        local = target.startswith("/") and not target.startswith("//")  # no open redirect
        return see_other(target if local else "/")

    # --- JSON endpoints -------------------------------------------------------------

    def discovery(self) -> Response:
        """GET /.well-known/openid-configuration."""
        return json_response(self.provider.discovery())

    def keys(self) -> Response:
        """GET /login/oauth/keys."""
        return json_response(self.provider.jwks())

    def access_token(self) -> Response:
        """POST /login/oauth/access_token: every error is a JSON 400."""
        try:
            return json_response(self.provider.exchange(token_form(request)))
        except TokenError as err:
            return err.response()

    def userinfo(self) -> Response:
        """GET|POST /login/oauth/userinfo with a Bearer access token or a PAT."""
        login = self.provider.bearer_login(bearer_token(request))
        if login is None:
            return unauthorized("Bearer")
        return json_response(self.provider.userinfo(login))

    def introspect(self) -> Response:
        """POST /login/oauth/introspect with any registered client's Basic credentials."""
        credentials = basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None or self.provider.authenticate_client(*credentials) is None:
            return unauthorized("Basic")
        return json_response(self.provider.introspect(request.values.get("token", "")))

    # --- emulator control -----------------------------------------------------------

    def control_apps(self) -> Response:
        """POST /_emulator/oauth/apps {name, redirect_uris, confidential?} -> client credentials."""
        body = request_body(request)
        client_id, secret = self.provider.register_app(
            str(body.get("name", "app")), list(body.get("redirect_uris", [])), bool(body.get("confidential", True))
        )
        return json_response({"client_id": client_id, "client_secret": secret}, 201)

    def control_grants(self) -> Response:
        """POST /_emulator/oauth/grants {login, client_id, scope, nonce?}: pre-approve an app."""
        body = request_body(request)
        app = self.provider.app(str(body.get("client_id", "")))
        login = str(body.get("login", ""))
        if app is None or not self.provider.has_user(login):
            return json_response({"message": "unknown client_id or login"}, 404)
        grant = self.provider.approve(app, login, str(body.get("scope", "")), str(body.get("nonce", "")))
        return json_response({"id": grant.id, "login": login, "client_id": app.client_id, "scope": grant.scope}, 201)

    def control_revoke(self) -> Response:
        """POST /_emulator/oauth/revoke {login, client_id?}: delete grants, killing their tokens."""
        body = request_body(request)
        count = self.provider.revoke_grants(str(body.get("login", "")), body.get("client_id"))
        return json_response({"revoked": count})

    def control_expire(self) -> Response:
        """POST /_emulator/oauth/expire {login, client_id?}: expire the grants' access tokens now."""
        body = request_body(request)
        count = self.provider.expire_access_tokens(str(body.get("login", "")), body.get("client_id"))
        return json_response({"expired": count})


def token_form(req: Request) -> TokenForm:
    """Read a token request, filling client credentials from Basic auth like AccessTokenOAuth."""
    values = request_body(req)
    fields = {name: str(values.get(name, "")) for name in TokenForm.__dataclass_fields__}
    form = TokenForm(**fields)
    header = req.headers.get("Authorization", "")
    if (form.client_id and form.client_secret) or not header:
        return form  # Gitea ignores the header when the body carries both
    credentials = basic_credentials(header)
    if credentials is None:
        raise TokenError("invalid_request", "cannot parse basic auth header")
    sent = (form.client_id, form.client_secret)
    for field, body_value, header_value in zip(("client_id", "client_secret"), sent, credentials, strict=True):
        if body_value and body_value != header_value:
            raise TokenError("invalid_request", f"{field} in request body inconsistent with Authorization header")
    form.client_id, form.client_secret = credentials
    return form


def request_body(req: Request) -> Mapping[str, Any]:
    """Return a JSON object body, else the form fields."""
    body = req.get_json(silent=True) if req.is_json else None
    return body if isinstance(body, dict) else req.form


def html_page(title: str, body: str, status: int = 200) -> Response:
    """Return a minimal HTML page."""
    page = f"<!DOCTYPE html><html><head><title>{html.escape(title)} - Gitea</title></head><body>{body}</body></html>"
    return Response(page, status, content_type="text/html;charset=utf-8")


def error_page(code: str, description: str) -> Response:
    """Return Gitea's grant_error page: HTML 400, no redirect."""
    body = f'<div class="ui negative message"><p>{html.escape(code)}</p><p>{html.escape(description)}</p></div>'
    return html_page("Authorization failed", body, 400)


def hidden(name: str, value: str) -> str:
    """Return a hidden form input."""
    return f'<input type="hidden" name="{name}" value="{html.escape(value, quote=True)}">'


def consent_form(app: OAuthApp, req: AuthorizationRequest) -> str:
    """Return the consent form that posts to /login/oauth/grant."""
    fields = {"client_id": req.client_id, "state": req.state, "scope": req.scope}
    fields |= {"nonce": req.nonce, "redirect_uri": req.redirect_uri}
    inputs = "".join(hidden(name, value) for name, value in fields.items())
    return (
        f"<h2>Authorize {html.escape(app.name)} to access your account?</h2>"
        f'<form method="post" action="/login/oauth/grant">{inputs}'
        '<button type="submit" name="granted" value="true">Authorize Application</button>'
        '<button type="submit" name="granted" value="false">Cancel</button></form>'
    )


def login_form(redirect_to: str, error: str) -> str:
    """Return the sign-in form."""
    message = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return (
        f'{message}<form method="post" action="/user/login">{hidden("redirect_to", redirect_to)}'
        '<input name="user_name" autocomplete="username"><input name="password" type="password">'
        '<button type="submit">Sign In</button></form>'
    )
