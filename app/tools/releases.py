"""Release and tag tools: tags, releases, one release and the latest published release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict, GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.issues import body_fields
from app.tools.registry import Tool
from app.tools.shaping import UntrustedField, list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import write_tool
from schemas import releases as s

RELEASE_SOURCE = "release {tag_name} in {repository}"
TAG_NAMES = "tag names in {repository}"
RELEASE_TEXTS = (short_text("name", "release names in {repository}", ("author",)), short_text("tag_name", TAG_NAMES))
RELEASE_DETAILS = (UntrustedField("body", ("author",), RELEASE_SOURCE), *RELEASE_TEXTS,
                   short_text("target_commitish", "branch names in {repository}"),
                   short_text("assets[].name", "release asset names in {repository}", ("author",)))


def tag_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": p.text(raw, "name"),
        "sha": p.text(p.mapping(raw, "commit"), "sha") or p.text(raw, "id"),
        "message": p.text(raw, "message").strip(),
        "tarball_url": p.text(raw, "tarball_url"),
    }


def list_tags(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_tags(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    tags = [tag_entry(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(tags, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_tags(out: dict[str, Any]) -> str:
    lines = [f"- {t['name']} -> {t['sha'][:10]}{': ' + t['message'] if t['message'] else ''}"
             for t in out["items"]]
    return "\n".join([*(lines or ["No tags."]), more_hint(out)])


def release_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": p.number(raw, "id"),
        "tag_name": p.text(raw, "tag_name"),
        "name": p.text(raw, "name"),
        "draft": p.flag(raw, "draft"),
        "prerelease": p.flag(raw, "prerelease"),
        "author": p.login(p.maybe_mapping(raw, "author")),
        "created_at": p.maybe_text(raw, "created_at"),
        "published_at": p.maybe_text(raw, "published_at"),
        "html_url": p.text(raw, "html_url"),
    }


def asset_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": p.text(raw, "name"), "size": p.number(raw, "size"),
            "download_count": p.number(raw, "download_count"),
            "browser_download_url": p.text(raw, "browser_download_url")}


def release_details(raw: Mapping[str, Any], chars: int) -> dict[str, Any]:
    assets = [asset_entry(a) for a in p.items(raw, "assets") if isinstance(a, Mapping)]
    return {**release_summary(raw), "target_commitish": p.text(raw, "target_commitish"),
            **body_fields(raw, chars), "assets": assets}


def release_line(release: Mapping[str, Any]) -> str:
    flags = [f for f in ("draft", "prerelease") if release[f]]
    marks = f" [{', '.join(flags)}]" if flags else ""
    title = release["name"] or release["tag_name"]
    return f"- {title} (tag {release['tag_name']}, id {release['id']}){marks}, published {release['published_at']}"


def list_releases(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    page = gitea.list_releases(args["owner"], args["repo"], page=args["page"], limit=args["limit"])
    releases = [release_summary(raw) for raw in page.items if isinstance(raw, Mapping)]
    return list_envelope(releases, page=args["page"], limit=args["limit"], has_more=page.has_more,
                         total=page.total, limits=call.limits)


def render_releases(out: dict[str, Any]) -> str:
    lines = [release_line(r) for r in out["items"]] or ["No releases."]
    return "\n".join([*lines, more_hint(out)])


def get_release(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    return release_details(gitea.get_release(args["owner"], args["repo"], args["release_id"]), call.limits.chars)


def render_release(release: dict[str, Any]) -> str:
    lines = [release_line(release)[2:], release["body"] or "(no release notes)"]
    if release["body_truncated"]:
        lines.append("[truncated: the notes are longer than MAX_TOOL_RESPONSE_CHARS]")
    lines += [f"Asset {a['name']} ({a['size']} bytes): {a['browser_download_url']}" for a in release["assets"]]
    return "\n".join(lines)


def get_latest_release(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Gitea's 404 here means "no published release yet": an answer, not an error (the repo itself is checked)."""
    repository = f"{args['owner']}/{args['repo']}"
    try:
        raw = gitea.get_latest_release(args["owner"], args["repo"])
    except GiteaNotFound:
        gitea.get_repository(args["owner"], args["repo"])  # raises not-found when the repository is missing
        note = "No published release yet (drafts and prereleases do not count); see list_releases."
        return {"repository": repository, "release": None, "note": note}
    return {"repository": repository, "release": release_details(raw, call.limits.chars), "note": None}


