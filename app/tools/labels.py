"""Label tools: the labels a repository defines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.registry import Tool
from app.tools.resolve import RepositoryNames, forget_names
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted
from app.tools.writes import write_tool
from schemas import labels as s

LABEL_NAME = short_text("name", "label names in {repository}")


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


def list_labels(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_labels(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    labels = [label_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(labels, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def label_line(label: Mapping[str, Any]) -> str:
    return (f"- {label['name']} ({label['color']}){': ' + label['description'] if label['description'] else ''}"
            + (" [exclusive]" if label["exclusive"] else ""))


def render_labels(out: dict[str, Any]) -> str:
    lines = [label_line(label) for label in out["items"]]
    return "\n".join([*(lines or ["No labels defined."]), more_hint(out)])


def create_label(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """The colour arrives normalised ('#rrggbb') from the schema, so Gitea never sees a bad one."""
    raw = gitea.create_label(args["owner"], args["repo"], args["name"], args["color"],
                             description=args.get("description"), exclusive=args.get("exclusive"))
    forget_names(call)
    return label_entry(raw)


def repository_label_id(gitea: BoundGiteaClient, call: ToolCall, name: str) -> int:
    """Only the repository's own labels are candidates; an organization label is named in the refusal."""
    names = RepositoryNames(gitea, call)
    own = names.repository_label(name)
    if own is not None:
        return own.id
    label = names.labels([name])[0]  # unknown everywhere: the usual error listing what exists
    raise ToolFailure(f"'{label.name}' is an organization label; change it in the organization's settings, "
                      f"not through {call.repository}.", "invalid_arguments")


def update_label(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    label_id = repository_label_id(gitea, call, args["name"])
    raw = gitea.edit_label(args["owner"], args["repo"], label_id, name=args.get("new_name"),
                           color=args.get("color"), description=args.get("description"))
    forget_names(call)
    return label_entry(raw)


def render_written_label(label: dict[str, Any]) -> str:
    return f"Label saved: {label_line(label)[2:]} (id {label['id']})"


TOOLS = (
    with_untrusted(Tool(
        name="list_labels",
        title="List labels",
        description=(
            "List the labels defined in a repository with name, color and description. Use the names when "
            "filtering list_issues or labelling issues."
        ),
        toolset="labels",
        arguments=s.ListLabelsArgs,
        output_schema=s.LABEL_LIST,
        handler=list_labels,
        render=render_labels,
    ), UntrustedField("items[].description", (), "label {name} in {repository}", markdown=False),
        short_text("items[].name", "label names in {repository}")),
    with_untrusted(write_tool(
        name="create_label",
        title="Create label",
        description=(
            "Create a repository label with a name, a colour ('#rrggbb', 'rrggbb' or '#rgb'), an optional "
            "description and `exclusive` for scoped labels ('scope/name')."
        ),
        toolset="labels",
        arguments=s.CreateLabelArgs,
        output_schema=s.LABEL_WRITTEN,
        handler=create_label,
        render=render_written_label,
    ), LABEL_NAME, short_text("description", "label descriptions in {repository}")),
    with_untrusted(write_tool(
        name="update_label",
        title="Update label",
        description=(
            "Rename a repository label (found by name among the repository's own labels, case-insensitive; "
            "organization labels are never changed) or change its colour or description; "
            "give at least one of new_name, color, description. Every issue carrying it shows the change."
        ),
        toolset="labels",
        arguments=s.UpdateLabelArgs,
        output_schema=s.LABEL_WRITTEN,
        handler=update_label,
        render=render_written_label,
        destructive=True,
        idempotent=True,
    ), LABEL_NAME, short_text("description", "label descriptions in {repository}")),
)
