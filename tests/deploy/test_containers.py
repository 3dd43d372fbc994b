"""The container and CI files are checked: hadolint passes the Dockerfile, every COPY source exists, compose
mounts the policy file and runs the dev profile with the prod hardening, Gitea CI runs .ci/run.

(Docker itself does not run here: the image is not built by the suite.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from app.policy import Policy
from app.tools import all_tools
from tests.fixtures.gunicorn import ROOT

HADOLINT = str(Path(sys.executable).with_name("hadolint"))
COMPOSE = yaml.safe_load((ROOT / "ops" / "docker-compose.yml").read_text())
HARDENING = ("read_only", "security_opt", "cap_drop")


def test_hadolint_passes_the_dockerfile() -> None:
    result = subprocess.run([HADOLINT, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_copy_source_of_the_dockerfile_exists() -> None:
    sources = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += [word for word in line.split()[1:-1] if not word.startswith("--")]
    assert sources and [s for s in sources if not (ROOT / s).exists()] == []


def test_compose_mounts_a_valid_policy_file_in_both_profiles() -> None:
    for name in ("aegis", "aegis-dev"):
        service = COMPOSE["services"][name]
        assert "./policy.yaml:/etc/aegis-mcp/policy.yaml:ro" in service["volumes"]
        assert service["environment"]["POLICY_FILE"] == "/etc/aegis-mcp/policy.yaml"
    Policy.load(str(ROOT / "ops" / "policy.yaml"), known_tools=[t.name for t in all_tools()])


def test_dev_profile_has_the_prod_hardening() -> None:
    prod, dev = COMPOSE["services"]["aegis"], COMPOSE["services"]["aegis-dev"]
    assert {k: dev.get(k) for k in HARDENING} == {k: prod[k] for k in HARDENING}
    assert dev["read_only"] is True and "/tmp" in " ".join(dev["tmpfs"])


def test_compose_sets_a_session_secret_source_with_redis() -> None:
    # REDIS_URL needs MCP_SESSION_SECRET (app/config.py); compose takes it from ../.env, which the header says.
    header = (ROOT / "ops" / "docker-compose.yml").read_text().split("name:", 1)[0]
    assert "MCP_SESSION_SECRET" in header
    assert all(COMPOSE["services"][n]["env_file"] == "../.env" for n in ("aegis", "aegis-dev"))


def test_gitea_workflow_runs_what_ci_runs() -> None:
    workflow = yaml.safe_load((ROOT / ".gitea" / "workflows" / "ci.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(step.get("run", "").strip() == ".ci/run" for step in steps)
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
