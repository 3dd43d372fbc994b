"""Organization tools: the caller's organizations and an organization's repositories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.auth.pat_mode import ORGANIZATIONS, REPOSITORIES
from app.gitea.bound import BoundGiteaClient
from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.registry import Tool
from app.tools.repos import REPOSITORY_DESCRIPTIONS, remembered_summary, render_repository_list
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted
from schemas import orgs as s


def organization_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": p.number(raw, "id"),
        "name": p.text(raw, "name") or p.text(raw, "username"),
        "full_name": p.text(raw, "full_name"),
        "description": p.text(raw, "description"),
        "website": p.text(raw, "website"),
        "visibility": p.text(raw, "visibility"),
    }


def list_organizations(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_my_orgs(page=args["page"], limit=args["limit"])
    orgs = [organization_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(orgs, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_organizations(out: dict[str, Any]) -> str:
    lines = [f"- {o['name']}{' (' + o['full_name'] + ')' if o['full_name'] else ''}"
             f"{': ' + o['description'] if o['description'] else ''}" for o in out["items"]]
    return "\n".join([*(lines or ["You belong to no organizations."]), more_hint(out)])


def list_org_repositories(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_org_repos(args["org"], page=args["page"], limit=args["limit"])
    repos = [remembered_summary(call, raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(repos, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


TOOLS = (
    with_untrusted(Tool(
        name="list_organizations",
        title="List organizations",
        description=(
            "List the organizations you are a member of. Use a name with list_org_repositories."
        ),
        toolset="orgs",
        arguments=s.ListOrganizationsArgs,
        output_schema=s.ORGANIZATION_LIST,
        handler=list_organizations,
        render=render_organizations,
        lists=ORGANIZATIONS,  # service-PAT mode shows only the signed-in user's organizations
    ), UntrustedField("items[].description", ("name",), "description of organization {name}",
                       markdown=False),
        short_text("items[].full_name", "organization display names"),
        short_text("items[].website", "organization websites")),
    with_untrusted(Tool(
        name="list_org_repositories",
        title="List organization repositories",
        description=(
            "List the repositories of an organization that you can see, with description, visibility and "
            "default branch."
        ),
        toolset="orgs",
        arguments=s.ListOrgRepositoriesArgs,
        output_schema=s.ORG_REPOSITORY_LIST,
        handler=list_org_repositories,
        render=render_repository_list,
        lists=REPOSITORIES,
    ), REPOSITORY_DESCRIPTIONS),
)
