"""Arguments and outputs of the release and tag tools."""

from __future__ import annotations

from schemas.common import RepoArgs, RepoPageArgs, number_field
from schemas.shapes import BOOLEAN, INTEGER, NULLABLE_STRING, STRING, array, envelope, nullable, obj


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
