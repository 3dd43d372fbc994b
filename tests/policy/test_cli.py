"""`flask policy check`: what an operator sees before deploying a policy file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def flask_policy(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flask", "--app", "tests.policy.cli_app", "policy", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_a_valid_file_passes_and_a_decision_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("repositories:\n  acme/app: {paths: {deny: ['src/secrets/*']}}\n")
    result = flask_policy(
        "check", str(path), "--tool", "get_file_contents", "--repo", "Acme/App", "--path", "src/secrets/k"
    )
    assert result.returncode == 0, result.stderr
    assert "VALID" in result.stdout
    assert "DENY get_file_contents" in result.stdout
    assert "rule: repositories.acme/app.paths.deny" in result.stdout


def test_a_write_tool_is_explained_with_the_write_default(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("defaults: {write: deny}\n")
    result = flask_policy("check", str(path), "--tool", "create_issue", "--repo", "a/b", "--write")
    assert result.returncode == 0, result.stderr
    assert "rule: defaults.write" in result.stdout


def test_an_invalid_file_fails_with_every_problem_listed(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("defaults: {read: maybe}\ntools: {deny: [Bad]}\nextra: 1\n")
    result = flask_policy("check", str(path))
    assert result.returncode == 1
    assert "3 problem(s)" in result.stderr
    for fragment in ("defaults.read", "tools.deny.0", "extra"):
        assert fragment in result.stderr


def test_check_script_needs_no_settings_and_knows_the_catalog(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    misspelt = tmp_path / "policy.yaml"
    misspelt.write_text("tools:\n  deny: [serch_code]\n")
    env = {"PATH": "/usr/bin:/bin", "AEGIS_ENV_FILE": "/dev/null"}  # no GITEA_URL, no keys
    bad = subprocess.run([sys.executable, "scripts/check_policy.py", str(misspelt)], cwd=root, env=env,
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "unknown tool 'serch_code'" in bad.stderr
    good = tmp_path / "good.yaml"
    good.write_text("repositories:\n  acme/*:\n    tools:\n      allow: [create_issue]\n")
    write = subprocess.run([sys.executable, "scripts/check_policy.py", str(good), "--tool", "create_issue",
                            "--repo", "acme/service-a"], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert write.returncode == 0 and "ALLOW create_issue" in write.stdout
