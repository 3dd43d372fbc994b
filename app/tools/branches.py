"""Branch tools: a repository's branches and one branch's head commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.registry import Tool
from app.tools.shaping import list_envelope, more_hint
from schemas import branches as s


def branch_commit(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A branch's PayloadCommit: id, message, author {name,email,username}, timestamp."""
    author = p.mapping(raw, "author")
    return {
        "sha": p.text(raw, "id"),
        "message": p.first_line(p.text(raw, "message")),
        "author_name": p.text(author, "name"),
        "author_email": p.text(author, "email"),
        "author_login": p.maybe_text(author, "username"),
        "committer_login": p.maybe_text(p.mapping(raw, "committer"), "username"),
        "date": p.maybe_text(raw, "timestamp"),
        "html_url": p.text(raw, "url"),
    }


def branch_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": p.text(raw, "name"), "protected": p.flag(raw, "protected"),
            "commit": branch_commit(p.mapping(raw, "commit"))}


def branch_line(branch: Mapping[str, Any]) -> str:
    commit = branch["commit"]
    guard = " [protected]" if branch["protected"] else ""
    return f"- {branch['name']}{guard}: {commit['sha'][:10]} {commit['message']} ({commit['date'] or 'no date'})"


def list_branches(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_branches(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    branches = [branch_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(branches, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_branches(out: dict[str, Any]) -> str:
    lines = [branch_line(branch) for branch in out["items"]] or ["No branches (the repository is empty)."]
    return "\n".join([*lines, more_hint(out)])


def get_branch(gitea: Any, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    return branch_entry(gitea.get_branch(args["owner"], args["repo"], args["branch"]))


def render_branch(branch: dict[str, Any]) -> str:
    commit = branch["commit"]
    who = commit["author_login"] or commit["author_name"]
    return f"{branch_line(branch)[2:]}\nHead commit {commit['sha']} by {who}."


TOOLS = (
    Tool(
        name="list_branches",
        title="List branches",
        description=(
            "List the branches of a repository with their head commit (SHA, message, date) and protection. "
            "Pages: page (from 1), limit (1-50)."
        ),
        toolset="branches",
        arguments=s.ListBranchesArgs,
        output_schema=s.BRANCH_LIST,
        handler=list_branches,
        render=render_branches,
    ),
    Tool(
        name="get_branch",
        title="Get branch",
        description="Get one branch by name (slashes allowed, e.g. 'feature/metrics'): head commit and protection.",
        toolset="branches",
        arguments=s.GetBranchArgs,
        output_schema=s.BRANCH,
        handler=get_branch,
        render=render_branch,
    ),
)
