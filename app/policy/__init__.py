"""YAML policy engine: decisions with reasons, safe path normalisation, hot reload."""

from app.policy.engine import Policy, PolicyDecision, PolicyError
from app.policy.paths import UnsafePathError, normalise_repo_path
from app.policy.watcher import PolicyReloadEvent, PolicyStore

__all__ = [
    "Policy",
    "PolicyDecision",
    "PolicyError",
    "PolicyReloadEvent",
    "PolicyStore",
    "UnsafePathError",
    "normalise_repo_path",
]
