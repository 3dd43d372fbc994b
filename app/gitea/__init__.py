"""Gitea upstream: GiteaClient, typed errors, pagination and capped downloads."""

from app.gitea.bound import BoundGiteaClient
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.gitea.download import Download
from app.gitea.errors import (
    GiteaAuthError,
    GiteaConflict,
    GiteaError,
    GiteaNotFound,
    GiteaPermissionError,
    GiteaRateLimited,
    GiteaScopeError,
    GiteaTimeout,
    GiteaUnavailable,
    GiteaValidationError,
)
from app.gitea.pagination import Page, all_items

__all__ = [
    "BoundGiteaClient",
    "Download",
    "GiteaAuthError",
    "GiteaClient",
    "GiteaConflict",
    "GiteaCredentials",
    "GiteaError",
    "GiteaNotFound",
    "GiteaPermissionError",
    "GiteaRateLimited",
    "GiteaScopeError",
    "GiteaTimeout",
    "GiteaUnavailable",
    "GiteaValidationError",
    "Page",
    "all_items",
]
