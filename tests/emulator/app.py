"""The Flask app of the Gitea emulator: /api/v1 (Gitea 1.27), OAuth (oauth.py) and /_emulator controls."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from tests.emulator.auth import authenticate, check_scopes
from tests.emulator.errors import GiteaError, error_response
from tests.emulator.faults import Fault, FaultTable
from tests.emulator.model import Store
from tests.emulator.recording import API_PREFIX, RequestRecorder, swagger_template
from tests.emulator.render import Renderer
from tests.emulator.seeding import build_world
from tests.emulator.seeds import load_seed
from tests.emulator.traffic import TrafficStats

OAUTH_APP_NAME = "aegis-mcp"


class Emulator:
    """Everything one emulated Gitea holds: data, OAuth provider, faults, counters, request log."""

    def __init__(self, store: Store, oauth: Any, oauth_app: dict[str, Any]) -> None:
        self.store = store
        self.render = Renderer(store)
        self.oauth = oauth
        self.oauth_app = oauth_app
        self.faults = FaultTable()
        self.traffic = TrafficStats()
        self.recorder = RequestRecorder(os.path.join(store.state_dir, "requests.jsonl"))

    def credentials(self) -> dict[str, Any]:
        """Return what tests need to log in: users, passwords, tokens by name, the OAuth app."""
        users = {}
        for user in self.store.users.values():
            tokens = {t.name: {"token": t.value, "scopes": t.scopes}
                      for t in self.store.tokens.values() if t.login == user.login}
            main = tokens.get("full", next(iter(tokens.values()), {"token": ""}))
            users[user.login] = {"password": user.password, "token": main["token"], "tokens": tokens}
        return {"base_url": self.store.root_url.rstrip("/"), "users": users, "oauth_app": self.oauth_app}


def create_emulator(state_dir: str, root_url: str, seed: str | dict[str, Any] = "demo",
                    oauth_redirect_uris: Iterable[str] = ()) -> Flask:
    """Build an emulator app whose git repositories live under state_dir."""
    os.makedirs(state_dir, exist_ok=True)
    app = Flask("gitea_emulator")
    app.config["ROOT_URL"] = root_url.rstrip("/") + "/"
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = Store(root_url, state_dir)
    build_world(store, load_seed(seed) if isinstance(seed, str) else seed)
    oauth, oauth_app = _oauth(app, store, list(oauth_redirect_uris))
    app.extensions["gitea_emulator"] = Emulator(store, oauth, oauth_app)
    _register_blueprints(app)
    app.before_request(_before_request)
    app.register_error_handler(GiteaError, lambda e: error_response(e.status, e.message))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    return app


def _oauth(app: Flask, store: Store, redirect_uris: list[str]) -> tuple[Any, dict[str, Any]]:
    """Create the OAuth provider (tests/emulator/oauth.py) and register the aegis-mcp app, if present."""
    try:
        from tests.emulator.oauth import OAuthProvider  # written separately; optional until it lands
    except ImportError:
        return None, {"client_id": "", "client_secret": "", "redirect_uris": redirect_uris}
    provider = OAuthProvider(app.config["ROOT_URL"], store.users, store.state_dir,
                             resolve_pat=lambda value: _pat_owner(store, value),
                             groups_of=lambda login: [o.name for o in store.orgs.values() if login in o.members])
    app.register_blueprint(provider.blueprint())
    client_id, client_secret = provider.register_app(OAUTH_APP_NAME, redirect_uris, confidential=True)
    return provider, {"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris}


def _pat_owner(store: Store, value: str) -> str | None:
    """Return the login of a live personal access token (userinfo accepts PATs too)."""
    token = store.tokens.get(value)
    return token.login if token and not token.revoked else None


def _register_blueprints(app: Flask) -> None:
    """Attach the API route modules and the control API."""
    from tests.emulator import api_actions, api_code, api_issues, api_pulls, api_reviews, api_users, api_wiki, control

    for module in (api_users, api_code, api_issues, api_pulls, api_reviews, api_actions, api_wiki):
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)
    app.register_blueprint(control.bp, url_prefix="/_emulator")


def _before_request() -> Response | None:
    """Count, record, apply faults, then authenticate and check token scopes."""
    emulator: Emulator = app_emulator()
    if request.path.startswith("/_emulator"):
        return None
    emulator.traffic.count(request.remote_addr or "", str(request.environ.get("REMOTE_PORT", "")))
    if request.path.startswith(API_PREFIX):
        emulator.recorder.record(request)  # faulted requests were still sent by the client: check them too
    fault = request.environ.get("emulator.fault", None) if "emulator.fault" in request.environ else (
        emulator.faults.take(request.method, request.path))
    if fault is not None:
        faulty = _apply_fault(fault)
        if faulty is not None:
            return faulty
    if request.path.startswith(API_PREFIX):
        g.principal = authenticate(emulator.store, emulator.oauth)
        if request.url_rule is not None:
            check_scopes(g.principal, swagger_template(request.url_rule.rule), request.method)
    return None


def app_emulator() -> Emulator:
    """Return the emulator of the current app."""
    from flask import current_app

    emulator: Emulator = current_app.extensions["gitea_emulator"]
    return emulator


def _apply_fault(fault: Fault) -> Response | None:
    """Answer with the fault, or sleep and let the request go on (latency)."""
    if fault.kind == "latency":
        time.sleep(fault.latency_ms / 1000)
        return None
    if fault.kind == "invalid_json":
        return Response('{"id": 1, "name": "trunc', status=200, mimetype="application/json")
    if fault.kind in ("500", "502", "429"):
        response = error_response(int(fault.kind), f"injected fault {fault.kind}")
        if fault.kind == "429":
            response.headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        return response
    return None  # reset and truncated act on the connection (server.py)


def _http_error(error: HTTPException) -> Response:
    """Unknown routes and methods answer in Gitea's JSON error shape."""
    if not request.path.startswith(API_PREFIX) and error.code != 404:
        return error.get_response()  # type: ignore[return-value]
    messages = {404: "not found", 405: "method not allowed"}
    return error_response(error.code or 500, messages.get(error.code or 500, error.description or ""))


def _crash(error: Exception) -> Response:
    """A bug in the emulator: 500 with an empty message (Gitea in prod), traceback on stderr."""
    traceback.print_exception(error, file=sys.stderr)
    return error_response(500, "")


def write_credentials(app: Flask, state_dir: str) -> str:
    """Write credentials.json atomically (readers never see a half-written file)."""
    path = os.path.join(state_dir, "credentials.json")
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(app.extensions["gitea_emulator"].credentials(), handle, indent=2)
    os.replace(temporary, path)
    return path
