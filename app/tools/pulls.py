"""Pull request tools: lists, one pull request, its files with bounded patches, and its commits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict, GiteaNotFound
from app.logging import log_event, trace_payload
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.commits import COMMIT_ITEMS, FILE_CHANGES, WITHHELD_FILES, commit_line, commit_summary
from app.tools.diffs import FilePatch, file_entries, render_files, split_diff
from app.tools.issues import body_fields, comment_entry, issue_summary, issue_texts, render_written_comment
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import write_tool
from schemas import pulls as s

log = logging.getLogger("aegis.tools.pulls")
# FACTS §5: null unless merged, null in list responses, null when the fork is gone.
NULLABLE_PULL_FIELDS = (
    "merged_at", "merge_commit_sha", "merged_by", "closed_at", "milestone", "assignee", "assignees",
    "due_date", "additions", "deletions", "changed_files", "requested_reviewers", "head", "base", "user",
)
BRANCH_NAMES = "branch names in {repository}"
PULL_TEXTS = (*issue_texts("pull request"), short_text("head", BRANCH_NAMES), short_text("base", BRANCH_NAMES))


def branch_ref(raw: Mapping[str, Any], key: str) -> str:
    return p.text(p.mapping(raw, key), "ref") or p.text(p.mapping(raw, key), "label")


def pull_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A pull request in a list; head.repo is null when the fork was deleted."""
    issue = {k: v for k, v in issue_summary(raw).items() if k not in ("is_pull_request", "comments")}
    return {
        **issue,
        "head": branch_ref(raw, "head"),
        "base": branch_ref(raw, "base"),
        "head_repository": p.maybe_text(p.maybe_mapping(p.mapping(raw, "head"), "repo"), "full_name"),
        "draft": p.flag(raw, "draft"),
        "merged": p.flag(raw, "merged"),
        "merged_at": p.maybe_text(raw, "merged_at"),
        "requested_reviewers": p.logins(raw, "requested_reviewers"),
    }


def pull_line(pull: Mapping[str, Any]) -> str:
    state = "merged" if pull["merged"] else pull["state"]
    draft = " draft" if pull["draft"] else ""
    return (f"- #{pull['number']} [{state}{draft}] {pull['title']} ({pull['head']} -> {pull['base']}, "
            f"by {pull['author'] or 'unknown'})")


