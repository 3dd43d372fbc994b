"""Automation in one object: run a job (policy gate, audit, time budget, run history), the webhook
queue in the store, and the replay cache. Built in create_app; used by the blueprint, the scheduler
and the in-process queue drainer. No Flask globals: jobs run with no request."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.audit.chain import AuditWriteError
from app.audit.events import AuditContext, access_denied, tool_invocation
from app.auth.principal import Principal, granted_scopes, service_credentials
from app.automation.jobs import JOBS, JobContext, JobFailed, JobOutcome
from app.config import Settings
from app.json_codec import decode, encode
from app.logging import log_event
from app.store import Store, StoreUnavailable
from app.tools.call import ToolRuntime

log = logging.getLogger("aegis.automation")
PREFIX = "aegis:automation:"
QUEUE_KEY = PREFIX + "queue"
ALL_RUNS_KEY = PREFIX + "runs"
AUTOMATION_LOGIN = "aegis-automation"
DRAIN_BATCH = 20


def pseudo_tool(job: str) -> str:
    return f"automation_{job}"


def runs_key(repository: str) -> str:
    return f"{PREFIX}runs:{repository.lower()}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Automation:
    """What the automation endpoints, the scheduler and the drainer share."""

    def __init__(self, settings: Settings, store: Store, runtime: ToolRuntime, audit: Any,
                 drain_locally: bool) -> None:
        self.settings = settings
        self.store = store
        self.runtime = runtime
        self.audit = audit  # app.audit.AuditRecorder
        self.drain_locally = drain_locally  # no scheduler process: this process works the queue itself
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self._drainer: threading.Thread | None = None
        self._drainer_lock = threading.Lock()
        self._pending = threading.Event()

    # Who jobs act as
    def principal(self) -> Principal:
        """The automation principal: GITEA_TOKEN upstream, write scope only in write mode."""
        return Principal(AUTOMATION_LOGIN, granted_scopes(self.settings), None, "automation",
                         service_credentials(self.settings.gitea_token))

    # Policy and audit
    def policy_denial(self, tool: str, repository: str | None) -> tuple[str, str] | None:
        """(reason, rule) when the policy denies the automation pseudo-tool on the repository, else None."""
        policy = self.runtime.policy() if self.runtime.policy is not None else None
        if policy is None:
            return None
        decision = policy.decide(tool, False, repository)
        return None if decision.allowed else (decision.reason, decision.rule)

    def record_security(self, kind: str, context: AuditContext, severity: str = "warning", **details: Any) -> None:
        log_event(log, logging.WARNING, kind, details=details)
        if self.audit is not None:
            self.audit.record_security(context, kind, details, severity)

    def audit_event(self, event: dict[str, Any], is_write: bool) -> None:
        if self.audit is None:
            return
        try:
            self.audit.record(event, is_write=is_write)
        except AuditWriteError:  # the job's own tool calls follow AUDIT_FAIL_MODE
            log.error("automation audit write failed", extra={"audit_event": event.get("event")})

    # Running a job
    def run(self, job: str, owner: str, repo: str, *, principal: Principal | None = None, trigger: str = "api",
            dry_run: bool = False, params: dict[str, Any] | None = None, correlation_id: str | None = None,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one job now, under the policy and the time budget; keep and return its run record."""
        principal = principal or self.principal()
        repository = f"{owner}/{repo}"
        correlation_id = correlation_id or uuid.uuid4().hex
        context = AuditContext(correlation_id=correlation_id, principal=principal.login, client_id=principal.client_id)
        tool = pseudo_tool(job)
        record: dict[str, Any] = {
            "id": uuid.uuid4().hex, "job": job, "repository": repository, "trigger": trigger, "dry_run": dry_run,
            "principal": principal.login, "runner": self.instance, "correlation_id": correlation_id,
            "started_at": now_iso(), "params": params or {}, **(extra or {}),
        }
        arguments = {"owner": owner, "repo": repo, "dry_run": dry_run, "trigger": trigger, **(params or {})}
        denial = self.policy_denial(tool, repository)
        if denial is not None:
            self.audit_event(access_denied(context, tool=tool, repository=repository, arguments=arguments,
                                      reason=denial[0], rule=denial[1]), False)
            return self._finish(record, "denied", reason=f"Denied by policy: {denial[0]}.", started=time.monotonic())
        started = time.monotonic()
        self.audit_event(tool_invocation(context, tool=tool, repository=repository, arguments=arguments,
                                    decision="allow", status="started"), job in ("auto_issue_creation",))
        ctx = JobContext(self.runtime, principal, owner, repo, correlation_id,
                         deadline=started + self.settings.automation_job_timeout_seconds, dry_run=dry_run,
                         params=params or {}, policy_check=lambda t: (d[0] if (d := self.policy_denial(t, repository))
                                                                      else None))
        status, reason, outcome = self._within_budget(JOBS[job], ctx)
        if outcome is not None:
            record.update(findings=outcome.findings, actions=outcome.actions, summary=outcome.summary)
        record["tool_calls"] = ctx.calls
        finished = self._finish(record, status, reason=reason, started=started)
        outcome_status = "dry_run" if dry_run and status == "success" else status
        self.audit_event(tool_invocation(context, tool=tool, repository=repository, arguments=arguments,
                                         decision="allow", status=outcome_status,
                                         duration_ms=finished["duration_ms"], error=reason), False)
        return finished

    def _within_budget(self, job: Callable[[JobContext], JobOutcome],
                       ctx: JobContext) -> tuple[str, str | None, JobOutcome | None]:
        """Run the job in a thread; past the budget it is cancelled (it stops at its next tool call)."""
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["outcome"] = job(ctx)
            except JobFailed as exc:
                box["failed"] = exc
            except Exception as exc:  # a bug in a job is a failed run, not a dead scheduler
                log.exception("automation_job_crashed")
                box["failed"] = JobFailed(f"the job failed unexpectedly ({type(exc).__name__})")

        worker = threading.Thread(target=work, name="aegis-automation-job", daemon=True)
        worker.start()
        worker.join(max(0.0, ctx.deadline - time.monotonic()))
        if worker.is_alive():
            ctx.cancelled.set()
            budget = self.settings.automation_job_timeout_seconds
            return "timed_out", f"stopped after its time budget of {budget:g} s (AUTOMATION_JOB_TIMEOUT_SECONDS)", None
        if "failed" in box:
            failed: JobFailed = box["failed"]
            return failed.status, failed.reason, None
        return "success", None, box["outcome"]

    def _finish(self, record: dict[str, Any], status: str, *, reason: str | None, started: float) -> dict[str, Any]:
        record.update(status=status, reason=reason, finished_at=now_iso(),
                      duration_ms=round((time.monotonic() - started) * 1000, 1))
        record.setdefault("findings", [])
        record.setdefault("actions", [])
        log_event(log, logging.INFO if status == "success" else logging.WARNING, "automation_job_run",
                  job=record["job"], repository=record["repository"], status=status, trigger=record["trigger"],
                  reason=reason, run_id=record["id"])
        self.keep(record)
        return record

    def keep(self, record: dict[str, Any]) -> None:
        """The run in the history: the last AUTOMATION_RUNS_KEPT per repository, and overall."""
        data = encode(record)
        keep = self.settings.automation_runs_kept
        try:
            self.store.push(runs_key(record["repository"]), data, keep=keep)
            self.store.push(ALL_RUNS_KEY, data, keep=keep)
        except StoreUnavailable:
            log.error("automation run not kept: the store is unavailable", extra={"run_id": record["id"]})

    def runs(self, repository: str | None, count: int) -> list[dict[str, Any]]:
        """Kept runs, newest first."""
        raw = self.store.items(runs_key(repository) if repository else ALL_RUNS_KEY, count)
        return [decode(item) for item in raw]

    # Webhook deliveries
    def first_delivery(self, delivery_id: str) -> bool:
        """True the first time a delivery id is seen (by any worker or host sharing the store)."""
        return self.store.set_if_absent(f"{PREFIX}delivery:{delivery_id}", b"1",
                                        ttl=self.settings.automation_delivery_ttl_seconds)

    def enqueue(self, job: str, repository: str, trigger: str, **extra: Any) -> dict[str, Any]:
        entry = {"job": job, "repository": repository, "trigger": trigger, "queued_at": now_iso(), **extra}
        self.store.push(QUEUE_KEY, encode(entry))
        if self.drain_locally:
            self.kick()
        return entry

    def drain(self, limit: int = DRAIN_BATCH) -> list[dict[str, Any]]:
        """Run up to `limit` queued jobs; each entry is popped by exactly one process."""
        done = []
        for _ in range(limit):
            raw = self.store.pop(QUEUE_KEY)
            if raw is None:
                break
            entry = decode(raw)
            owner, _, repo = str(entry.get("repository", "")).partition("/")
            if entry.get("job") not in JOBS or not owner or not repo:
                continue
            extra = {key: entry[key] for key in ("delivery", "event") if key in entry}
            done.append(self.run(entry["job"], owner, repo, trigger=entry.get("trigger", "webhook"), extra=extra))
        return done

    def kick(self) -> None:
        """Work the queue in a background thread of this process (when no scheduler process does)."""
        with self._drainer_lock:
            self._pending.set()
            if self._drainer is not None:
                return  # the running drainer sees the flag before it exits
            self._drainer = threading.Thread(target=self._drain_all, name="aegis-automation-drain", daemon=True)
            self._drainer.start()

    def _drain_all(self) -> None:
        while True:
            self._pending.clear()
            try:
                while self.drain():
                    pass
            except Exception:
                log.exception("automation_queue_drain_failed")
            with self._drainer_lock:
                if not self._pending.is_set():
                    self._drainer = None
                    return
