"""Arguments and outputs of the release and tag tools."""

from __future__ import annotations

from typing import Any

from marshmallow import validates_schema

from schemas.common import RepoArgs, RepoPageArgs, number_field, ref_field
from schemas.shapes import BOOLEAN, INTEGER, NULLABLE_STRING, STRING, array, envelope, nullable, obj
from schemas.write_fields import WriteArgs, flag, require_one_of, text_field, title_field, written


class ListTagsArgs(RepoPageArgs):
    """Tags of a repository."""


class ListReleasesArgs(RepoPageArgs):
    """Releases of a repository, newest first."""


class GetReleaseArgs(RepoArgs):
    release_id = number_field("Release id (the `id` field of list_releases).")


class GetLatestReleaseArgs(RepoArgs):
    """The newest published release."""


TAG = obj({"name": STRING, "sha": STRING, "message": STRING, "tarball_url": STRING})

ASSET = obj({"name": STRING, "size": INTEGER, "download_count": INTEGER, "browser_download_url": STRING})

RELEASE_SUMMARY = obj(
    {
        "id": INTEGER,
        "tag_name": STRING,
        "name": STRING,
        "draft": BOOLEAN,
        "prerelease": BOOLEAN,
        "author": NULLABLE_STRING,
        "created_at": NULLABLE_STRING,
        "published_at": NULLABLE_STRING,
        "html_url": STRING,
    }
)

RELEASE = obj(
    {
        **RELEASE_SUMMARY["properties"],
        "target_commitish": STRING,
        "body": STRING,
        "body_truncated": BOOLEAN,
        "assets": array(ASSET),
    }
)

TAG_LIST = envelope(TAG)
RELEASE_LIST = envelope(RELEASE_SUMMARY)
LATEST_RELEASE = obj({"repository": STRING, "release": nullable(RELEASE), "note": NULLABLE_STRING})


class CreateReleaseArgs(WriteArgs):
    tag_name = ref_field("Tag of the release; created at `target` if it does not exist "
                         "(drafts create no tag until published).", required=True, new=True)
    name = title_field("Release title (defaults to the tag).", required=False)
    body = text_field("Release notes (Markdown).")
    draft = flag("true: a draft, visible only to writers.")
    prerelease = flag("true: marked as a prerelease.")
    target = ref_field("Branch or commit for a new tag; default branch if omitted.")


class EditReleaseArgs(WriteArgs):
    release_id = number_field("Release id (the `id` field of list_releases).")
    name = title_field("New title.", required=False)
    body = text_field("New release notes (replace the old ones).")
    draft = flag("true: make it a draft; false: publish it.")
    prerelease = flag("Mark or unmark as a prerelease.")

    @validates_schema
    def _changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        require_one_of(data, ("name", "body", "draft", "prerelease"))


RELEASE_WRITTEN = written(RELEASE_SUMMARY)
