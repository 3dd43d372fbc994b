"""Commit tools: history, one commit's diff, comparing refs and CI status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.diffs import file_entries, render_files, split_diff
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted, within
from schemas import commits as s

SHA = re.compile(r"[0-9a-fA-F]{7,64}")
# Commit messages are repository text; Gitea shows them as plain text, so HTML comments stay visible.
COMMIT_AUTHOR = ("author_login", "author_name")
COMMIT_SOURCE = "commit {sha} in {repository}"
COMMIT_TEXTS = (UntrustedField("message", COMMIT_AUTHOR, COMMIT_SOURCE, markdown=False),
                short_text("author_name", "commit author names in {repository}"),
                short_text("author_email", "commit author emails in {repository}"))
COMMIT_ITEMS = within("items[]", *COMMIT_TEXTS)
FULL_MESSAGE = UntrustedField("full_message", tuple(f"commit.{key}" for key in COMMIT_AUTHOR),
                              "commit {commit[sha]} in {repository}", markdown=False)
# Patches are fenced whole: diffs.file_entries has bounded them with a budget of their own.
FILE_CHANGES = (UntrustedField("patch", (), "patch of {path} in {repository}", markdown=False, own_bound=True),
                short_text("path", "file paths in {repository}"),
                short_text("previous_path", "file paths in {repository}"))
WITHHELD_FILES = short_text("withheld_files[]", "file paths in {repository}")

def commit_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Sha, first message line and author; `author`/`committer` users are null for unknown emails."""
    git = p.mapping(raw, "commit")
    identity = p.mapping(git, "author")
    return {
        "sha": p.text(raw, "sha") or p.text(raw, "id"),
        "message": p.first_line(p.text(git, "message") or p.text(raw, "message")),
        "author_name": p.text(identity, "name"),
        "author_email": p.text(identity, "email"),
        "author_login": p.login(p.maybe_mapping(raw, "author")),
        "committer_login": p.login(p.maybe_mapping(raw, "committer")),
        "date": p.maybe_text(identity, "date") or p.maybe_text(raw, "created"),
        "html_url": p.text(raw, "html_url"),
    }


def commit_line(commit: Mapping[str, Any]) -> str:
    who = commit["author_login"] or commit["author_name"] or "unknown"
    return f"- {commit['sha'][:10]} {commit['message']} ({who}, {commit['date'] or 'no date'})"


