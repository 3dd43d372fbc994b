"""Validate a policy file before deploy, without any service settings: `python scripts/check_policy.py FILE
[--tool T --repo OWNER/REPO --path P]`. The same command as `flask --app wsgi policy check`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.policy.cli import check

if __name__ == "__main__":
    check(prog_name="check_policy.py")
