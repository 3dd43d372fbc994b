#!/usr/bin/env python3
"""Validate the audit hash chain: exit 0 when valid, 1 with the first bad line otherwise."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audit.cli import report
from app.audit.verify import verify_chain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", nargs="+", required=True, help="segments, oldest first (audit.log.1 audit.log)")
    parser.add_argument("--from-genesis", action="store_true", help="require the chain to start at genesis")
    args = parser.parse_args(argv)
    return report(verify_chain(args.path, require_genesis=args.from_genesis))


if __name__ == "__main__":
    sys.exit(main())
