"""Issue tools: lists, one issue with its body, and its comments."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.logging import log_event, log_nullable_field
from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.registry import Tool
from app.tools.shaping import clip, list_envelope, more_hint
from schemas import issues as s

log = logging.getLogger("aegis.tools.issues")
# FACTS §5: what Gitea may send as null on an issue; checked field by field at DEBUG.
NULLABLE_ISSUE_FIELDS = (
    "milestone", "assignee", "assignees", "pull_request", "closed_at", "due_date", "user", "labels",
)


def issue_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies an issue in a list; null milestone/assignees/pull_request/closed_at are fine."""
    return {
        "number": p.number(raw, "number"),
        "title": p.text(raw, "title"),
        "state": p.text(raw, "state"),
        "author": p.login(p.maybe_mapping(raw, "user")),
        "labels": p.names(raw, "labels"),
        "milestone": p.maybe_text(p.maybe_mapping(raw, "milestone"), "title"),
        "assignees": p.logins(raw, "assignees"),
        "comments": p.number(raw, "comments"),
        "is_pull_request": p.maybe_mapping(raw, "pull_request") is not None,
        "created_at": p.maybe_text(raw, "created_at"),
        "updated_at": p.maybe_text(raw, "updated_at"),
        "closed_at": p.maybe_text(raw, "closed_at"),
        "html_url": p.text(raw, "html_url"),
    }


def body_fields(raw: Mapping[str, Any], limit: int) -> dict[str, Any]:
    body, cut = clip(p.text(raw, "body"), limit)
    return {"body": body, "body_truncated": cut}


def issue_line(issue: Mapping[str, Any]) -> str:
    extras = [f"labels: {', '.join(issue['labels'])}" if issue["labels"] else "",
              f"milestone: {issue['milestone']}" if issue["milestone"] else "",
              f"assignees: {', '.join(issue['assignees'])}" if issue["assignees"] else ""]
    detail = "; ".join(e for e in extras if e)
    return f"- #{issue['number']} [{issue['state']}] {issue['title']} (by {issue['author'] or 'unknown'}" + (
        f"; {detail})" if detail else ")")


def list_issues(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_issues(args["owner"], args["repo"], state=args["state"], labels=args.get("labels"),
                             kind="issues", page=args["page"], limit=args["limit"])
    issues = [issue_summary(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(issues, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_issue_list(out: dict[str, Any]) -> str:
    lines = [issue_line(issue) for issue in out["items"]] or ["No issues match."]
    return "\n".join([*lines, more_hint(out)])


def trace_issue_payload(raw: Any) -> None:
    """DEBUG instrumentation (spec/Observability.md): payload shape and each nullable field, never values."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    shape = {key: type(value).__name__ for key, value in raw.items()} if isinstance(raw, Mapping) else {}
    log_event(log, logging.DEBUG, "get_issue.payload_shape", payload_type=type(raw).__name__, fields=shape)
    for field in NULLABLE_ISSUE_FIELDS:
        log_nullable_field(log, "get_issue.field_check", field, raw.get(field) if isinstance(raw, Mapping) else None)


def get_issue(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    log_event(log, logging.DEBUG, "get_issue.start", repository=call.repository, issue_number=args["issue_number"])
    raw = gitea.get_issue(args["owner"], args["repo"], args["issue_number"])
    trace_issue_payload(raw)
    return {
        **issue_summary(raw),
        **body_fields(raw, call.limits.chars),
        "due_date": p.maybe_text(raw, "due_date"),
        "ref": p.text(raw, "ref"),
    }


def render_issue(issue: dict[str, Any]) -> str:
    kind = "Pull request" if issue["is_pull_request"] else "Issue"
    lines = [f"{kind} {issue_line(issue)[2:]}", f"Opened {issue['created_at']}; {issue['comments']} comments."]
    if issue["closed_at"]:
        lines.append(f"Closed {issue['closed_at']}.")
    lines.append(issue["body"] or "(no description)")
    if issue["body_truncated"]:
        lines.append("[truncated: the description is longer than MAX_TOOL_RESPONSE_CHARS; open html_url for all]")
    return "\n".join(lines)


def comment_entry(raw: Mapping[str, Any], limit: int) -> dict[str, Any]:
    return {
        "id": p.number(raw, "id"),
        "author": p.login(p.maybe_mapping(raw, "user")),
        **body_fields(raw, limit),
        "created_at": p.maybe_text(raw, "created_at"),
        "updated_at": p.maybe_text(raw, "updated_at"),
        "html_url": p.text(raw, "html_url"),
    }


def list_issue_comments(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Gitea returns every comment at once; paged here so long threads stay bounded."""
    everything = gitea.list_issue_comments(args["owner"], args["repo"], args["issue_number"]).items
    start = (args["page"] - 1) * args["limit"]
    window = [raw for raw in everything[start : start + args["limit"]] if isinstance(raw, Mapping)]
    share = max(call.limits.chars // max(len(window), 1), 200)
    comments = [comment_entry(raw, share) for raw in window]
    return list_envelope(comments, page=args["page"], limit=args["limit"],
                         has_more=start + args["limit"] < len(everything), total=len(everything), limits=call.limits)


def render_comments(out: dict[str, Any]) -> str:
    lines = []
    for c in out["items"]:
        cut = " [truncated]" if c["body_truncated"] else ""
        lines.append(f"- {c['author'] or 'unknown'} at {c['created_at']} (id {c['id']}):{cut}\n  {c['body']}")
    return "\n".join([*(lines or ["No comments."]), more_hint(out)])


TOOLS = (
    Tool(
        name="list_issues",
        title="List issues",
        description=(
            "List issues of a repository (pull requests are excluded; use list_pull_requests) with number, "
            "title, state, labels, milestone and assignees. Filter by state (open, closed, all; default open) "
            "and label names. Pages: page (from 1), limit (1-50). Use get_issue for the description."
        ),
        toolset="issues",
        arguments=s.ListIssuesArgs,
        output_schema=s.ISSUE_LIST,
        handler=list_issues,
        render=render_issue_list,
    ),
    Tool(
        name="get_issue",
        title="Get issue",
        description=(
            "Get one issue by number: title, state, author, labels, milestone, assignees, dates and the full "
            "description (cut at MAX_TOOL_RESPONSE_CHARS). Use list_issue_comments for the discussion."
        ),
        toolset="issues",
        arguments=s.GetIssueArgs,
        output_schema=s.ISSUE,
        handler=get_issue,
        render=render_issue,
    ),
    Tool(
        name="list_issue_comments",
        title="List issue comments",
        description=(
            "List the comments of an issue or pull request in posting order, with author, date and text. "
            "Pages: page (from 1), limit (1-50)."
        ),
        toolset="issues",
        arguments=s.ListIssueCommentsArgs,
        output_schema=s.COMMENT_LIST,
        handler=list_issue_comments,
        render=render_comments,
    ),
)