def render_latest_release(out: dict[str, Any]) -> str:
    if out["release"] is None:
        return f"{out['repository']}: {out['note']}"
    return render_release(out["release"])


def create_release(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    tag = args["tag_name"]
    try:
        raw = gitea.create_release(args["owner"], args["repo"], tag, target_commitish=args.get("target"),
                                   name=args.get("name"), body=args.get("body"), draft=args.get("draft"),
                                   prerelease=args.get("prerelease"))
    except GiteaConflict:
        raise ToolFailure(f"create_release: tag '{tag}' already has a release in {call.repository} (409); "
                          "use edit_release to change it.", "upstream_conflict") from None
    return release_summary(raw)


def edit_release(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.edit_release(args["owner"], args["repo"], args["release_id"], name=args.get("name"),
                             body=args.get("body"), draft=args.get("draft"), prerelease=args.get("prerelease"))
    return release_summary(raw)


def render_written_release(release: dict[str, Any]) -> str:
    return f"Release saved: {release_line(release)[2:]}\n{release['html_url']}"


TOOLS = (
    with_untrusted(Tool(
        name="list_tags",
        title="List tags",
        description="List the tags of a repository with the commit each points to.",
        toolset="releases",
        arguments=s.ListTagsArgs,
        output_schema=s.TAG_LIST,
        handler=list_tags,
        render=render_tags,
    ), UntrustedField("items[].message", (), "tag {name} in {repository}", markdown=False),
        short_text("items[].name", TAG_NAMES)),
    with_untrusted(Tool(
        name="list_releases",
        title="List releases",
        description=(
            "List the releases of a repository, newest first, with id, tag, name, draft/prerelease flags and "
            "publication date. Use get_release with an id for the notes."
        ),
        toolset="releases",
        arguments=s.ListReleasesArgs,
        output_schema=s.RELEASE_LIST,
        handler=list_releases,
        render=render_releases,
    ), *within("items[]", *RELEASE_TEXTS)),
    with_untrusted(Tool(
        name="get_release",
        title="Get release",
        description="Get one release by id: tag, target, flags, release notes and downloadable assets.",
        toolset="releases",
        arguments=s.GetReleaseArgs,
        output_schema=s.RELEASE,
        handler=get_release,
        render=render_release,
    ), *RELEASE_DETAILS),
    with_untrusted(Tool(
        name="get_latest_release",
        title="Get latest release",
        description=(
            "Get the newest published release (not a draft, not a prerelease) with its notes and assets. "
            "When there is none, `release` is null and a note says so."
        ),
        toolset="releases",
        arguments=s.GetLatestReleaseArgs,
        output_schema=s.LATEST_RELEASE,
        handler=get_latest_release,
        render=render_latest_release,
    ), *within("release", *RELEASE_DETAILS)),
    with_untrusted(write_tool(
        name="create_release",
        title="Create release",
        description=(
            "Create a release for tag_name (the tag is made at `target`, default branch if omitted, unless it "
            "exists) with optional name, notes (body), draft and prerelease. A tag that already has a release "
            "answers 409."
        ),
        toolset="releases",
        arguments=s.CreateReleaseArgs,
        output_schema=s.RELEASE_WRITTEN,
        handler=create_release,
        render=render_written_release,
        idempotent=True,
    ), *RELEASE_TEXTS),
    with_untrusted(write_tool(
        name="edit_release",
        title="Edit release",
        description=(
            "Change a release (by id) name, notes (replaced), draft or prerelease flag; give at least one. "
            "draft: false publishes a draft."
        ),
        toolset="releases",
        arguments=s.EditReleaseArgs,
        output_schema=s.RELEASE_WRITTEN,
        handler=edit_release,
        render=render_written_release,
        destructive=True,
        idempotent=True,
    ), *RELEASE_TEXTS),
)
