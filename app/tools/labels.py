"""Label tools: the labels a repository defines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.registry import Tool
from app.tools.shaping import list_envelope, more_hint
from schemas import labels as s


def label_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Gitea answers colors without '#'; shown with it, as clients write them."""
    color = p.text(raw, "color").lstrip("#")
    return {
        "id": p.number(raw, "id"),
        "name": p.text(raw, "name"),
        "color": f"#{color}" if color else "",
        "description": p.text(raw, "description"),
        "exclusive": p.flag(raw, "exclusive"),
        "is_archived": p.flag(raw, "is_archived"),
    }


def list_labels(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_labels(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    labels = [label_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(labels, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_labels(out: dict[str, Any]) -> str:
    lines = [f"- {label['name']} ({label['color']}){': ' + label['description'] if label['description'] else ''}"
             + (" [exclusive]" if label["exclusive"] else "") for label in out["items"]]
    return "\n".join([*(lines or ["No labels defined."]), more_hint(out)])


TOOLS = (
    Tool(
        name="list_labels",
        title="List labels",
        description=(
            "List the labels defined in a repository with name, color and description. Use the names when "
            "filtering list_issues or labelling issues. Pages: page (from 1), limit (1-50)."
        ),
        toolset="labels",
        arguments=s.ListLabelsArgs,
        output_schema=s.LABEL_LIST,
        handler=list_labels,
        render=render_labels,
    ),
)
