"""Gitea webhook deliveries: the signature exactly as Gitea makes it, and what each event asks us to do.

Gitea (services/webhook/deliver.go) signs the exact body bytes: `X-Gitea-Signature` is the hex
HMAC-SHA256 of the raw body with the hook's secret, `X-Hub-Signature-256` the same as `sha256=<hex>`.
Both are checked here on raw bytes, in constant time, before anything parses the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KNOWN_EVENTS = frozenset({"push", "issues", "issue_comment", "pull_request", "release", "create"})
DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
# What a push must touch to queue a dependency scan (the files the scan reads, in any directory).
DEPENDENCY_FILE = re.compile(
    r"(?:^|/)(?:requirements[^/]*\.txt|pyproject\.toml|package\.json|package-lock\.json|yarn\.lock|"
    r"pnpm-lock\.yaml|go\.mod|go\.sum|Cargo\.toml|Cargo\.lock|Gemfile|Gemfile\.lock|poetry\.lock|uv\.lock)$"
)


def expected_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """True when X-Gitea-Signature (hex) or X-Hub-Signature-256 (sha256=hex) is the body's HMAC-SHA256.

    An empty secret never verifies (Gitea sends empty signatures for a hook with no secret)."""
    if not secret:
        return False
    expected = expected_signature(secret, body).encode()
    candidates = [headers.get("X-Gitea-Signature") or ""]
    hub = headers.get("X-Hub-Signature-256") or ""
    if hub.lower().startswith("sha256="):
        candidates.append(hub[len("sha256="):])
    ok = False
    for sent in candidates:
        candidate = sent.strip()
        if HEX_SHA256.match(candidate):
            ok |= hmac.compare_digest(candidate.lower().encode(), expected)
    return ok


@dataclass(frozen=True)
class Delivery:
    """A verified, parsed delivery: its id, event, repository and the payload."""

    delivery_id: str
    event: str
    event_type: str
    repository: str | None
    payload: dict[str, Any]


def repository_of(payload: Mapping[str, Any]) -> str | None:
    """'owner/name' of the payload's repository (every repository event carries one)."""
    repo = payload.get("repository")
    if not isinstance(repo, Mapping):
        return None
    full_name = repo.get("full_name")
    return full_name if isinstance(full_name, str) and full_name.count("/") == 1 else None


def touched_paths(payload: Mapping[str, Any]) -> list[str]:
    """Every path a push's commits added, modified or removed (each once, in order)."""
    paths: list[str] = []
    commits = payload.get("commits")
    for commit in commits if isinstance(commits, list) else []:
        if not isinstance(commit, Mapping):
            continue
        for kind in ("added", "modified", "removed"):
            listed = commit.get(kind)
            paths += [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []
    return list(dict.fromkeys(paths))


def pushed_to_default_branch(payload: Mapping[str, Any]) -> bool:
    """A push to the repository's default branch (the scan reads the default branch)."""
    repo = payload.get("repository")
    default = repo.get("default_branch") if isinstance(repo, Mapping) else None
    ref = payload.get("ref")
    if not isinstance(ref, str):
        return False
    return not isinstance(default, str) or not default or ref == f"refs/heads/{default}"


def jobs_for(delivery: Delivery) -> list[str]:
    """The jobs an event queues: a push to the default branch touching a dependency file queues the scan."""
    if delivery.event != "push" or not pushed_to_default_branch(delivery.payload):
        return []
    if any(DEPENDENCY_FILE.search(path) for path in touched_paths(delivery.payload)):
        return ["dependency_hygiene_scan"]
    return []