def list_commits(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    try:
        page = gitea.list_commits(args["owner"], args["repo"], sha=args.get("ref"), page=args["page"],
                                  limit=args["limit"])
    except GiteaConflict:  # Gitea answers 409 for a repository without commits
        envelope = list_envelope([], page=args["page"], limit=args["limit"], has_more=False, total=0,
                                 limits=call.limits)
        return {**envelope, "note": "The repository is empty: it has no commits yet."}
    commits = [commit_summary(raw) for raw in page.items]
    envelope = list_envelope(commits, page=args["page"], limit=args["limit"], has_more=page.has_more,
                             total=page.total, limits=call.limits)
    return {**envelope, "note": None}


def render_commit_list(out: dict[str, Any]) -> str:
    if out.get("note"):
        return out["note"]
    return "\n".join([*(commit_line(c) for c in out["items"]), more_hint(out)])


def diff_section(call: ToolCall, text: str, cut_at_cap: bool) -> dict[str, Any]:
    """Files of a diff, bounded, with what was left out and why (never cut silently)."""
    patches = split_diff(text)
    files, withheld = file_entries(call, patches)
    omitted = max(len(patches) - len(files) - len(withheld), 0)  # past MAX_TOOL_RESPONSE_ITEMS
    reasons = []
    if cut_at_cap:
        reasons.append(f"the diff is larger than {call.limits.file_bytes} bytes; later files are missing")
    if omitted:
        reasons.append(
            f"{omitted} more changed files are not listed (at most {call.limits.items} per answer); for a pull "
            "request, list_pull_request_files pages through all of them; otherwise compare closer refs"
        )
    if any(entry["patch_truncated"] for entry in files):
        reasons.append(f"patches share a budget of {call.limits.chars} characters; cut patches are marked")
    truncation = "; ".join(reasons) or None
    return {"files": files, "withheld_files": withheld, "omitted_files": omitted, "truncated": truncation is not None,
            "truncation": truncation}


def commit_sha(gitea: BoundGiteaClient, owner: str, repo: str, ref: str) -> str:
    """A SHA as given; a branch or tag name resolved to its head commit first."""
    if SHA.fullmatch(ref):
        return ref
    page = gitea.list_commits(owner, repo, sha=ref, page=1, limit=1)
    if not page.items:
        raise ToolFailure(f"No commit found for {ref!r} in {owner}/{repo}.", "not_found")
    return p.text(page.items[0], "sha")


def get_commit_diff(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo = args["owner"], args["repo"]
    sha = commit_sha(gitea, owner, repo, args["sha"])
    raw = gitea.get_commit(owner, repo, sha, stat=True, files=False)
    diff = gitea.get_commit_diff(owner, repo, p.text(raw, "sha") or sha)
    stats = p.mapping(raw, "stats")
    section = diff_section(call, diff.text, diff.truncated)
    return {
        "commit": commit_summary(raw),
        "full_message": p.text(p.mapping(raw, "commit"), "message"),
        "parents": [p.text(parent, "sha") for parent in p.items(raw, "parents") if isinstance(parent, Mapping)],
        "additions": p.number(stats, "additions"),
        "deletions": p.number(stats, "deletions"),
        "files_changed": len(split_diff(diff.text)),
        **section,
    }


def render_commit_diff(out: dict[str, Any]) -> str:
    head = commit_line(out["commit"])[2:]
    lines = [head, f"{out['files_changed']} files changed, +{out['additions']} -{out['deletions']}"]
    return "\n".join(lines + render_files(out["files"]) + diff_notes(out))


def diff_notes(out: dict[str, Any]) -> list[str]:
    notes = []
    if out["withheld_files"]:
        notes.append(f"[{len(out['withheld_files'])} files withheld by policy]")
    if out["truncated"]:
        notes.append(f"[truncated: {out['truncation']}]")
    return notes


def compare_refs(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo, base, head = args["owner"], args["repo"], args["base"], args["head"]
    comparison = gitea.compare(owner, repo, base, head)
    diff = gitea.compare_diff(owner, repo, base, head)
    commits = [commit_summary(raw) for raw in p.items(comparison, "commits") if isinstance(raw, Mapping)]
    return {
        "base": base,
        "head": head,
        "total_commits": p.number(comparison, "total_commits"),
        "commits": commits[: call.limits.items],
        "commits_truncated": len(commits) > call.limits.items,
        **diff_section(call, diff.text, diff.truncated),
    }


def render_comparison(out: dict[str, Any]) -> str:
    lines = [f"{out['head']} is {out['total_commits']} commits ahead of {out['base']}:"]
    lines += [commit_line(c) for c in out["commits"]]
    listed = len(out["files"])
    changed = listed + out["omitted_files"] + len(out["withheld_files"])
    lines.append(f"{changed} files changed:" if changed == listed else f"{changed} files changed ({listed} listed):")
    return "\n".join(lines + render_files(out["files"]) + diff_notes(out))


def status_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "context": p.text(raw, "context"),
        "state": p.text(raw, "status") or p.text(raw, "state"),
        "description": p.text(raw, "description"),
        "target_url": p.text(raw, "target_url"),
        "creator": p.login(p.maybe_mapping(raw, "creator")),
        "updated_at": p.maybe_text(raw, "updated_at"),
    }


def get_commit_status(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """With no statuses Gitea sends state "" and statuses null: reported as state "none"."""
    raw = gitea.get_combined_status(args["owner"], args["repo"], args["sha"])
    statuses = [status_entry(entry) for entry in p.items(raw, "statuses") if isinstance(entry, Mapping)]
    return {
        "ref": args["sha"],
        "sha": p.text(raw, "sha"),
        "state": p.text(raw, "state") or "none",
        "total_count": p.number(raw, "total_count"),
        "statuses": statuses[: call.limits.items],
    }


def render_status(out: dict[str, Any]) -> str:
    if not out["statuses"]:
        return f"{out['ref']}: no CI statuses have been reported for this commit."
    lines = [f"{out['ref']} ({out['sha'][:10]}): combined state {out['state']}"]
    lines += [f"- {st['context']}: {st['state']} {st['description']} {st['target_url']}".rstrip()
              for st in out["statuses"]]
    return "\n".join(lines)


TOOLS = (
    with_untrusted(Tool(
        name="list_commits",
        title="List commits",
        description=(
            "List commits reachable from a branch, tag or SHA (default: the default branch), newest first, "
            "with SHA, first message line, author and date."
        ),
        toolset="commits",
        arguments=s.ListCommitsArgs,
        output_schema=s.COMMIT_LIST,
        handler=list_commits,
        render=render_commit_list,
    ), *COMMIT_ITEMS),
    with_untrusted(Tool(
        name="get_commit_diff",
        title="Get commit diff",
        description=(
            "Show one commit: message, parents, totals and the changed files with their unified-diff patches. "
            "Patches share a character budget so every file is summarised; a cut patch is marked. "
            "Use get_file_contents for a whole file."
        ),
        toolset="commits",
        arguments=s.GetCommitDiffArgs,
        output_schema=s.COMMIT_DIFF,
        handler=get_commit_diff,
        render=render_commit_diff,
    ), *within("commit", *COMMIT_TEXTS), FULL_MESSAGE, *within("files[]", *FILE_CHANGES), WITHHELD_FILES),
    with_untrusted(Tool(
        name="compare_refs",
        title="Compare refs",
        description=(
            "Compare two branches, tags or commits: the commits in head that are not in base, and per-file "
            "changes with bounded patches. Use it to review what a branch would bring into another."
        ),
        toolset="commits",
        arguments=s.CompareRefsArgs,
        output_schema=s.COMPARISON,
        handler=compare_refs,
        render=render_comparison,
    ), *within("commits[]", *COMMIT_TEXTS), *within("files[]", *FILE_CHANGES), WITHHELD_FILES),
    with_untrusted(Tool(
        name="get_commit_status",
        title="Get commit status",
        description=(
            "Get the combined CI status of a commit (or branch/tag head): overall state (success, pending, "
            "failure, error, or none when nothing reported) and each check's context, state and link."
        ),
        toolset="commits",
        arguments=s.GetCommitStatusArgs,
        output_schema=s.COMBINED_STATUS,
        handler=get_commit_status,
        render=render_status,
    ), *within("statuses[]", *(short_text(key, "commit statuses in {repository}", ("creator",))
                               for key in ("context", "description", "target_url")))),
)
