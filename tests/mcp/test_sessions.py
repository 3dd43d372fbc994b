"""Legacy session ids: bound to the credential that opened them, stable across a login lookup."""

from __future__ import annotations

from app.auth.principal import Principal
from app.mcp.sessions import SessionSeal
from app.store.memory import MemoryStore


def api_key(login: str, client_id: str = "api-key-0") -> Principal:
    return Principal(login, frozenset({"read:repository"}), client_id, "api_key")


def test_api_key_session_survives_the_service_login_lookup_but_not_another_key() -> None:
    seal = SessionSeal(b"k" * 32, MemoryStore())
    # Opened before GITEA_TOKEN's user was known, used after: the key, not its display login, is the identity.
    session_id = seal.mint(api_key("api-key-0"), "2025-06-18")
    assert seal.open(session_id, api_key("alice")) is not None
    assert seal.open(session_id, api_key("alice", client_id="api-key-1")) is None


def test_oauth_sessions_stay_bound_to_the_user() -> None:
    seal = SessionSeal(b"k" * 32, MemoryStore())
    alice = Principal("alice", frozenset({"read:repository"}), "client-1", "oauth")
    session_id = seal.mint(alice, "2025-06-18")
    assert seal.open(session_id, alice) is not None
    assert seal.open(session_id, Principal("bob", frozenset({"read:repository"}), "client-1", "oauth")) is None
