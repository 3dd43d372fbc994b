"""API-key mode: who a key makes you, and the 401 challenge when it does not."""

from __future__ import annotations

import hmac
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import create_app
from app.auth import api_keys
from app.auth.api_keys import ApiKeyResolver
from app.auth.authenticator import EXTENSION as AUTH_EXTENSION
from app.auth.authenticator import Authenticator
from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.config import Settings
from app.errors import Unauthorized
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_LIMITS

KEY_1, KEY_2 = "a" * 40, "b" * 48
ROOT = Path(__file__).resolve().parents[2]


def settings(**overrides: str) -> Settings:
    values = {
        **TEST_LIMITS,
        "GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": f"{KEY_1},{KEY_2}", "GITEA_TOKEN": "t" * 40,
        "PUBLIC_BASE_URL": "https://mcp.example.com", **overrides,
    }
    return Settings.from_mapping(values)


def resolve_principal(configured: Settings, header: str | None) -> Principal:
    """API-key mode's authenticator, as create_app builds it (without the Gitea login lookup)."""
    authenticator = Authenticator(configured)
    authenticator.register(ApiKeyResolver(configured))
    return authenticator.authenticate(header)


def test_second_key_makes_an_api_key_principal_with_read_scope() -> None:
    principal = resolve_principal(settings(), f"Bearer {KEY_2}")
    assert (principal.login, principal.client_id, principal.kind) == ("api-key-2", "api-key-2", "api_key")
    assert principal.scopes == frozenset({READ_SCOPE})
    assert principal.upstream is not None and principal.upstream.authorization() == "token " + "t" * 40
    assert "t" * 40 not in repr(principal)


def test_write_mode_adds_the_write_scope() -> None:
    principal = resolve_principal(settings(WRITE_MODE="true", WRITE_ALLOW_ALL_TOKEN_REPOS="true"), f"bearer {KEY_1}")
    assert principal.scopes == frozenset({READ_SCOPE, WRITE_SCOPE})


def test_missing_header_is_401_with_the_resource_metadata_challenge() -> None:
    with pytest.raises(Unauthorized) as raised:
        resolve_principal(settings(), None)
    challenge = raised.value.headers["WWW-Authenticate"]
    assert challenge == (
        'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", '
        'scope="read:repository"'
    )


@pytest.mark.parametrize("header", [f"Bearer {KEY_1}x", f"Basic {KEY_1}", "Bearer ", KEY_1, f"Bearer {KEY_1[:-1]}"])
def test_wrong_or_malformed_credentials_are_401(header: str) -> None:
    with pytest.raises(Unauthorized) as raised:
        resolve_principal(settings(), header)
    sent_a_token = header.lower().startswith("bearer ") and header.strip().lower() != "bearer"
    assert ('error="invalid_token"' in raised.value.headers["WWW-Authenticate"]) is sent_a_token


def test_every_key_is_compared_even_after_a_match(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[bytes] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr(api_keys.hmac, "compare_digest", counting)
    assert api_keys.matching_key_index(settings(), KEY_1) == 1
    assert compared == [KEY_1.encode(), KEY_2.encode()]


def test_auth_disabled_on_loopback_gives_the_anonymous_principal() -> None:
    principal = resolve_principal(settings(AUTH_ENABLED="false"), None)
    assert principal.kind == "anonymous" and principal.scopes == frozenset({READ_SCOPE})


def test_generate_api_key_prints_a_fresh_64_character_key() -> None:
    script = str(ROOT / "scripts" / "generate_api_key.py")
    keys = [subprocess.run([sys.executable, script], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys) and keys[0] != keys[1]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess().start(str(tmp_path_factory.mktemp("auth-emulator")))
    yield process
    process.stop()


def test_login_is_the_gitea_user_behind_gitea_token(emulator: EmulatorProcess, tmp_path: Path) -> None:
    config = {"GITEA_URL": emulator.base_url, "MCP_API_KEYS": KEY_1, "GITEA_TOKEN": emulator.token("bob"),
              "AUDIT_LOG_PATH": str(tmp_path / "audit.log")}
    app = create_app(config)
    with app.app_context():
        principal = app.extensions[AUTH_EXTENSION].authenticate(f"Bearer {KEY_1}")
    assert (principal.login, principal.client_id) == ("bob", "api-key-1")


def test_login_falls_back_to_the_key_name_when_gitea_is_unreachable(tmp_path: Path) -> None:
    config = {"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": KEY_1, "GITEA_TOKEN": "t" * 40,
              "AUDIT_LOG_PATH": str(tmp_path / "audit.log")}
    app = create_app(config)
    with app.app_context():
        principal = app.extensions[AUTH_EXTENSION].authenticate(f"Bearer {KEY_1}")
    assert principal.login == "api-key-1"


def test_a_slow_service_login_lookup_holds_up_no_other_request() -> None:
    import threading
    import time

    from app.auth.api_keys import ServiceLogin

    release = threading.Event()

    def slow_lookup() -> str:  # Gitea answering /user slowly
        release.wait(10)
        return "alice"

    login = ServiceLogin(slow_lookup)
    first = threading.Thread(target=login.get)
    first.start()
    time.sleep(0.1)  # the first request is now inside the lookup
    started = time.monotonic()
    assert login.get() is None  # another request goes on as api-key-N instead of waiting
    assert time.monotonic() - started < 1
    release.set()
    first.join(5)
    assert login.get() == "alice"
