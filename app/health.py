"""Readiness checks: Gitea reachable, shared store reachable, audit log writable."""

from __future__ import annotations

import os
from typing import Any

import requests

from app.config import Settings
from app.store import Store

READY_TIMEOUT_SECONDS = 3.0


def check_gitea(settings: Settings) -> dict[str, Any]:
    timeout = min(settings.request_timeout_seconds, READY_TIMEOUT_SECONDS)
    try:
        response = requests.get(f"{settings.gitea_url}/api/v1/version", timeout=timeout)
    except requests.RequestException as exc:
        return {"ok": False, "reason": f"Gitea unreachable ({type(exc).__name__})"}
    if response.status_code != 200:
        return {"ok": False, "reason": f"Gitea answered {response.status_code}"}
    return {"ok": True}


def check_gitea_oidc(settings: Settings) -> dict[str, Any]:
    """Gitea's OIDC discovery document answers and names the endpoints the OAuth facade uses."""
    url = f"{settings.gitea_url}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=min(settings.request_timeout_seconds, READY_TIMEOUT_SECONDS))
        document = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as exc:
        return {"ok": False, "reason": f"Gitea OIDC discovery unreachable ({type(exc).__name__})"}
    if not isinstance(document, dict):
        return {"ok": False, "reason": f"Gitea OIDC discovery answered {response.status_code}; is OAuth2 enabled?"}
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if k not in document]
    if missing:
        return {"ok": False, "reason": f"Gitea OIDC discovery lacks {', '.join(missing)}"}
    return {"ok": True}


def check_audit_path(settings: Settings) -> dict[str, Any]:
    path = settings.audit_log_path
    target = path if os.path.exists(path) else os.path.dirname(path) or "."
    if os.access(target, os.W_OK):
        return {"ok": True}
    return {"ok": False, "reason": f"audit log path not writable: {path}"}


def check_store(store: Store) -> dict[str, Any]:
    try:
        store.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return {"ok": False, "reason": f"Redis unreachable ({type(exc).__name__})"}
    return {"ok": True}


def run_readiness_checks(settings: Settings, store: Store) -> dict[str, dict[str, Any]]:
    checks = {"gitea": check_gitea(settings), "audit_log": check_audit_path(settings)}
    if settings.oauth_mode:
        checks["gitea_oidc"] = check_gitea_oidc(settings)
    if settings.redis_url:
        checks["redis"] = check_store(store)
    return checks
