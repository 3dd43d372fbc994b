"""Every launcher makes the same start-up checks and refuses a bad configuration with the same message:
gunicorn's master, `flask run`, `flask aegis check-config` and create_app in-process (app/startup.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis

from app import create_app
from app.config import SettingsError
from app.startup import SESSION_SECRET_CHECK_KEY, refusal
from tests.fixtures.gunicorn import ROOT, GunicornServer, base_env, free_port, run_gunicorn_expecting_exit
from tests.fixtures.redis import RedisServer

FLASK = str(Path(sys.executable).with_name("flask"))


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def refusal_from_create_app(env: dict[str, str]) -> str:
    settings = {k: v for k, v in env.items() if k not in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    with pytest.raises(SettingsError) as info:
        create_app(settings)
    return refusal(info.value)


def assert_every_launcher_refuses(env: dict[str, str], expected: str) -> None:
    message = refusal_from_create_app(env)
    assert expected in message
    port = str(free_port())
    launchers = {
        "gunicorn": run_gunicorn_expecting_exit(env),
        "flask run": run([FLASK, "--app", "wsgi", "run", "--port", port], env),
        "flask aegis check-config": run([FLASK, "--app", "wsgi", "aegis", "check-config"], env),
        "aegis check-config": run([sys.executable, "-c", "from app.cli import main; main()", "check-config"], env),
    }
    for name, result in launchers.items():
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert message in result.stderr, (name, result.stderr)


def test_invalid_policy_file_is_refused_alike_by_every_launcher(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults:\n  read: sometimes\n")
    env = base_env(POLICY_FILE=str(policy), MCP_PORT=str(free_port()))
    assert_every_launcher_refuses(env, f"POLICY_FILE: invalid {policy}: defaults.read: Must be one of: allow, deny.")


def test_unreachable_gitea_oidc_is_refused_alike_by_every_launcher() -> None:
    env = base_env(
        OAUTH_MODE="true", GITEA_URL=f"http://127.0.0.1:{free_port()}", GITEA_OAUTH_CLIENT_ID="id",
        GITEA_OAUTH_CLIENT_SECRET="secret", OAUTH_STATE_SECRET="s" * 40, MCP_PORT=str(free_port()),
    )
    assert_every_launcher_refuses(env, "Gitea OIDC discovery unreachable")


def test_redis_without_a_session_secret_is_refused_alike_by_every_launcher() -> None:
    env = base_env(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", MCP_SESSION_SECRET="", MCP_PORT=str(free_port()))
    assert_every_launcher_refuses(env, "MCP_SESSION_SECRET: required with REDIS_URL")


def test_paas_start_without_the_opt_in_names_the_setting() -> None:
    env = base_env(PORT=str(free_port()))
    del env["MCP_HOST"]
    assert_every_launcher_refuses(env, "DEPLOY_TARGET: PORT=")


def test_a_second_host_with_another_session_secret_is_refused() -> None:
    first, second = "first-secret-" + "a" * 40, "second-secret-" + "b" * 40
    with RedisServer() as redis_server, GunicornServer(
        base_env(REDIS_URL=redis_server.url, MCP_SESSION_SECRET=first)
    ).start():
        recorded = redis.Redis.from_url(redis_server.url).get(SESSION_SECRET_CHECK_KEY)
        assert recorded and first.encode() not in recorded  # a check value, never the secret

        other = base_env(REDIS_URL=redis_server.url, MCP_SESSION_SECRET=second, MCP_PORT=str(free_port()))
        result = run_gunicorn_expecting_exit(other)
        assert result.returncode == 1
        assert "MCP_SESSION_SECRET: differs from the one another host sharing REDIS_URL" in result.stderr
        assert f"redis-cli DEL {SESSION_SECRET_CHECK_KEY}" in result.stderr
        assert refusal_from_create_app(other) in result.stderr

        # The same secret on a second host starts.
        with GunicornServer(base_env(REDIS_URL=redis_server.url, MCP_SESSION_SECRET=first)).start() as twin:
            assert twin.process is not None and twin.process.poll() is None
