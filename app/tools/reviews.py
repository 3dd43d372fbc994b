"""Pull request review tools: reviews and their inline comments, the pull request's diff, and creating a
review whose every inline comment is checked against that diff before anything is sent.

Gitea stores an inline comment on any line it is given (services/pull/review.go: the line is never
checked against the diff) and shows one outside every hunk nowhere: a review would look sent while its
comments are lost. So create_pull_request_review refuses the whole review when one comment is not on a
line of the diff, naming the nearest lines that are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.commits import diff_section
from app.tools.diffs import FilePatch, split_diff
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import write_tool
from schemas import reviews as s

HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
# Gitea's review events; our APPROVE is its APPROVED.
GITEA_EVENTS = {"COMMENT": "COMMENT", "APPROVE": "APPROVED", "REQUEST_CHANGES": "REQUEST_CHANGES"}
# A verdict is governed apart from comments: the policy must also allow these names (write names, so
# `defaults.write` covers them; a repository allow list that lists only create_pull_request_review
# allows comment reviews and nothing more).
VERDICT_POLICY_NAMES = {"APPROVE": "approve_pull_request", "REQUEST_CHANGES": "request_pull_request_changes"}
CHANGED_FILES_NAMED = 10


@dataclass(frozen=True)
class DiffLines:
    """The lines of one file a review may comment on: new-side (RIGHT) and old-side (LEFT) line numbers."""

    right: tuple[int, ...]
    left: tuple[int, ...]

    def on(self, side: str) -> tuple[int, ...]:
        return self.right if side == "RIGHT" else self.left


def diff_lines(patch: str) -> DiffLines:
    """Walk the hunks of one file's patch: context lines are on both sides, '+' right, '-' left."""
    right: list[int] = []
    left: list[int] = []
    old = new = 0
    in_hunk = False
    for text in patch.split("\n"):
        start = HUNK.match(text)
        if start:
            old, new, in_hunk = int(start[1]), int(start[2]), True
        elif in_hunk and text[:1] in (" ", "-"):
            left.append(old)
            old += 1
            if text[:1] == " ":
                right.append(new)
                new += 1
        elif in_hunk and text[:1] == "+":
            right.append(new)
            new += 1
    return DiffLines(tuple(right), tuple(left))


def line_runs(lines: tuple[int, ...]) -> str:
    """'1-13, 20-25': the ranges a side's hunks cover."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in runs)


def nearest_lines(lines: tuple[int, ...], wanted: int) -> str:
    """The closest commentable lines above and below `wanted`."""
    below = max((line for line in lines if line < wanted), default=None)
    above = min((line for line in lines if line > wanted), default=None)
    return " and ".join(str(line) for line in (below, above) if line is not None)


def pull_request(gitea: BoundGiteaClient, call: ToolCall, args: dict[str, Any]) -> Mapping[str, Any]:
    """The pull request, or a clear not-found (an issue number is not a pull request)."""
    number = args["pull_number"]
    try:
        return gitea.get_pull(args["owner"], args["repo"], number)
    except GiteaNotFound:
        raise ToolFailure(f"{call.tool.name}: #{number} is not a pull request of {call.repository} (or the "
                          "repository is not visible to you).", "not_found") from None


def review_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A review as Gitea states it (APPROVED, REQUEST_CHANGES, COMMENT, PENDING for your own draft)."""
    return {
        "id": p.number(raw, "id"),
        "reviewer": p.login(p.maybe_mapping(raw, "user")),
        "state": p.text(raw, "state"),
        "body": p.text(raw, "body"),
        "commit_id": p.text(raw, "commit_id"),
        "comments_count": p.number(raw, "comments_count"),
        "official": p.flag(raw, "official"),
        "stale": p.flag(raw, "stale"),
        "dismissed": p.flag(raw, "dismissed"),
        "submitted_at": p.maybe_text(raw, "submitted_at"),
        "html_url": p.text(raw, "html_url"),
    }


def review_line(review: Mapping[str, Any]) -> str:
    flags = "".join(f" [{flag}]" for flag in ("dismissed", "stale") if review[flag])
    when = review["submitted_at"] or "not submitted"
    return (f"- review {review['id']}: {review['state']} by {review['reviewer'] or 'unknown'}{flags} "
            f"({review['comments_count']} inline comments, {when})")


