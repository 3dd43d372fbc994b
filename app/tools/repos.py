"""Repository tools: what the caller can see, one repository's facts, languages and topics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.auth.pat_mode import REPOSITORIES
from app.gitea.bound import BoundGiteaClient
from app.tools import payload as p
from app.tools.call import ToolCall
from app.tools.flow_guard import remember_repository
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted
from schemas import repos as s

# Repository descriptions are written by the owner; Gitea shows them as plain text.
REPOSITORY_DESCRIPTIONS = UntrustedField("items[].description", ("owner",), "description of {full_name}",
                                         markdown=False)
TOPICS = short_text("topics[]", "topics of {repository}")


def repository_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a repository a model needs to pick one."""
    return {
        "full_name": p.text(raw, "full_name"),
        "owner": p.text(p.mapping(raw, "owner"), "login"),
        "name": p.text(raw, "name"),
        "description": p.text(raw, "description"),
        "private": p.flag(raw, "private"),
        "fork": p.flag(raw, "fork"),
        "archived": p.flag(raw, "archived"),
        "empty": p.flag(raw, "empty"),
        "default_branch": p.text(raw, "default_branch"),
        "html_url": p.text(raw, "html_url"),
        "stars_count": p.number(raw, "stars_count"),
        "open_issues_count": p.number(raw, "open_issues_count"),
        "updated_at": p.maybe_text(raw, "updated_at"),
    }


