"""The three jobs. Each is an ordinary caller of the one tool core: every read and write is a ToolCall
through execute_tool (policy, write mode, audit, masking as for any MCP client), under a time budget."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.auth.principal import Principal
from app.automation.manifests import Finding, declares_dependencies, manifest_kind, missing_lockfiles, parse_manifest
from app.errors import AegisError
from app.tools.call import ToolCall, ToolRuntime, UnknownTool
from app.tools.execution import execute_tool

MAX_PAGES = 200  # 10,000 issues at 50 a page: a bound, reported when reached
TREE_PAGES = 50
MARKER_PREFIX = "aegis-automation:"


class JobFailed(Exception):
    """The job stopped: a tool call failed (Gitea down, 429, denied) or the budget ran out."""

    def __init__(self, reason: str, status: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class JobContext:
    """One job run: who it acts as, on which repository, and its tool calls so far."""

    runtime: ToolRuntime
    principal: Principal
    owner: str
    repo: str
    correlation_id: str
    deadline: float
    dry_run: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    cancelled: threading.Event = field(default_factory=threading.Event)
    calls: list[dict[str, Any]] = field(default_factory=list)
    policy_check: Callable[[str], str | None] | None = None  # automation_<job> → denial reason or None

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    def tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        """Run one tool through execute_tool as this job's principal; its error stops the job."""
        if self.cancelled.is_set() or time.monotonic() > self.deadline:
            raise JobFailed("stopped: the job ran past its time budget (AUTOMATION_JOB_TIMEOUT_SECONDS)", "timed_out")
        call = ToolCall(self.principal, name, {"owner": self.owner, "repo": self.repo, **arguments},
                        self.correlation_id, transport="automation", cancelled=self.cancelled)
        try:
            result = execute_tool(self.runtime, call)
        except (AegisError, UnknownTool) as exc:
            self.calls.append({"tool": name, "status": "refused"})
            raise JobFailed(f"{name}: {exc}") from exc
        self.calls.append({"tool": name, "status": result.status})
        if result.is_error:
            raise JobFailed(f"{name}: {result.text}", "timed_out" if result.status == "cancelled" else "failed")
        return result.structured or {}

    def pages(self, name: str, page_size: int = 50, **arguments: Any) -> list[dict[str, Any]]:
        """Every item of a paged list tool, page after page to the end."""
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            out = self.tool(name, page=page, limit=page_size, **arguments)
            items += out.get("items", [])
            if not out.get("has_more"):
                return items
        raise JobFailed(f"{name}: more than {MAX_PAGES} pages; narrow the job")


@dataclass
class JobOutcome:
    findings: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    summary: str


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stale_issue_detection(ctx: JobContext) -> JobOutcome:
    """Open issues and pull requests with no update for AUTOMATION_STALE_DAYS; reads only."""
    days = int(ctx.params.get("stale_days") or ctx.runtime.settings.automation_stale_days)
    page_size = int(ctx.params.get("page_size") or 50)
    now = datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    findings = []
    for tool, kind in (("list_issues", "issue"), ("list_pull_requests", "pull_request")):
        for item in ctx.pages(tool, page_size=page_size, state="open"):
            updated = parse_time(item.get("updated_at")) or parse_time(item.get("created_at"))
            if updated is not None and updated < cutoff:
                findings.append({"kind": "stale", "type": kind, "number": item.get("number"),
                                 "title": item.get("title"), "updated_at": item.get("updated_at"),
                                 "days_idle": (now - updated).days, "html_url": item.get("html_url")})
    findings.sort(key=lambda f: (f["type"], f["number"] or 0))
    summary = f"{len(findings)} open issue(s)/pull request(s) with no update for {days} days"
    return JobOutcome(findings, [], summary)


