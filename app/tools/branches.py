"""Branch tools: a repository's branches and one branch's head commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict, GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.commits import COMMIT_TEXTS
from app.tools.registry import Tool
from app.tools.shaping import list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import write_tool
from schemas import branches as s

BRANCH_TEXTS = (short_text("name", "branch names in {repository}"), *within("commit", *COMMIT_TEXTS))


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


def list_branches(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_branches(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    branches = [branch_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(branches, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_branches(out: dict[str, Any]) -> str:
    lines = [branch_line(branch) for branch in out["items"]] or ["No branches (the repository is empty)."]
    return "\n".join([*lines, more_hint(out)])


def get_branch(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    return branch_entry(gitea.get_branch(args["owner"], args["repo"], args["branch"]))


def render_branch(branch: dict[str, Any]) -> str:
    commit = branch["commit"]
    who = commit["author_login"] or commit["author_name"]
    return f"{branch_line(branch)[2:]}\nHead commit {commit['sha']} by {who}."


def create_branch(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo, name, start = args["owner"], args["repo"], args["new_branch_name"], args.get("old_branch_name")
    try:
        return branch_entry(gitea.create_branch(owner, repo, name, start))
    except GiteaConflict:
        raise ToolFailure(f"create_branch: branch '{name}' already exists in {call.repository} (409); "
                          "nothing was changed.", "upstream_conflict") from None
    except GiteaNotFound:
        gitea.get_repository(owner, repo)  # a missing repository keeps its own not-found answer
        raise ToolFailure(f"create_branch: '{start}' is no branch, tag or commit of {call.repository} (404); "
                          "nothing was created.", "not_found") from None


def render_created_branch(branch: dict[str, Any]) -> str:
    return "Branch created: " + branch_line(branch)[2:]


TOOLS = (
    with_untrusted(Tool(
        name="list_branches",
        title="List branches",
        description=(
            "List the branches of a repository with their head commit (SHA, message, date) and protection."
        ),
        toolset="branches",
        arguments=s.ListBranchesArgs,
        output_schema=s.BRANCH_LIST,
        handler=list_branches,
        render=render_branches,
    ), *within("items[]", *BRANCH_TEXTS)),
    with_untrusted(Tool(
        name="get_branch",
        title="Get branch",
        description="Get one branch by name (slashes allowed, e.g. 'feature/metrics'): head commit and protection.",
        toolset="branches",
        arguments=s.GetBranchArgs,
        output_schema=s.BRANCH,
        handler=get_branch,
        render=render_branch,
    ), *BRANCH_TEXTS),
    with_untrusted(write_tool(
        name="create_branch",
        title="Create branch",
        description=(
            "Create a branch from old_branch_name (a branch, tag or commit SHA; the default branch if omitted). "
            "An existing branch is never moved: that answers 409."
        ),
        toolset="branches",
        arguments=s.CreateBranchArgs,
        output_schema=s.BRANCH_WRITTEN,
        handler=create_branch,
        render=render_created_branch,
        idempotent=True,
    ), *BRANCH_TEXTS),
)
