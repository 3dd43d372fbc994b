"""Issue tools: lists, one issue with its body, and its comments."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.logging import log_event, trace_payload
from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.registry import Tool
from app.tools.resolve import RepositoryNames
from app.tools.shaping import UntrustedField, clip, list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import write_tool
from schemas import issues as s

log = logging.getLogger("aegis.tools.issues")
# FACTS §5: what Gitea may send as null on an issue; checked field by field at DEBUG.
NULLABLE_ISSUE_FIELDS = (
    "milestone", "assignee", "assignees", "pull_request", "closed_at", "due_date", "user", "labels",
)


def label_names(*keys: str) -> tuple[UntrustedField, ...]:
    """Lists of label names (`labels`, `added`, ...) in a result."""
    return tuple(short_text(f"{key}[]", "label names in {repository}") for key in keys)


def issue_texts(kind: str) -> tuple[UntrustedField, ...]:
    """The short repository texts of an issue (or pull request) summary: escaped, not fenced."""
    return (short_text("title", f"{kind} titles in {{repository}}", ("author",)), *label_names("labels"),
            short_text("milestone", "milestone titles in {repository}"))


ISSUE_TEXTS = issue_texts("issue")


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


def list_issues(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_issues(args["owner"], args["repo"], state=args["state"], labels=args.get("labels"),
                             kind="issues", page=args["page"], limit=args["limit"])
    issues = [issue_summary(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(issues, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_issue_list(out: dict[str, Any]) -> str:
    lines = [issue_line(issue) for issue in out["items"]] or ["No issues match."]
    return "\n".join([*lines, more_hint(out)])


def get_issue(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    log_event(log, logging.DEBUG, "get_issue.start", repository=call.repository, issue_number=args["issue_number"])
    raw = gitea.get_issue(args["owner"], args["repo"], args["issue_number"])
    trace_payload(log, "get_issue", raw, NULLABLE_ISSUE_FIELDS)
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


def list_issue_comments(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
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


# Write tools: each resolves names first, so an unknown label or milestone stops the call before any write.


def milestone_id(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> int | None:
    """The milestone argument as an id (None: not given, 0: clear)."""
    ref = args.get("milestone")
    return None if ref is None else RepositoryNames(gitea, call).milestone(ref)


def ignored_fields(args: dict[str, Any], issue: Mapping[str, Any], milestone: int | None) -> list[str]:
    """What Gitea silently dropped: it ignores labels, milestone and assignees from callers without write access."""
    dropped = [name for name in ("labels", "assignees") if args.get(name) and not issue[name]]
    if milestone is not None and (issue["milestone"] is None) == bool(milestone):
        dropped.append("milestone")
    return dropped


def create_issue(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo = args["owner"], args["repo"]
    labels = [label.id for label in RepositoryNames(gitea, call).labels(args["labels"])] if args.get(
        "labels") else None
    milestone = milestone_id(gitea, args, call)
    raw = gitea.create_issue(owner, repo, args["title"], body=args.get("body"), assignees=args.get("assignees"),
                             labels=labels, milestone=milestone)
    issue = issue_summary(raw)
    return {**issue, "ignored": ignored_fields(args, issue, milestone)}


def update_issue(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    milestone = milestone_id(gitea, args, call)
    raw = gitea.edit_issue(args["owner"], args["repo"], args["issue_number"], title=args.get("title"),
                           body=args.get("body"), state=args.get("state"), milestone=milestone)
    issue = issue_summary(raw)
    return {**issue, "ignored": ignored_fields(args, issue, milestone)}


def render_written_issue(issue: dict[str, Any]) -> str:
    ignored = issue.get("ignored")
    note = f"\nGitea ignored: {', '.join(ignored)} (your account lacks write access there)." if ignored else ""
    return f"Saved: {issue_line(issue)[2:]}\n{issue['html_url']}{note}"


def create_issue_comment(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.create_comment(args["owner"], args["repo"], args["issue_number"], args["body"])
    return comment_entry(raw, call.limits.chars)


def edit_issue_comment(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.edit_comment(args["owner"], args["repo"], args["comment_id"], args["body"])
    return comment_entry(raw, call.limits.chars)


def render_written_comment(comment: dict[str, Any]) -> str:
    return f"Comment {comment['id']} by {comment['author'] or 'unknown'} saved: {comment['html_url']}"


def add_labels(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo, number = args["owner"], args["repo"], args["issue_number"]
    chosen = RepositoryNames(gitea, call).labels(args["labels"])
    html_url = p.text(gitea.get_issue(owner, repo, number), "html_url")  # the label answer has no issue link
    now = gitea.add_issue_labels(owner, repo, number, [label.id for label in chosen])
    return {"issue_number": number, "html_url": html_url, "labels": p.names({"labels": now}, "labels"),
            "added": [label.name for label in chosen]}


def remove_labels(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Read the issue's labels, then replace them with those that remain: Gitea's DELETE is never used.

    Two requests, not one: a label someone adds between them is dropped again (the description says so).
    Nothing is sent when none of the named labels is on the issue, in a dry run too (there is no request).
    """
    owner, repo, number = args["owner"], args["repo"], args["issue_number"]
    chosen = {label.id: label.name for label in RepositoryNames(gitea, call).labels(args["labels"])}
    issue = gitea.get_issue(owner, repo, number)
    current = [raw for raw in p.items(issue, "labels") if isinstance(raw, Mapping)]
    on_issue = {p.number(raw, "id") for raw in current}
    outcome = {"issue_number": number, "html_url": p.text(issue, "html_url"),
               "removed": [name for label_id, name in chosen.items() if label_id in on_issue],
               "not_present": [name for label_id, name in chosen.items() if label_id not in on_issue]}
    if not outcome["removed"]:
        return {**outcome, "labels": p.names(issue, "labels")}
    kept = [p.number(raw, "id") for raw in current if p.number(raw, "id") not in chosen]
    now = gitea.replace_issue_labels(owner, repo, number, kept)
    return {**outcome, "labels": p.names({"labels": now}, "labels")}


