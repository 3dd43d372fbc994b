"""The foundation end to end through the real gunicorn."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.fixtures.gunicorn import base_env, free_port, run_gunicorn_expecting_exit


def test_health_answers_without_upstream(gunicorn_server) -> None:
    server = gunicorn_server(GITEA_URL="http://127.0.0.1:9")
    response = requests.get(f"{server.url}/health", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "healthy"}


def test_ready_fails_naming_gitea_when_unreachable(gunicorn_server) -> None:
    server = gunicorn_server(GITEA_URL=f"http://127.0.0.1:{free_port()}")
    response = requests.get(f"{server.url}/ready", timeout=10)
    assert response.status_code == 503
    assert response.json()["failed"] == ["gitea"]
    assert "Gitea unreachable" in response.json()["checks"]["gitea"]["reason"]


def test_ready_names_unwritable_audit_path(gunicorn_server) -> None:
    server = gunicorn_server(AUDIT_LOG_PATH="/proc/no-such-dir/audit.log")
    body = requests.get(f"{server.url}/ready", timeout=10).json()
    assert "audit_log" in body["failed"]


def test_root_metadata_has_no_secrets(gunicorn_server) -> None:
    server = gunicorn_server(GITEA_TOKEN="gitea-secret-token-value", PUBLIC_BASE_URL="https://mcp.example.com")
    response = requests.get(f"{server.url}/", timeout=5)
    body = response.json()
    assert body["endpoints"]["mcp"] == "https://mcp.example.com/mcp"
    assert body["features"]["write_mode"] is False
    assert "gitea-secret-token-value" not in response.text and "127.0.0.1:9" not in response.text


def test_request_id_is_echoed_or_generated(gunicorn_server) -> None:
    server = gunicorn_server()
    kept = requests.get(f"{server.url}/health", headers={"X-Request-ID": "abc.DEF_1-2"}, timeout=5)
    assert kept.headers["X-Request-ID"] == "abc.DEF_1-2"
    for bad in ("x" * 129, "has space", "semi;colon", ""):
        replaced = requests.get(f"{server.url}/health", headers={"X-Request-ID": bad}, timeout=5)
        assert replaced.headers["X-Request-ID"] != bad
        assert uuid.UUID(replaced.headers["X-Request-ID"])


def test_errors_share_one_json_shape(gunicorn_server) -> None:
    server = gunicorn_server(MAX_REQUEST_BYTES="2048")
    not_found = requests.get(f"{server.url}/nope", headers={"X-Request-ID": "req-404"}, timeout=5)
    assert not_found.status_code == 404
    assert not_found.json()["error"]["request_id"] == "req-404"
    assert not_found.json()["error"]["code"] == "not_found"
    not_allowed = requests.post(f"{server.url}/health", timeout=5)
    assert not_allowed.status_code == 405 and "GET" in not_allowed.headers["Allow"]
    assert not_allowed.json()["error"]["code"] == "method_not_allowed"
    too_big = requests.post(f"{server.url}/health", data=b"x" * 4096, timeout=5)
    assert too_big.status_code == 413
    assert "MAX_REQUEST_BYTES" in too_big.json()["error"]["message"]


def test_unexpected_exception_is_500_without_trace(gunicorn_server) -> None:
    server = gunicorn_server(app="tests.fixtures.faulty_wsgi:app")
    response = requests.get(f"{server.url}/_test/boom", headers={"X-Request-ID": "req-boom"}, timeout=5)
    assert response.status_code == 500
    assert response.json()["error"] == {
        "status": 500,
        "code": "internal_error",
        "message": "Internal error. Quote the request id when you report it.",
        "request_id": "req-boom",
    }
    assert "hunter2" not in response.text and "Traceback" not in response.text
    logged = [line for line in server.log_lines() if line.get("message") == "unhandled_exception"]
    assert logged and logged[0]["request_id"] == "req-boom" and "RuntimeError" in logged[0]["exc_info"]


def test_access_log_is_one_json_line_per_request(gunicorn_server) -> None:
    server = gunicorn_server()
    requests.get(f"{server.url}/health", headers={"X-Request-ID": "req-log"}, timeout=5)
    lines = [line for line in server.log_lines() if line.get("request_id") == "req-log"]
    assert len(lines) == 1
    assert {k: lines[0][k] for k in ("method", "route", "status")} == {
        "method": "GET", "route": "/health", "status": 200,
    }
    assert lines[0]["duration_ms"] >= 0


def test_insecure_bind_is_refused_with_how_to_opt_in() -> None:
    result = run_gunicorn_expecting_exit(base_env(MCP_HOST="0.0.0.0", MCP_PORT=str(free_port())))
    assert result.returncode != 0
    assert "ALLOW_INSECURE_BIND=true" in result.stderr


def test_insecure_bind_on_command_line_is_refused_too() -> None:
    port = free_port()
    result = run_gunicorn_expecting_exit(base_env(MCP_PORT=str(port)), "-b", f"0.0.0.0:{port}")
    assert result.returncode != 0
    assert "ALLOW_INSECURE_BIND=true" in result.stderr


def test_bad_configuration_lists_every_problem_and_exits() -> None:
    result = run_gunicorn_expecting_exit(base_env(WRITE_MODE="maybe", MCP_PORT="abc", LOG_LEVEL="LOUD"))
    assert result.returncode != 0
    assert "Invalid configuration (3 problems)" in result.stderr
    for name in ("WRITE_MODE", "MCP_PORT", "LOG_LEVEL"):
        assert name in result.stderr


def test_secrets_in_log_records_are_masked(gunicorn_server) -> None:
    server = gunicorn_server(app="tests.fixtures.faulty_wsgi:app")
    requests.get(f"{server.url}/_test/boom", timeout=5)
    logs = server.logs()
    assert "unhandled_exception" in logs
    assert "hunter2" not in logs and "[REDACTED:" in logs


def test_oauth_mode_refuses_to_start_when_gitea_oidc_discovery_fails() -> None:
    env = base_env(
        OAUTH_MODE="true", GITEA_URL=f"http://127.0.0.1:{free_port()}", GITEA_OAUTH_CLIENT_ID="id",
        GITEA_OAUTH_CLIENT_SECRET="secret", OAUTH_STATE_SECRET="s" * 40, MCP_PORT=str(free_port()),
    )
    result = run_gunicorn_expecting_exit(env)
    assert result.returncode != 0
    assert "Gitea OIDC discovery unreachable" in result.stderr and "STARTUP_VALIDATE_GITEA=false" in result.stderr


@pytest.mark.parametrize("bind", ["0:{port}", "tcp://0.0.0.0:{port}", "[::0]:{port}"])
def test_shorthand_all_interface_binds_on_the_command_line_are_refused(bind: str) -> None:
    port = free_port()
    result = run_gunicorn_expecting_exit(base_env(MCP_PORT=str(port)), "-b", bind.format(port=port))
    assert result.returncode != 0
    assert "ALLOW_INSECURE_BIND=true" in result.stderr


def test_chunked_body_over_the_limit_is_413_not_a_parse_error(gunicorn_server) -> None:
    from tests.fixtures.gunicorn import TEST_API_KEY

    server = gunicorn_server(MAX_REQUEST_BYTES="2048")
    payload = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * 8000 + b'"}}'

    def chunks():  # a generator body makes requests send Transfer-Encoding: chunked, no Content-Length
        for start in range(0, len(payload), 1000):
            yield payload[start : start + 1000]

    headers = {"Authorization": f"Bearer {TEST_API_KEY}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    for path in ("/mcp", "/mcp/tool/call"):
        response = requests.post(f"{server.url}{path}", data=chunks(), headers=headers, timeout=10)
        assert response.status_code == 413, (path, response.status_code, response.text[:200])
        assert "MAX_REQUEST_BYTES" in response.text
