"""The tool catalog: one module per toolset, one Tool declaration per tool, one execute_tool path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from app.audit import AuditRecorder
from app.auth.pat_mode import RepositoryPermissions
from app.config import Settings
from app.gitea.client import GiteaClient
from app.policy import PolicyStore
from app.store import Store
from app.tools.call import ToolRuntime
from app.tools.registry import Catalog, Tool, enabled_tools

CATALOG_EXTENSION = "aegis.catalog"
GITEA_EXTENSION = "aegis.gitea"
RUNTIME_EXTENSION = "aegis.tools"
# Toolsets served only when the operator names them in MCP_TOOLSETS (or `all`): what a new toolset costs in
# tokens and in reach is the operator's choice, not an upgrade's.
OPT_IN_TOOLSETS: tuple[str, ...] = ("reviews", "actions", "wiki")


def all_tools() -> tuple[Tool, ...]:
    """Every tool, grouped by toolset in a stable order."""
    from app.tools import (
        actions,
        branches,
        commits,
        files,
        issues,
        labels,
        milestones,
        orgs,
        pulls,
        releases,
        repos,
        reviews,
        wiki,
    )

    toolsets = (repos, files, commits, issues, pulls, labels, releases, branches, orgs, milestones, reviews,
                actions, wiki)
    return tuple(tool for toolset in toolsets for tool in toolset.TOOLS)


def policy_names() -> dict[str, bool]:
    """Every name a policy file may govern (tools, and the names tools ask about besides their own), each
    with whether it is judged as a write."""
    names = {tool.name: tool.is_write for tool in all_tools()}
    return {**names, **{name: True for tool in all_tools() for name in tool.policy_names}}


def build_catalog(settings: Settings, policy: Callable[[], Any] | None = None) -> Catalog:
    """The tools this server serves (MCP_TOOLSETS / MCP_TOOLS; app.startup refuses unknown names first)."""
    tools = all_tools()
    enabled = enabled_tools(tools, settings.mcp_toolsets, settings.mcp_tools, OPT_IN_TOOLSETS)
    return Catalog(tools, write_mode=settings.write_mode, policy=policy, enabled=enabled,
                   output_schemas=settings.mcp_output_schemas)


def build_gitea_client(settings: Settings) -> GiteaClient:
    """The per-process GiteaClient, pooled to the thread count."""
    return GiteaClient(
        settings.gitea_url or "", settings.request_timeout_seconds, settings.gunicorn_threads,
        settings.max_file_size_bytes,
    )


def init_app(app: Flask, gitea: GiteaClient, policies: PolicyStore, audit: AuditRecorder,
             repository_permission: RepositoryPermissions | None = None, *, store: Store | None = None) -> ToolRuntime:
    """The tool runtime of this app: catalog, Gitea client, policy, audit, (service-PAT mode, from
    app.oauth.init_app) the per-call permission check and the store the flow guard keeps its labels in.
    Nothing calls Gitea yet."""
    settings: Settings = app.config["SETTINGS"]
    catalog = build_catalog(settings, policies.current)
    runtime = ToolRuntime(settings, catalog, gitea, policy=policies.current, audit=audit,
                          repository_permission=repository_permission, store=store)
    app.extensions[CATALOG_EXTENSION] = catalog
    app.extensions[GITEA_EXTENSION] = gitea
    app.extensions[RUNTIME_EXTENSION] = runtime
    return runtime
