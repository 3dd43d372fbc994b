"""Settings: defaults, typed parsing, every problem reported at once, secrets never shown."""

from __future__ import annotations

import pytest

from app.config import Settings, SettingsError, settings_table

VALID = {"GITEA_URL": "https://gitea.example.com", "MCP_API_KEYS": "k" * 32}


def load(**env: str) -> Settings:
    return Settings.from_mapping({**VALID, **env})


def problems_for(**env: str) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load(**env)
    return info.value.problems


def test_documented_defaults() -> None:
    settings = load()
    assert (settings.mcp_host, settings.mcp_port) == ("127.0.0.1", 8080)
    assert settings.write_mode is False and settings.oauth_mode is False
    assert settings.max_file_size_bytes == 1048576
    assert settings.max_tool_response_items == 200 and settings.max_tool_response_chars == 20000
    assert settings.secret_detection_mode == "mask"
    assert settings.dcr_storage_path == "/var/lib/aegis-mcp/dcr_clients.json"
    assert settings.audit_log_path == "/var/log/aegis-mcp/audit.log"
    assert (settings.gunicorn_workers, settings.gunicorn_threads) == (1, 32)
    assert settings.max_request_bytes == 1048576 and settings.metrics_enabled is True


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WRITE_MODE": "maybe"}, "WRITE_MODE: expected true or false"),
        ({"MCP_PORT": "abc"}, "MCP_PORT: expected a whole number"),
        ({"MCP_PORT": "70000"}, "MCP_PORT: must be between 1 and 65535"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: expected one of DEBUG"),
        ({"GITEA_URL": "gitea.example.com"}, "GITEA_URL: expected a URL starting with http:// or https://"),
        ({"PUBLIC_BASE_URL": "ftp://x"}, "PUBLIC_BASE_URL: expected a URL"),
        ({"SECRET_DETECTION_MODE": "loud"}, "SECRET_DETECTION_MODE: expected one of off, mask, block"),
        ({"REQUEST_TIMEOUT_SECONDS": "-1"}, "REQUEST_TIMEOUT_SECONDS: must be greater than 0"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL: expected a URL starting with redis://"),
    ],
)
def test_bad_value_is_named(env: dict[str, str], named: str) -> None:
    assert any(p.startswith(named) for p in problems_for(**env)), problems_for(**env)


def test_all_problems_reported_together() -> None:
    problems = problems_for(WRITE_MODE="maybe", MCP_PORT="abc", LOG_LEVEL="LOUD", GITEA_URL="nope")
    assert len(problems) == 4
    message = str(SettingsError(problems))
    assert message.startswith("Invalid configuration (4 problems)")


def test_cross_field_rules_say_what_to_set() -> None:
    assert any("ALLOW_INSECURE_BIND=true" in p for p in problems_for(MCP_HOST="0.0.0.0"))
    assert any("WRITE_REPOSITORY_WHITELIST" in p for p in problems_for(WRITE_MODE="true"))
    assert any("OAUTH_STATE_SECRET" in p for p in problems_for(OAUTH_MODE="true", OAUTH_STATE_SECRET="short"))
    assert any("shorter than 32" in p for p in problems_for(MCP_API_KEYS="tooshort"))
    assert any("loopback" in p for p in problems_for(AUTH_ENABLED="false", MCP_HOST="10.1.2.3"))
    assert load(MCP_HOST="0.0.0.0", ALLOW_INSECURE_BIND="true").mcp_host == "0.0.0.0"
    assert load(WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="acme/service-a").write_mode


def test_secrets_never_in_repr_or_errors() -> None:
    settings = load(GITEA_TOKEN="tok-very-secret", OAUTH_STATE_SECRET="s" * 40, MCP_API_KEYS="K" * 40)
    shown = repr(settings) + str(settings)
    assert "tok-very-secret" not in shown and "K" * 40 not in shown and "s" * 40 not in shown
    assert settings.gitea_token.reveal() == "tok-very-secret"
    problems = problems_for(MCP_API_KEYS="leaky-short-key")
    assert "leaky-short-key" not in " ".join(problems)


def test_dotenv_is_read_and_environment_wins(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("GITEA_URL=https://from-dotenv.example\nMCP_PORT=9001\nMCP_API_KEYS=" + "d" * 32 + "\n")
    settings = Settings.from_env({"MCP_PORT": "9002"}, dotenv_path=str(dotenv))
    assert settings.gitea_url == "https://from-dotenv.example" and settings.mcp_port == 9002


def test_env_example_lists_every_setting() -> None:
    from pathlib import Path

    example = (Path(__file__).parents[1] / ".env.example").read_text()
    missing = [name for name, _, _ in settings_table() if f"{name}=" not in example]
    assert not missing


def test_configuration_doc_is_current() -> None:
    from scripts.render_config_docs import DOC, render

    text = DOC.read_text()
    assert render(text) == text, "run: python scripts/render_config_docs.py"
    assert "`MCP_HOST` | `127.0.0.1`" in text


@pytest.mark.parametrize("host", ["0.0.0.0", "0", "0.0", "0.0.0", "::", "::0", "[::]", "0:0:0:0:0:0:0:0", ""])
def test_every_spelling_of_all_interfaces_needs_the_opt_in(host: str) -> None:
    assert any("ALLOW_INSECURE_BIND=true" in p for p in problems_for(MCP_HOST=host))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "10.1.2.3", "gitea-proxy.internal"])
def test_specific_interfaces_need_no_opt_in(host: str) -> None:
    assert load(MCP_HOST=host).mcp_host == host


@pytest.mark.parametrize(
    ("bind", "host"),
    [("127.0.0.1:8080", "127.0.0.1"), ("[::]:80", "::"), ("tcp://0:80", "0"), ("0.0.0.0", "0.0.0.0"),
     ("tcp://[::0]:8080", "::0"), ("unix:/run/aegis.sock", None), ("fd://3", None)],
)
def test_gunicorn_bind_addresses_are_parsed_for_the_check(bind: str, host: str | None) -> None:
    from app.config import bind_host

    assert bind_host(bind) == host


def test_platform_port_is_used_when_mcp_port_is_unset() -> None:
    assert load(PORT="5000", MCP_HOST="127.0.0.1").mcp_port == 5000
    assert load(PORT="5000", MCP_PORT="8081", MCP_HOST="127.0.0.1").mcp_port == 8081
    assert any(p.startswith("PORT: expected a whole number") for p in problems_for(PORT="web", MCP_HOST="::1"))


def test_paas_start_without_the_opt_in_names_the_setting() -> None:
    (problem,) = problems_for(PORT="5000")
    assert problem.startswith("DEPLOY_TARGET:") and "DEPLOY_TARGET=paas" in problem and "MCP_HOST=127.0.0.1" in problem


def test_paas_target_listens_on_every_interface_without_allow_insecure_bind() -> None:
    settings = load(PORT="5000", DEPLOY_TARGET="paas")
    assert (settings.mcp_host, settings.mcp_port, settings.allows_every_interface) == ("0.0.0.0", 5000, True)
    assert load(DEPLOY_TARGET="paas", MCP_HOST="127.0.0.1").mcp_host == "127.0.0.1"
    assert not load().allows_every_interface


def test_redis_without_a_session_secret_is_refused() -> None:
    (problem,) = problems_for(REDIS_URL="redis://127.0.0.1:6379/0")
    assert problem.startswith("MCP_SESSION_SECRET: required with REDIS_URL")
    assert load(REDIS_URL="redis://127.0.0.1:6379/0", MCP_SESSION_SECRET="s" * 64).redis_url
