"""The operator's verification tools: scripts/validate_audit_log.py and `flask audit`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.audit import AuditChain

ROOT = Path(__file__).resolve().parents[2]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def make_segments(tmp_path: Path) -> list[str]:
    path = tmp_path / "audit.log"
    chain = AuditChain(str(path))
    for n in range(4):
        chain.append({"event": "tool_invocation", "n": n})
    (tmp_path / "audit.log.1").write_bytes(path.read_bytes())
    path.write_bytes(b"")
    chain.append({"event": "tool_invocation", "n": 4})
    return [str(tmp_path / "audit.log.1"), str(path)]


def test_the_script_accepts_a_valid_rotated_chain(tmp_path: Path) -> None:
    result = run("scripts/validate_audit_log.py", "--path", *make_segments(tmp_path), "--from-genesis")
    assert result.returncode == 0, result.stderr
    assert "OK: 5 entries, chain from genesis" in result.stdout


def test_the_script_names_the_first_bad_line(tmp_path: Path) -> None:
    segments = make_segments(tmp_path)
    rotated = Path(segments[0])
    content = rotated.read_text().splitlines(keepends=True)
    rotated.write_text("".join(content[:1] + content[2:]))
    result = run("scripts/validate_audit_log.py", "--path", *segments)
    assert result.returncode == 1
    assert f"INVALID at {segments[0]}:2: prev_hash does not link" in result.stderr


def test_flask_audit_verify_and_recover(tmp_path: Path) -> None:
    segments = make_segments(tmp_path)
    with open(segments[1], "ab") as handle:
        handle.write(b'{"torn')
    flask = ("-m", "flask", "--app", "tests.audit.cli_app", "audit")
    torn = run(*flask, "verify", *segments)
    assert torn.returncode == 1 and f"{segments[1]}:2: torn last line" in torn.stderr
    assert "recovered a torn last line" in run(*flask, "recover", segments[1]).stdout
    healed = run(*flask, "verify", *segments)
    assert healed.returncode == 0, healed.stderr
    assert "1 torn line(s) recovered" in healed.stdout
