"""Print a new 64-character API key for MCP_API_KEYS."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.auth.api_keys import new_api_key


def main() -> None:
    print(new_api_key())


if __name__ == "__main__":
    main()
