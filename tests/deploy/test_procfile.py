"""The Procfile as a PaaS runs it: the real honcho (a Foreman clone) starts `web` from a fresh checkout
with the platform's PORT, and a client calls a tool through it; without DEPLOY_TARGET=paas it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.helpers import call_repository_info, fresh_checkout, stop, wait_healthy
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import base_env, free_port

HONCHO = str(Path(sys.executable).with_name("honcho"))
pytestmark = pytest.mark.slow


def platform_env(**settings: str) -> dict[str, str]:
    """What a platform gives the process: its PORT and the config vars the operator set; no MCP_HOST/MCP_PORT."""
    env = base_env(**settings)
    del env["MCP_HOST"]
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the slug's python and gunicorn
    return env


def test_procfile_web_serves_a_tool_call_on_the_platform_port(tmp_path: Path) -> None:
    checkout = fresh_checkout(tmp_path / "checkout")
    assert (checkout / ".python-version").read_text().strip() == "3.11"
    emulator = EmulatorProcess().start(str(tmp_path / "emulator"))
    port = free_port()
    env = platform_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"), DEPLOY_TARGET="paas",
                       PORT=str(port))
    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        honcho = subprocess.Popen([HONCHO, "start", "web"], cwd=checkout, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", honcho, log)
        call_repository_info(f"http://127.0.0.1:{port}")
    finally:
        stop(honcho)
        emulator.stop()
    output = log.read_text(errors="replace")
    assert f"0.0.0.0:{port}" in output  # every interface, as the platform's router needs
    assert "by explicit opt-in (DEPLOY_TARGET=paas)" in output


def test_procfile_web_without_the_paas_opt_in_refuses_naming_the_setting(tmp_path: Path) -> None:
    checkout = fresh_checkout(tmp_path / "checkout")
    env = platform_env(PORT=str(free_port()))
    result = subprocess.run([HONCHO, "start", "web"], cwd=checkout, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    assert "aegis-mcp: refusing to start." in result.stdout
    assert "DEPLOY_TARGET: PORT=" in result.stdout and "set DEPLOY_TARGET=paas" in result.stdout