def list_pull_requests(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_pulls(args["owner"], args["repo"], state=args["state"], page=args["page"], limit=args["limit"])
    pulls = [pull_summary(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(pulls, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_pull_list(out: dict[str, Any]) -> str:
    lines = [pull_line(pull) for pull in out["items"]] or ["No pull requests match."]
    return "\n".join([*lines, more_hint(out)])


def get_pull_request(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    log_event(log, logging.DEBUG, "get_pull_request.start", repository=call.repository,
              pull_number=args["pull_number"])
    raw = gitea.get_pull(args["owner"], args["repo"], args["pull_number"])
    trace_payload(log, "get_pull_request", raw, NULLABLE_PULL_FIELDS)
    mergeable = raw.get("mergeable") if isinstance(raw.get("mergeable"), bool) else None
    return {
        **pull_summary(raw),
        **body_fields(raw, call.limits.chars),
        "head_sha": p.text(p.mapping(raw, "head"), "sha"),
        "base_sha": p.text(p.mapping(raw, "base"), "sha"),
        "mergeable": mergeable,
        "merged_by": p.login(p.maybe_mapping(raw, "merged_by")),
        "merge_commit_sha": p.maybe_text(raw, "merge_commit_sha"),
        "comments": p.maybe_number(raw, "comments"),
        "additions": p.maybe_number(raw, "additions"),
        "deletions": p.maybe_number(raw, "deletions"),
        "changed_files": p.maybe_number(raw, "changed_files"),
        "due_date": p.maybe_text(raw, "due_date"),
    }


def render_pull(pull: dict[str, Any]) -> str:
    lines = [f"Pull request {pull_line(pull)[2:]}"]
    if pull["merged"]:
        lines.append(f"Merged {pull['merged_at']} by {pull['merged_by'] or 'unknown'} as {pull['merge_commit_sha']}.")
    elif pull["mergeable"] is not None:
        lines.append("Mergeable." if pull["mergeable"] else "Has conflicts: not mergeable as is.")
    if pull["changed_files"] is not None:
        lines.append(f"{pull['changed_files']} files changed, +{pull['additions']} -{pull['deletions']}.")
    if pull["labels"]:
        lines.append("Labels: " + ", ".join(pull["labels"]))
    lines.append(pull["body"] or "(no description)")
    if pull["body_truncated"]:
        lines.append("[truncated: the description is longer than MAX_TOOL_RESPONSE_CHARS]")
    return "\n".join(lines)


def changed_file_patch(raw: Mapping[str, Any], patches: dict[str, FilePatch]) -> FilePatch:
    """The patch of one listed file, or an empty one when the diff did not reach it."""
    path = p.text(raw, "filename")
    found = patches.get(path)
    status = p.text(raw, "status") or (found.status if found else "modified")
    old = p.text(raw, "previous_filename") or path
    # The policy then checks Gitea's names and every path the diff section itself names (both sides).
    return FilePatch(path, old, status, found.patch if found else "", found.paths if found else frozenset())


def list_pull_request_files(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Gitea's file list for the page, with patches cut from the pull request's diff (one download)."""
    owner, repo, number = args["owner"], args["repo"], args["pull_number"]
    page = gitea.list_pull_files(owner, repo, number, page=args["page"], limit=args["limit"])
    diff = gitea.get_pull_diff(owner, repo, number)
    patches = {patch.path: patch for patch in split_diff(diff.text)}
    listed = [changed_file_patch(raw, patches) for raw in page.items if isinstance(raw, Mapping)]
    # No cap here: list_envelope applies MAX_TOOL_RESPONSE_ITEMS and says when it cut the page.
    files, withheld = file_entries(call, listed, cap=len(listed))
    envelope = list_envelope(files, page=args["page"], limit=args["limit"], has_more=page.has_more,
                             total=page.total, limits=call.limits)
    cut = f"The diff is larger than {call.limits.file_bytes} bytes; some patches are empty."
    note = cut if diff.truncated else None
    return {**envelope, "withheld_files": withheld, "note": note}


def render_pull_files(out: dict[str, Any]) -> str:
    lines = render_files(out["items"]) or ["No changed files."]
    if out["withheld_files"]:
        lines.append(f"[{len(out['withheld_files'])} files withheld by policy]")
    if out["note"]:
        lines.append(f"[{out['note']}]")
    return "\n".join([*lines, more_hint(out)])


def list_pull_request_commits(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_pull_commits(args["owner"], args["repo"], args["pull_number"], page=args["page"],
                                   limit=args["limit"])
    commits = [commit_summary(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(commits, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_pull_commits(out: dict[str, Any]) -> str:
    lines = [commit_line(commit) for commit in out["items"]] or ["No commits."]
    return "\n".join([*lines, more_hint(out)])


def create_pull_request(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    head, base = args["head"], args["base"]
    try:
        raw = gitea.create_pull(args["owner"], args["repo"], head=head, base=base, title=args["title"],
                                body=args.get("body"))
    except GiteaConflict:
        message = (f"create_pull_request: a pull request from '{head}' into '{base}' is already open in "
                   f"{call.repository} (409); comment on it or update it instead.")
        raise ToolFailure(message, "upstream_conflict") from None
    return pull_summary(raw)


def render_created_pull(pull: dict[str, Any]) -> str:
    return f"Pull request opened: {pull_line(pull)[2:]}\n{pull['html_url']}"


def create_pr_comment(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Gitea comments on pull requests through the issue route; checking first keeps an issue number out."""
    owner, repo, number = args["owner"], args["repo"], args["pull_number"]
    try:
        gitea.get_pull(owner, repo, number)
    except GiteaNotFound:
        raise ToolFailure(f"create_pr_comment: #{number} is not a pull request of {call.repository} (or the "
                          "repository is not visible to you); use create_issue_comment for issues.",
                          "not_found") from None
    return comment_entry(gitea.create_comment(owner, repo, number, args["body"]), call.limits.chars)


TOOLS = (
    with_untrusted(Tool(
        name="list_pull_requests",
        title="List pull requests",
        description=(
            "List pull requests of a repository with number, title, state (merged shown as merged), head and "
            "base branches and author. Filter by state (open, closed, all; default open)."
        ),
        toolset="pulls",
        arguments=s.ListPullRequestsArgs,
        output_schema=s.PULL_LIST,
        handler=list_pull_requests,
        render=render_pull_list,
    ), *within("items[]", *PULL_TEXTS)),
    with_untrusted(Tool(
        name="get_pull_request",
        title="Get pull request",
        description=(
            "Get one pull request by number: description, branches and SHAs, merge state, mergeability, "
            "size (+/- lines, files), labels, reviewers. Follow with list_pull_request_files for the changes."
        ),
        toolset="pulls",
        arguments=s.GetPullRequestArgs,
        output_schema=s.PULL,
        handler=get_pull_request,
        render=render_pull,
    ), UntrustedField("body", ("author",), "pull request {repository}#{number}"), *PULL_TEXTS),
    with_untrusted(Tool(
        name="list_pull_request_files",
        title="List pull request files",
        description=(
            "List the files a pull request changes, each with status, +/- counts and its unified-diff patch. "
            "Patches share a character budget so one huge file cannot hide the rest; cut patches are "
            "marked."
        ),
        toolset="pulls",
        arguments=s.ListPullRequestFilesArgs,
        output_schema=s.PULL_FILES,
        handler=list_pull_request_files,
        render=render_pull_files,
    ), *within("items[]", *FILE_CHANGES), WITHHELD_FILES),
    with_untrusted(Tool(
        name="list_pull_request_commits",
        title="List pull request commits",
        description=(
            "List the commits of a pull request, oldest first as Gitea orders them, with SHA, message and "
            "author."
        ),
        toolset="pulls",
        arguments=s.ListPullRequestCommitsArgs,
        output_schema=s.PULL_COMMITS,
        handler=list_pull_request_commits,
        render=render_pull_commits,
    ), *COMMIT_ITEMS),
    with_untrusted(write_tool(
        name="create_pull_request",
        title="Create pull request",
        description=(
            "Open a pull request from head (a branch; 'owner:branch' for a fork) into base with a title and "
            "optional body. An open pull request for the same branches answers 409."
        ),
        toolset="pulls",
        arguments=s.CreatePullRequestArgs,
        output_schema=s.PULL_WRITTEN,
        handler=create_pull_request,
        render=render_created_pull,
        idempotent=True,
    ), *PULL_TEXTS),
    write_tool(
        name="create_pr_comment",
        title="Comment on pull request",
        description=(
            "Post a comment on a pull request's conversation by number (an issue number is refused)."
        ),
        toolset="pulls",
        arguments=s.CreatePrCommentArgs,
        output_schema=s.COMMENT_WRITTEN,
        handler=create_pr_comment,
        render=render_written_comment,
    ),
)
