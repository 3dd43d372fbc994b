"""Wire the policy engine and the audit chain into the app (steps 3 and 6 of execute_tool)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from flask import Flask

from app.audit import AuditChain, AuditContext, AuditRecorder, AuditWriteError
from app.logging import log_event
from app.policy import PolicyReloadEvent, PolicyStore

log = logging.getLogger("aegis.governance")
POLICY_EXTENSION = "aegis.policy"
AUDIT_EXTENSION = "aegis.audit"


def init_app(app: Flask, known_tools: Iterable[str]) -> tuple[PolicyStore, AuditRecorder]:
    """Audit recorder first (the policy reports refused reloads to it), then the policy store."""
    settings = app.config["SETTINGS"]
    recorder = AuditRecorder(_open_chain(settings.audit_log_path), settings.audit_fail_mode)
    app.extensions[AUDIT_EXTENSION] = recorder
    policies = PolicyStore(settings.policy_file, on_event=_policy_reload_reporter(recorder), known_tools=known_tools)
    app.extensions[POLICY_EXTENSION] = policies
    return policies, recorder


def _open_chain(path: str) -> AuditChain:
    """The chain for this worker; a torn last line from a crash is repaired before the first append."""
    chain = AuditChain(path)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        chain.recover()
    except (OSError, AuditWriteError) as exc:
        # Not fatal here: /ready reports the path, and tool calls follow AUDIT_FAIL_MODE.
        log_event(log, logging.ERROR, "audit_log_unavailable", path=path, error=str(exc))
    return chain


def _policy_reload_reporter(recorder: AuditRecorder) -> Callable[[PolicyReloadEvent], None]:
    def report(event: PolicyReloadEvent) -> None:
        if event.result == "reloaded":
            log_event(log, logging.INFO, "policy_reloaded", path=event.path)
            return
        log_event(log, logging.ERROR, "policy_reload_refused", path=event.path, errors=list(event.errors))
        details = {"path": event.path, "errors": event.errors}
        recorder.record_security(AuditContext(), "policy_reload_refused", details)

    return report