def dependency_hygiene_scan(ctx: JobContext) -> JobOutcome:
    """Manifests at the default branch: unpinned or wildcard versions, VCS/URL sources, missing lockfiles."""
    info = ctx.tool("get_repository_info")
    ref = ctx.params.get("ref") or info.get("default_branch") or None
    if not ref:
        return JobOutcome([], [], "the repository is empty")
    paths: list[str] = []
    for page in range(1, TREE_PAGES + 1):
        out = ctx.tool("get_file_tree", ref=ref, recursive=True, page=page)
        paths += [entry["path"] for entry in out.get("items", []) if entry.get("type") in ("blob", "file")]
        if not out.get("has_more"):
            break
    findings: list[Finding] = []
    declared: dict[str, bool] = {}
    scanned = []
    for path in paths:
        kind = manifest_kind(path)
        if kind is None:
            continue
        content = ctx.tool("get_file_contents", filepath=path, ref=ref)
        text = content.get("content") or ""
        scanned.append(path)
        findings += parse_manifest(kind, path, text)
        if content.get("truncated"):
            findings.append(Finding("unparseable", path, None, "only the beginning could be read (size cap)"))
        declared[path] = declares_dependencies(kind, text)
    findings += missing_lockfiles(declared, paths)
    found = [finding.to_dict() for finding in findings]
    summary = f"{len(scanned)} manifest(s) at {ref}: {len(found)} finding(s)"
    return JobOutcome(found, [{"action": "scanned", "ref": ref, "manifests": scanned}], summary)


SOURCES: dict[str, Callable[[JobContext], JobOutcome]] = {
    "stale_issue_detection": stale_issue_detection,
    "dependency_hygiene_scan": dependency_hygiene_scan,
}
TITLES = {"stale_issue_detection": "Stale issues and pull requests",
          "dependency_hygiene_scan": "Dependency hygiene findings"}


def fingerprint(source: str, repository: str, findings: list[dict[str, Any]]) -> str:
    """Same findings, same fingerprint: the idempotency key hidden in the issue."""
    keys = sorted(f"{f.get('kind')}|{f.get('manifest') or f.get('type')}|{f.get('package') or f.get('number')}"
                  for f in findings)
    return hashlib.sha256("\n".join([source, repository.lower(), *keys]).encode()).hexdigest()[:16]


def issue_body(source: str, key: str, outcome: JobOutcome) -> str:
    lines = [f"<!-- {MARKER_PREFIX}{key} -->", f"AegisGitea automation (`{source}`): {outcome.summary}.", ""]
    for f in outcome.findings[:100]:
        if source == "stale_issue_detection":
            lines.append(f"- {f['type']} #{f['number']} {f['title']} — idle {f['days_idle']} days")
        else:
            lines.append(f"- `{f['manifest']}` {f['kind']}: {f['detail']}")
    if len(outcome.findings) > 100:
        lines.append(f"- … and {len(outcome.findings) - 100} more")
    lines += ["", f"Marker `{MARKER_PREFIX}{key}`: a later run with the same findings opens no second issue."]
    return "\n".join(lines)


def auto_issue_creation(ctx: JobContext) -> JobOutcome:
    """One issue from a finding set of another job; idempotent by the marker; needs write mode and a grant."""
    source = str(ctx.params.get("source") or "dependency_hygiene_scan")
    if source not in SOURCES:
        raise JobFailed(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    if ctx.policy_check is not None and (denial := ctx.policy_check(f"automation_{source}")):
        raise JobFailed(f"the source job is denied: {denial}", "denied")
    outcome = SOURCES[source](ctx)
    if not outcome.findings:
        return JobOutcome([], [{"action": "none", "reason": "no findings"}], f"{source}: nothing to report")
    key = fingerprint(source, ctx.repository, outcome.findings)
    title = f"[automation] {TITLES[source]}: {len(outcome.findings)} ({MARKER_PREFIX}{key})"
    # The marker is in the title too: bodies lose HTML comments on their way out of the tool core.
    for item in ctx.pages("list_issues", state="all"):
        if f"{MARKER_PREFIX}{key}" in str(item.get("title")):
            action = {"action": "exists", "issue_number": item.get("number"), "html_url": item.get("html_url"),
                      "marker": key}
            return JobOutcome(outcome.findings, [action], f"issue #{item.get('number')} already reports these "
                                                          "findings; nothing created")
    body = issue_body(source, key, outcome)
    written = ctx.tool("create_issue", title=title, body=body, dry_run=ctx.dry_run)
    if ctx.dry_run:
        action = {"action": "would_create", "title": title, "body": body, "marker": key,
                  "policy": written.get("policy")}
        return JobOutcome(outcome.findings, [action], f"dry run: would open {title!r}")
    number = written.get("number")
    action = {"action": "created", "issue_number": number, "html_url": written.get("html_url"), "marker": key}
    return JobOutcome(outcome.findings, [action], f"opened issue #{number}")


JOBS: dict[str, Callable[[JobContext], JobOutcome]] = {**SOURCES, "auto_issue_creation": auto_issue_creation}
WRITES = frozenset({"auto_issue_creation"})