def list_pull_request_reviews(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_pull_reviews(args["owner"], args["repo"], args["pull_number"], page=args["page"],
                                   limit=args["limit"])
    reviews = [review_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    # Gitea's X-Total-Count also counts other people's pending reviews, which it does not list: no total.
    return list_envelope(reviews, page=args["page"], limit=args["limit"], has_more=page.has_more, total=None,
                         limits=call.limits)


def render_review_list(out: dict[str, Any]) -> str:
    lines: list[str] = []
    for review in out["items"]:
        lines.append(review_line(review))
        if review["body"]:
            lines.append(review["body"])
    return "\n".join([*(lines or ["No reviews yet."]), more_hint(out)])


def inline_comment(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Gitea's `position` is the new-side line, `original_position` the old-side one (0 when not that side)."""
    new_line = p.number(raw, "position")
    return {
        "id": p.number(raw, "id"),
        "path": p.text(raw, "path"),
        "line": new_line or p.number(raw, "original_position"),
        "side": "RIGHT" if new_line else "LEFT",
        "author": p.login(p.maybe_mapping(raw, "user")),
        "body": p.text(raw, "body"),
        "diff_hunk": p.text(raw, "diff_hunk"),
        "created_at": p.maybe_text(raw, "created_at"),
    }


def get_pull_request_review(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo, number, review_id = args["owner"], args["repo"], args["pull_number"], args["review_id"]
    try:
        raw = gitea.get_pull_review(owner, repo, number, review_id)
        listed = gitea.list_pull_review_comments(owner, repo, number, review_id)
    except GiteaNotFound:
        raise ToolFailure(f"get_pull_request_review: no review {review_id} on pull request #{number} of "
                          f"{call.repository}; list_pull_request_reviews names its reviews.", "not_found") from None
    comments = [inline_comment(item) for item in listed if isinstance(item, Mapping)]
    # A comment's diff_hunk quotes the file: a path the policy withholds is named, its comments not shown.
    shown, withheld = call.visible(comments, lambda comment: comment["path"])
    return {**review_entry(raw), "comments": shown[: call.limits.items],
            "comments_truncated": len(shown) > call.limits.items, "withheld_files": withheld}


def render_review(out: dict[str, Any]) -> str:
    lines = [review_line(out)[2:], out["body"] or "(no summary)"]
    for comment in out["comments"]:
        lines.append(f"{comment['path']} {comment['side']} line {comment['line']} "
                     f"({comment['author'] or 'unknown'}):")
        if comment["diff_hunk"]:
            lines.append(comment["diff_hunk"])
        else:
            lines.append("[not on a line of the diff: Gitea shows this comment nowhere in the diff view]")
        lines.append(comment["body"])
    if out["comments_truncated"]:
        lines.append(f"[only the first {len(out['comments'])} inline comments are shown]")
    if out["withheld_files"]:
        lines.append(f"[comments on {len(out['withheld_files'])} files withheld by policy]")
    return "\n".join(lines)


def chosen_patches(patches: list[FilePatch], wanted: list[str] | None) -> tuple[list[FilePatch], list[str]]:
    """The sections naming a wanted file or a file below a wanted directory, and the filters that matched none."""
    if not wanted:
        return patches, []

    def matches(path: str, wanted_path: str) -> bool:
        prefix = wanted_path.rstrip("/")
        return path == prefix or path.startswith(prefix + "/")

    chosen = [patch for patch in patches if any(matches(path, w) for path in patch.paths for w in wanted)]
    unmatched = [w for w in wanted if not any(matches(path, w) for patch in patches for path in patch.paths)]
    return chosen, unmatched


def get_pull_request_diff(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """The unified diff, cut into file sections that diff_section bounds and checks against the policy (both
    sides of every section) exactly as get_commit_diff does."""
    download = gitea.get_pull_diff(args["owner"], args["repo"], args["pull_number"])
    chosen, unmatched = chosen_patches(split_diff(download.text), args.get("paths"))
    section = diff_section(call, "".join(patch.patch for patch in chosen), download.truncated)
    files = [{key: entry[key] for key in ("path", "previous_path", "status", "additions", "deletions",
                                          "patch_truncated")} for entry in section["files"]]
    truncation = section["truncation"]
    if section["omitted_files"]:
        truncation += "; or call get_pull_request_diff again with paths naming the files or directories left out"
    return {"pull_number": args["pull_number"], "diff": joined_patches(section["files"]), "files": files,
            "withheld_files": section["withheld_files"], "unmatched_paths": unmatched,
            "truncated": section["truncated"], "truncation": truncation}


def joined_patches(entries: list[dict[str, Any]]) -> str:
    """The bounded patches as one diff text: a cut patch ends on its own line and says it was cut, so the next
    file's header still starts a line."""
    parts: list[str] = []
    for entry in entries:
        parts.append(entry["patch"] if entry["patch"].endswith("\n") else entry["patch"] + "\n")
        if entry["patch_truncated"]:  # a path may hold a newline (git C-quotes it): kept on the marker's line
            path = entry["path"].replace("\r", "\\r").replace("\n", "\\n")
            parts.append(f"[patch of {path} cut: {entry['patch_chars']} characters in all]\n")
    return "".join(parts)


def render_pull_diff(out: dict[str, Any]) -> str:
    lines = [out["diff"].rstrip("\n") or "No changes to show."]
    if out["unmatched_paths"]:
        lines.append(f"[no changed file matches: {', '.join(out['unmatched_paths'])}]")
    if out["withheld_files"]:
        lines.append(f"[{len(out['withheld_files'])} files withheld by policy: their sections are removed]")
    if out["truncated"]:
        lines.append(f"[truncated: {out['truncation']}]")
    return "\n".join(lines)


def review_policy_targets(args: dict[str, Any]) -> Iterable[tuple[str, str | None]]:
    """An APPROVE or REQUEST_CHANGES needs its own policy name allowed; every inline comment's path is checked."""
    verdict = VERDICT_POLICY_NAMES.get(args.get("event", ""))
    paths = dict.fromkeys(comment["path"] for comment in args.get("comments") or [])
    return [*([(verdict, None)] if verdict else []), *(("create_pull_request_review", path) for path in paths)]


def comment_problem(index: int, comment: Mapping[str, Any], files: dict[str, FilePatch | None],
                    cut: bool) -> str | None:
    """Why one inline comment would not land on a line of the diff, or None when it would (`files`: a path
    the policy withholds maps to None)."""
    where = f"comments[{index}] ({comment['side']} line {comment['line']} of {comment['path']})"
    if comment["path"] in files and files[comment["path"]] is None:
        return f"{where}: the policy withholds this file's diff (its other name is denied)"
    patch = files.get(comment["path"])
    if patch is None:
        named = ", ".join([path for path, shown in files.items() if shown][:CHANGED_FILES_NAMED]) or "none"
        more = "; the diff is larger than can be read, so later files could not be checked" if cut else ""
        return f"{where}: this pull request does not change that file (changed files: {named}){more}"
    lines = diff_lines(patch.patch).on(comment["side"])
    if not lines:
        return f"{where}: {empty_side_reason(patch, comment['side'])}"
    if comment["line"] in lines:
        return None
    partial = "; the diff is larger than can be read, so this file's last lines may be missing" if cut else ""
    return (f"{where}: that line is not in the diff; nearest lines on that side: "
            f"{nearest_lines(lines, comment['line'])} (the diff covers {comment['side']} lines "
            f"{line_runs(lines)}){partial}")


def empty_side_reason(patch: FilePatch, side: str) -> str:
    if patch.status == "deleted" and side == "RIGHT":
        return "the pull request deletes this file, so it has no new (RIGHT) lines; comment on side LEFT"
    if patch.status == "added" and side == "LEFT":
        return "the pull request adds this file, so it has no old (LEFT) lines; comment on side RIGHT"
    return f"the diff has no {side} lines for this file (a binary file, or a rename without changes)"


def check_inline_comments(gitea: BoundGiteaClient, call: ToolCall, args: dict[str, Any]) -> None:
    """Refuse the whole review unless every inline comment sits on a line of the pull request's current diff."""
    download = gitea.get_pull_diff(args["owner"], args["repo"], args["pull_number"])
    patches = split_diff(download.text)
    # A section is usable only when the policy allows every path it names (both sides of a rename).
    allowed = set(call.visible_paths(list(dict.fromkeys(path for patch in patches for path in patch.paths)))[0])
    files: dict[str, FilePatch | None] = {patch.path: patch if patch.paths <= allowed else None for patch in patches}
    problems = [problem for index, comment in enumerate(args["comments"])
                if (problem := comment_problem(index, comment, files, download.truncated))]
    if problems:
        raise ToolFailure("create_pull_request_review: nothing was sent; every inline comment must be on a line "
                          "of the pull request's diff. " + "; ".join(problems) + ".", "invalid_arguments")


def gitea_comment(comment: Mapping[str, Any]) -> dict[str, Any]:
    """Our side RIGHT/LEFT as Gitea's new_position/old_position (CreatePullReviewComment)."""
    position = "new_position" if comment["side"] == "RIGHT" else "old_position"
    return {"path": comment["path"], "body": comment["body"], position: comment["line"]}


def head_sha(gitea: BoundGiteaClient, call: ToolCall, args: dict[str, Any]) -> str:
    return p.text(p.mapping(pull_request(gitea, call, args), "head"), "sha")


def checked_head(gitea: BoundGiteaClient, call: ToolCall, args: dict[str, Any]) -> str:
    """The head the inline comments were checked against: read before and after the diff, refused if it moved
    (a push between the reads would pin the comments to a commit whose diff was not the one checked)."""
    head = head_sha(gitea, call, args)
    if not args.get("comments"):
        return head
    check_inline_comments(gitea, call, args)
    if head_sha(gitea, call, args) != head:
        raise ToolFailure("create_pull_request_review: nothing was sent; the pull request's head moved (a push) "
                          "while its diff was checked. Read the new diff and send the review again.",
                          "upstream_conflict")
    return head


def create_pull_request_review(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    owner, repo, number = args["owner"], args["repo"], args["pull_number"]
    head = checked_head(gitea, call, args)
    comments = args.get("comments") or []
    # commit_id pins the comments to the head whose diff was just checked, not to one pushed since.
    raw = gitea.create_pull_review(owner, repo, number, event=GITEA_EVENTS[args["event"]], body=args.get("body"),
                                   commit_id=head or None, comments=[gitea_comment(c) for c in comments] or None)
    return review_entry(raw)


def render_created_review(review: dict[str, Any]) -> str:
    return f"Review sent: {review_line(review)[2:]}\n{review['html_url']}"


REVIEW_SOURCE = "review {id} in {repository}"
REVIEW_TEXTS = (UntrustedField("body", ("reviewer",), REVIEW_SOURCE),)
COMMENT_TEXTS = (UntrustedField("body", ("author",), "inline comment on {path} in {repository}"),
                 UntrustedField("diff_hunk", (), "diff of {path} in {repository}", markdown=False),
                 short_text("path", "file paths in {repository}"))
PATHS = "file paths in {repository}"

TOOLS = (
    with_untrusted(Tool(
        name="list_pull_request_reviews",
        title="List pull request reviews",
        description=(
            "List the reviews of a pull request, oldest first: id, reviewer, state (APPROVED, REQUEST_CHANGES, "
            "COMMENT; PENDING for your own unsent draft), summary and number of inline comments."
        ),
        toolset="reviews",
        arguments=s.ListPullRequestReviewsArgs,
        output_schema=s.REVIEW_LIST,
        handler=list_pull_request_reviews,
        render=render_review_list,
    ), *within("items[]", *REVIEW_TEXTS)),
    with_untrusted(Tool(
        name="get_pull_request_review",
        title="Get pull request review",
        description="Get one review with its inline comments: file, side (RIGHT new, LEFT old), line, text and hunk.",
        toolset="reviews",
        arguments=s.GetPullRequestReviewArgs,
        output_schema=s.REVIEW_WITH_COMMENTS,
        handler=get_pull_request_review,
        render=render_review,
    ), *REVIEW_TEXTS, *within("comments[]", *COMMENT_TEXTS), short_text("withheld_files[]", PATHS)),
    with_untrusted(Tool(
        name="get_pull_request_diff",
        title="Get pull request diff",
        description=(
            "Get a pull request's unified diff, optionally only some files or directories (paths). Patches "
            "share a character budget; cut ones and files withheld by policy are named."
        ),
        toolset="reviews",
        arguments=s.GetPullRequestDiffArgs,
        output_schema=s.PULL_DIFF,
        handler=get_pull_request_diff,
        render=render_pull_diff,
    ), UntrustedField("diff", (), "diff of pull request {repository}#{pull_number}", markdown=False, own_bound=True),
        *within("files[]", short_text("path", PATHS), short_text("previous_path", PATHS)),
        short_text("withheld_files[]", PATHS), short_text("unmatched_paths[]", PATHS)),
    with_untrusted(write_tool(
        name="create_pull_request_review",
        title="Review pull request",
        description=(
            "Review a pull request: event COMMENT, APPROVE or REQUEST_CHANGES, a summary body and inline comments "
            "{path, line, side, body}. A comment off the diff refuses the whole review, naming the nearest lines."
        ),
        toolset="reviews",
        arguments=s.CreatePullRequestReviewArgs,
        output_schema=s.REVIEW_WRITTEN,
        handler=create_pull_request_review,
        render=render_created_review,
        policy_targets=review_policy_targets,
        policy_names=tuple(VERDICT_POLICY_NAMES.values()),
    ), *REVIEW_TEXTS),
)
