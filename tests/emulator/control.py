"""Test control API under /_emulator/ (not part of Gitea): faults, counters, tokens, webhooks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from tests.emulator.repo_access import world
from tests.emulator.webhooks import deliver_event

bp = Blueprint("emulator_control", __name__)


def _json() -> dict[str, Any]:
    """Return the JSON body or an empty dict."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Arm a fault: {"method", "path", "kind", "latency_ms"?, "retry_after"?, "times"?, "rate"?}."""
    try:
        fault = world().faults.add(_json())
    except (ValueError, TypeError) as error:
        return jsonify({"message": str(error)}), 400
    return jsonify(vars(fault)), 201


@bp.get("/faults")
def list_faults() -> Response:
    """The armed faults, each with `hits`: how many requests it answered."""
    return jsonify([vars(fault) for fault in world().faults.armed()])


@bp.delete("/faults")
def clear_faults() -> tuple[str, int]:
    """Disarm every fault."""
    world().faults.clear()
    return "", 204


@bp.get("/stats")
def stats() -> Response:
    """Return {"requests": N, "connections": N} since start or the last reset."""
    return jsonify(world().traffic.snapshot())


@bp.post("/stats/reset")
def reset_stats() -> tuple[str, int]:
    """Zero the counters."""
    world().traffic.reset()
    return "", 204


@bp.post("/tokens/<login>/revoke")
def revoke_tokens(login: str) -> tuple[Response, int]:
    """Revoke a user's PATs: one token with {"token": value}, else all of them."""
    wanted = _json().get("token")
    revoked = 0
    for token in world().store.tokens.values():
        if token.login == login and (wanted is None or token.value == wanted):
            token.revoked = True
            revoked += 1
    return jsonify({"revoked": revoked}), 200 if revoked else 404


@bp.post("/webhooks/deliver")
def deliver_webhook() -> tuple[Response, int]:
    """Send one webhook: {"url", "event" (X-Gitea-Event-Type), "secret"?, "payload"?, "repo"?}."""
    spec = _json()
    if not spec.get("url") or not spec.get("event"):
        return jsonify({"message": "url and event are required"}), 400
    payload = spec.get("payload") or demo_payload(spec["event"], spec.get("repo", "acme/service-a"))
    result = deliver_event(spec["url"], spec["event"], payload, spec.get("secret", ""))
    return jsonify(result), 200


def demo_payload(event: str, full_name: str) -> dict[str, Any]:
    """Build a realistic payload for an event from the emulator's own data."""
    from tests.emulator.webhooks import build_payload

    owner, _, name = full_name.partition("/")
    return build_payload(world(), event, owner, name)
