"""The tool catalog: one module per toolset, one Tool declaration per tool, one execute_tool path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from app.config import Settings
from app.tools.registry import Catalog, Tool

CATALOG_EXTENSION = "aegis.catalog"
GITEA_EXTENSION = "aegis.gitea"


def all_tools() -> tuple[Tool, ...]:
    """Every tool, grouped by toolset in a stable order."""
    from app.tools import branches, commits, files, issues, labels, milestones, orgs, pulls, releases, repos

    toolsets = (repos, files, commits, issues, pulls, labels, releases, branches, orgs, milestones)
    return tuple(tool for toolset in toolsets for tool in toolset.TOOLS)


def build_catalog(settings: Settings, policy: Callable[[], Any] | None = None) -> Catalog:
    return Catalog(all_tools(), write_mode=settings.write_mode, policy=policy)


def build_gitea_client(settings: Settings) -> Any:
    """The per-process GiteaClient, pooled to the thread count."""
    from app.gitea.client import GiteaClient

    return GiteaClient(
        settings.gitea_url or "", settings.request_timeout_seconds, settings.gunicorn_threads,
        settings.max_file_size_bytes,
    )


def init_app(app: Flask, gitea: Any, repository_permission: Any = None) -> Any:
    """Put the catalog, the Gitea client and the tool runtime on the app; nothing calls Gitea yet.

    Needs governance.init_app first: a missing policy store or audit recorder stops start-up here
    rather than letting tools run unchecked or unaudited. `repository_permission` is service-PAT
    mode's per-call check (app.oauth.init_app returns it)."""
    from app.governance import AUDIT_EXTENSION, POLICY_EXTENSION
    from app.tools.core import EXTENSION as RUNTIME
    from app.tools.core import ToolRuntime

    settings: Settings = app.config["SETTINGS"]
    policy, audit = app.extensions[POLICY_EXTENSION].current, app.extensions[AUDIT_EXTENSION]
    catalog = build_catalog(settings, policy)
    app.extensions[CATALOG_EXTENSION] = catalog
    app.extensions[GITEA_EXTENSION] = gitea
    runtime = ToolRuntime(settings, catalog, gitea, policy=policy, audit=audit,
                          repository_permission=repository_permission)
    app.extensions[RUNTIME] = runtime
    return runtime
