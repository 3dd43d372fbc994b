"""Milestone tools: a repository's milestones with progress and deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.registry import Tool
from app.tools.resolve import forget_names
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted
from app.tools.writes import write_tool
from schemas import milestones as s


def milestone_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`due_on` is null without a deadline, `closed_at` null while open."""
    return {
        "id": p.number(raw, "id"),
        "title": p.text(raw, "title"),
        "description": p.text(raw, "description"),
        "state": p.text(raw, "state"),
        "open_issues": p.number(raw, "open_issues"),
        "closed_issues": p.number(raw, "closed_issues"),
        "due_on": p.maybe_text(raw, "due_on"),
        "closed_at": p.maybe_text(raw, "closed_at"),
    }


def list_milestones(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_milestones(args["owner"], args["repo"], state=args["state"], page=args["page"],
                                 limit=args["limit"])
    milestones = [milestone_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(milestones, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def milestone_line(m: Mapping[str, Any]) -> str:
    due = f"due {m['due_on'][:10]}" if m["due_on"] else "no due date"
    return f"- {m['title']} [{m['state']}] {m['open_issues']} open / {m['closed_issues']} closed, {due} (id {m['id']})"


def render_milestones(out: dict[str, Any]) -> str:
    lines = [milestone_line(m) for m in out["items"]] or ["No milestones match."]
    return "\n".join([*lines, more_hint(out)])


def create_milestone(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.create_milestone(args["owner"], args["repo"], args["title"], description=args.get("description"),
                                 due_on=args.get("due_on"))
    forget_names(call)
    return milestone_entry(raw)


def render_written_milestone(milestone: dict[str, Any]) -> str:
    return "Milestone created: " + milestone_line(milestone)[2:]


TOOLS = (
    with_untrusted(Tool(
        name="list_milestones",
        title="List milestones",
        description=(
            "List milestones of a repository with title, state, open/closed issue counts and due date. "
            "Filter by state (open, closed, all; default open)."
        ),
        toolset="milestones",
        arguments=s.ListMilestonesArgs,
        output_schema=s.MILESTONE_LIST,
        handler=list_milestones,
        render=render_milestones,
    ), UntrustedField("items[].description", (), "milestone {title} in {repository}"),
        short_text("items[].title", "milestone titles in {repository}")),
    with_untrusted(write_tool(
        name="create_milestone",
        title="Create milestone",
        description=(
            "Create an open milestone with a title, optional description and due date (RFC 3339, e.g. "
            "'2026-09-30T00:00:00Z')."
        ),
        toolset="milestones",
        arguments=s.CreateMilestoneArgs,
        output_schema=s.MILESTONE_WRITTEN,
        handler=create_milestone,
        render=render_written_milestone,
    ), short_text("title", "milestone titles in {repository}")),
)
