"""`pip install .` from a checkout into a clean virtualenv gives `aegis-mcp` with every command.

The install is real: pip builds the wheel with setuptools in an isolated build environment and installs
the pinned dependencies from the package index, as a new user's `pip install .` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.helpers import call_repository_info, fresh_checkout, stop, wait_healthy
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import base_env, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ directory of a fresh venv (no system site-packages) with the checkout installed."""
    checkout = fresh_checkout(tmp_path_factory.mktemp("checkout"))
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(checkout)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert pip.returncode == 0, pip.stderr
    yield venv / "bin"


def aegis(bin_dir: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "AEGIS_ENV_FILE": "/dev/null", **env}
    return subprocess.run([str(bin_dir / "aegis-mcp"), *args], cwd=cwd, env=clean, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_installed_package_is_imported_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(installed / "python"), "-c", "import app, blueprints; print(app.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "site-packages" in where


def test_generate_key(installed: Path, tmp_path: Path) -> None:
    result = aegis(installed, "generate-key", cwd=tmp_path)
    key = result.stdout.strip()
    assert result.returncode == 0 and len(key) == 64 and int(key, 16) >= 0


def test_check_config_refuses_a_bad_configuration_and_accepts_a_good_one(installed: Path, tmp_path: Path) -> None:
    bad = aegis(installed, "check-config", cwd=tmp_path, MCP_API_KEYS="short", MCP_HOST="0.0.0.0")
    assert bad.returncode == 1
    assert bad.stderr.startswith("aegis-mcp: refusing to start.\nInvalid configuration (3 problems):")
    assert "GITEA_URL: required" in bad.stderr and "ALLOW_INSECURE_BIND=true" in bad.stderr
    assert "MCP_API_KEYS: key #1 is shorter than 32 characters" in bad.stderr and "short" not in bad.stdout

    good = aegis(installed, "check-config", cwd=tmp_path, GITEA_URL="https://gitea.example.com",
                 MCP_API_KEYS="k" * 64)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK: configuration valid: API-key mode, Gitea https://gitea.example.com")


def test_check_policy(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("defaults:\n  read: allow\n  write: deny\n")
    (tmp_path / "bad.yaml").write_text("defaults:\n  read: sometimes\n")
    good = aegis(installed, "check-policy", "good.yaml", "--tool", "create_issue", "--repo", "acme/a", cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.startswith("VALID good.yaml") and "DENY create_issue" in good.stdout
    bad = aegis(installed, "check-policy", "bad.yaml", cwd=tmp_path)
    assert bad.returncode == 1 and "INVALID bad.yaml: 1 problem(s)" in bad.stderr


def test_serve_answers_a_tool_call_and_verify_audit_checks_its_log(installed: Path, tmp_path: Path) -> None:
    emulator = EmulatorProcess().start(str(tmp_path / "emulator"))
    port = free_port()
    env = base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"), MCP_PORT=str(port))
    env["PATH"] = os.environ["PATH"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(installed / "aegis-mcp"), "serve"], cwd=tmp_path, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, log)
        call_repository_info(f"http://127.0.0.1:{port}")
    finally:
        stop(server)
        emulator.stop()
    assert server.returncode == 0, log.read_text()
    events = [json.loads(line) for line in Path(env["AUDIT_LOG_PATH"]).read_text().splitlines()]
    assert any(e.get("tool") == "get_repository_info" for e in events)
    verified = aegis(installed, "verify-audit", env["AUDIT_LOG_PATH"], cwd=tmp_path)
    assert verified.returncode == 0 and verified.stdout.startswith("OK: "), verified.stderr