def render_issue_labels(out: dict[str, Any]) -> str:
    if "not_present" in out and not out["removed"]:
        return (f"#{out['issue_number']} unchanged: {', '.join(out['not_present'])} were not on it, so nothing "
                f"was sent. Labels: {', '.join(out['labels']) or 'none'}\n{out['html_url']}")
    changed = [f"{verb}: {', '.join(out[key])}" for key, verb in
               (("added", "added"), ("removed", "removed"), ("not_present", "were not on it")) if out.get(key)]
    return (f"#{out['issue_number']} labels now: {', '.join(out['labels']) or 'none'}"
            + (f" ({'; '.join(changed)})" if changed else "") + f"\n{out['html_url']}")


def assign_issue(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.add_assignees(args["owner"], args["repo"], args["issue_number"], args["assignees"])
    return issue_summary(raw)


def render_assigned(issue: dict[str, Any]) -> str:
    return f"#{issue['number']} assignees now: {', '.join(issue['assignees']) or 'none'}\n{issue['html_url']}"


TOOLS = (
    with_untrusted(Tool(
        name="list_issues",
        title="List issues",
        description=(
            "List issues of a repository (pull requests are excluded; use list_pull_requests) with number, "
            "title, state, labels, milestone and assignees. Filter by state (open, closed, all; default open) "
            "and label names. Use get_issue for the description."
        ),
        toolset="issues",
        arguments=s.ListIssuesArgs,
        output_schema=s.ISSUE_LIST,
        handler=list_issues,
        render=render_issue_list,
    ), *within("items[]", *ISSUE_TEXTS)),
    with_untrusted(Tool(
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
    ), UntrustedField("body", ("author",), "issue {repository}#{number}"), *ISSUE_TEXTS,
        short_text("ref", "branch names in {repository}")),
    with_untrusted(Tool(
        name="list_issue_comments",
        title="List issue comments",
        description=(
            "List the comments of an issue or pull request in posting order, with author, date and text."
        ),
        toolset="issues",
        arguments=s.ListIssueCommentsArgs,
        output_schema=s.COMMENT_LIST,
        handler=list_issue_comments,
        render=render_comments,
    ), UntrustedField("items[].body", ("author",), "comment {id} in {repository}")),
    with_untrusted(write_tool(
        name="create_issue",
        title="Create issue",
        description=(
            "Open an issue with a title and optional body, labels (names, case-insensitive; repository and "
            "organization labels), assignees and milestone (id or title). Unknown labels or milestone: nothing is "
            "created and the error lists them."
        ),
        toolset="issues",
        arguments=s.CreateIssueArgs,
        output_schema=s.ISSUE_WRITTEN,
        handler=create_issue,
        render=render_written_issue,
    ), *ISSUE_TEXTS),
    with_untrusted(write_tool(
        name="update_issue",
        title="Update issue",
        description=(
            "Change an issue's title, body (replaced), state (open or closed) or milestone (id or title; 0 removes "
            "it). Give at least one. Only the fields given change."
        ),
        toolset="issues",
        arguments=s.UpdateIssueArgs,
        output_schema=s.ISSUE_WRITTEN,
        handler=update_issue,
        render=render_written_issue,
        destructive=True,
        idempotent=True,
    ), *ISSUE_TEXTS),
    write_tool(
        name="create_issue_comment",
        title="Comment on issue",
        description="Post a comment on an issue (or pull request) by number.",
        toolset="issues",
        arguments=s.CreateIssueCommentArgs,
        output_schema=s.COMMENT_WRITTEN,
        handler=create_issue_comment,
        render=render_written_comment,
    ),
    write_tool(
        name="edit_issue_comment",
        title="Edit issue comment",
        description=(
            "Replace the text of a comment by its id (from list_issue_comments). The old text is overwritten."
        ),
        toolset="issues",
        arguments=s.EditIssueCommentArgs,
        output_schema=s.COMMENT_WRITTEN,
        handler=edit_issue_comment,
        render=render_written_comment,
        destructive=True,
        idempotent=True,
    ),
    with_untrusted(write_tool(
        name="add_labels",
        title="Add labels to issue",
        description=(
            "Add labels by name (case-insensitive; repository and organization labels) to an issue or pull "
            "request; labels already there stay. Unknown names: nothing is added and the error lists them all."
        ),
        toolset="issues",
        arguments=s.AddLabelsArgs,
        output_schema=s.LABELS_ADDED,
        handler=add_labels,
        render=render_issue_labels,
        idempotent=True,
    ), *label_names("labels", "added")),
    with_untrusted(write_tool(
        name="remove_labels",
        title="Remove labels from issue",
        description=(
            "Take labels off an issue or pull request by name (case-insensitive); other labels stay. Labels "
            "themselves are never deleted. Unknown names: nothing changes. None of them on the issue: nothing is "
            "sent. It reads the issue's labels, then sets the remaining ones: a label someone else adds in "
            "between is dropped."
        ),
        toolset="issues",
        arguments=s.RemoveLabelsArgs,
        output_schema=s.LABELS_REMOVED,
        handler=remove_labels,
        render=render_issue_labels,
        destructive=True,
        idempotent=True,
    ), *label_names("labels", "removed", "not_present")),
    with_untrusted(write_tool(
        name="assign_issue",
        title="Assign issue",
        description=(
            "Add assignees (user names) to an issue or pull request; existing assignees stay."
        ),
        toolset="issues",
        arguments=s.AssignIssueArgs,
        output_schema=s.ISSUE_WRITTEN_PLAIN,
        handler=assign_issue,
        render=render_assigned,
        idempotent=True,
    ), *ISSUE_TEXTS),
)