def repository_details(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Everything get_repository_info returns; null-safe for parent, permissions and trackers."""
    permissions = p.mapping(raw, "permissions")
    return {
        **repository_summary(raw),
        "website": p.text(raw, "website"),
        "language": p.text(raw, "language"),
        "size_kb": p.number(raw, "size"),
        "forks_count": p.number(raw, "forks_count"),
        "open_pr_counter": p.number(raw, "open_pr_counter"),
        "release_counter": p.number(raw, "release_counter"),
        "has_issues": p.flag(raw, "has_issues"),
        "has_pull_requests": p.flag(raw, "has_pull_requests"),
        "has_wiki": p.flag(raw, "has_wiki"),
        "mirror": p.flag(raw, "mirror"),
        "template": p.flag(raw, "template"),
        "parent": p.maybe_text(p.maybe_mapping(raw, "parent"), "full_name"),
        "clone_url": p.text(raw, "clone_url"),
        "ssh_url": p.text(raw, "ssh_url"),
        "created_at": p.maybe_text(raw, "created_at"),
        "topics": [t for t in p.items(raw, "topics") if isinstance(t, str)],
        "permissions": {k: p.flag(permissions, k) for k in ("admin", "push", "pull")},
    }


def summary_line(repo: Mapping[str, Any]) -> str:
    marks = [m for m in ("private", "fork", "archived", "empty") if repo.get(m)]
    tags = f" [{', '.join(marks)}]" if marks else ""
    about = f": {repo['description']}" if repo.get("description") else ""
    return f"- {repo['full_name']}{tags}{about} (default branch {repo['default_branch'] or '-'})"


def list_repositories(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_my_repos(page=args["page"], limit=args["limit"])
    repos = [remembered_summary(call, raw) for raw in page.items]
    return list_envelope(
        repos, page=args["page"], limit=args["limit"], has_more=page.has_more, total=page.total, limits=call.limits
    )


def render_repository_list(out: dict[str, Any]) -> str:
    lines = [summary_line(repo) for repo in out["items"]] or ["No repositories visible to you."]
    return "\n".join([*lines, more_hint(out)])


def remembered_summary(call: ToolCall, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of a listed repository; its visibility is kept for the flow guard on the way."""
    remember_repository(call, raw)
    return repository_summary(raw)


def get_repository_info(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.get_repository(args["owner"], args["repo"])
    remember_repository(call, raw)
    return repository_details(raw)


def render_repository(repo: dict[str, Any]) -> str:
    lines = [summary_line(repo)[2:]]
    if repo["parent"]:
        lines.append(f"Fork of {repo['parent']}.")
    lines.append(
        f"Language {repo['language'] or 'unknown'}; {repo['stars_count']} stars, {repo['forks_count']} forks, "
        f"{repo['open_issues_count']} open issues, {repo['open_pr_counter']} open pull requests, "
        f"{repo['release_counter']} releases."
    )
    if repo["topics"]:
        lines.append("Topics: " + ", ".join(repo["topics"]))
    lines.append(f"Web: {repo['html_url']}  Clone: {repo['clone_url']}")
    return "\n".join(lines)


def get_repo_languages(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.get_languages(args["owner"], args["repo"]) or {}
    sizes = {str(k): v for k, v in raw.items() if isinstance(v, int)}
    total = sum(sizes.values())
    ranked = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))
    languages = [{"language": k, "bytes": v, "percent": round(100 * v / total, 1) if total else 0.0} for k, v in ranked]
    return {"repository": f"{args['owner']}/{args['repo']}", "languages": languages, "total_bytes": total}


def render_languages(out: dict[str, Any]) -> str:
    if not out["languages"]:
        return f"{out['repository']}: no language statistics (empty repository or not yet indexed)."
    parts = [f"{entry['language']} {entry['percent']}%" for entry in out["languages"]]
    return f"{out['repository']}: " + ", ".join(parts)


def list_repo_topics(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    topics = [t for t in gitea.get_topics(args["owner"], args["repo"]) if isinstance(t, str)]
    return {"repository": f"{args['owner']}/{args['repo']}", "topics": topics}


def render_topics(out: dict[str, Any]) -> str:
    return f"{out['repository']} topics: " + (", ".join(out["topics"]) or "none")


TOOLS = (
    with_untrusted(Tool(
        name="list_repositories",
        title="List repositories",
        description=(
            "List the repositories you can access (owned, collaborating, organization), one page at a time. "
            "Returns full_name (owner/name), description, visibility and default branch for each. "
            "Use it to discover which owner/repo to pass to other tools; has_more: ask for the next page."
        ),
        toolset="repos",
        arguments=s.ListRepositoriesArgs,
        output_schema=s.REPOSITORY_LIST,
        handler=list_repositories,
        render=render_repository_list,
        lists=REPOSITORIES,  # service-PAT mode shows only what the signed-in user may see
    ), REPOSITORY_DESCRIPTIONS),
    with_untrusted(Tool(
        name="get_repository_info",
        title="Get repository information",
        description=(
            "Get one repository's facts: description, default branch, visibility, language, counts of stars, "
            "forks, open issues, pull requests and releases, topics, parent (for forks), clone URLs and your "
            "permissions. Use the default branch as `ref` for file and commit tools."
        ),
        toolset="repos",
        arguments=s.GetRepositoryInfoArgs,
        output_schema=s.REPOSITORY,
        handler=get_repository_info,
        render=render_repository,
    ), UntrustedField("description", ("owner",), "description of {full_name}", markdown=False), TOPICS,
        short_text("website", "website of {repository}")),
    Tool(
        name="get_repo_languages",
        title="Get repository languages",
        description=(
            "Get the programming languages of a repository with bytes and percentage per language, largest "
            "first. Useful to know how a codebase is built before reading files."
        ),
        toolset="repos",
        arguments=s.GetRepoLanguagesArgs,
        output_schema=s.LANGUAGES,
        handler=get_repo_languages,
        render=render_languages,
    ),
    with_untrusted(Tool(
        name="list_repo_topics",
        title="List repository topics",
        description="List the topics (tags such as 'python' or 'orders') attached to a repository.",
        toolset="repos",
        arguments=s.ListRepoTopicsArgs,
        output_schema=s.TOPICS,
        handler=list_repo_topics,
        render=render_topics,
    ), TOPICS),
)
