"""Automation: signed Gitea webhooks, three jobs through the one tool core, and a leader-locked scheduler."""

from __future__ import annotations

from flask import Flask

from app.automation.cli import automation_cli
from app.automation.service import Automation
from app.store import Store
from app.tools.call import ToolRuntime

EXTENSION = "aegis.automation"

__all__ = ["EXTENSION", "Automation", "features", "init_app"]


def init_app(app: Flask, store: Store, runtime: ToolRuntime, audit: object) -> Automation | None:
    """The automation service when AUTOMATION_ENABLED=true (else None: its endpoints stay 404), and the
    `flask automation` commands."""
    app.cli.add_command(automation_cli)
    settings = runtime.settings
    if not settings.automation_enabled:
        return None
    automation = Automation(settings, store, runtime, audit, drain_locally=not settings.automation_scheduler_enabled)
    app.extensions[EXTENSION] = automation
    return automation


def features(settings: object) -> dict[str, object] | bool:
    """What really runs, for `GET /`: false, or the parts that are on."""
    if not getattr(settings, "automation_enabled", False):
        return False
    scheduler = bool(getattr(settings, "automation_scheduler_enabled", False))
    return {
        "webhook": True,
        "jobs": ["stale_issue_detection", "dependency_hygiene_scan", "auto_issue_creation"],
        "scheduler": scheduler,
        "queue": "scheduler process" if scheduler else "in-process",
    }
