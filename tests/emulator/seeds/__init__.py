"""Seeds: declarative descriptions of the world an emulator starts with."""

from __future__ import annotations

import json
from typing import Any


def empty() -> dict[str, Any]:
    """Return a world with two users, their full-scope tokens and no repositories."""
    users = [("alice", "Alice Liddell"), ("bob", "Bob Builder")]
    return {
        "users": [
            {"login": login, "full_name": name, "email": f"{login}@example.com", "password": f"{login}-password-1",
             "tokens": [{"name": "full", "scopes": ["all"]}]}
            for login, name in users
        ],
        "orgs": [],
        "repos": [],
    }


def load_seed(spec: str) -> dict[str, Any]:
    """Return the seed named `demo` or `empty`, or read a JSON seed file."""
    from tests.emulator.seeds.demo import demo
    from tests.emulator.seeds.flows import flows

    named = {"demo": demo, "empty": empty, "flows": flows}
    if spec in named:
        return named[spec]()
    with open(spec, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded
