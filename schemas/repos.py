"""Arguments and outputs of the repository tools."""

from __future__ import annotations

from schemas.common import PageArgs, RepoArgs
from schemas.shapes import (
    BOOLEAN,
    INTEGER,
    NULLABLE_STRING,
    NUMBER,
    STRING,
    STRINGS,
    array,
    envelope,
    obj,
)


class ListRepositoriesArgs(PageArgs):
    """Repositories the caller can see, newest activity first."""


class GetRepositoryInfoArgs(RepoArgs):
    """One repository."""


class GetRepoLanguagesArgs(RepoArgs):
    """Language statistics of one repository."""


class ListRepoTopicsArgs(RepoArgs):
    """Topics of one repository."""


REPOSITORY_SUMMARY = obj(
    {
        "full_name": STRING,
        "owner": STRING,
        "name": STRING,
        "description": STRING,
        "private": BOOLEAN,
        "fork": BOOLEAN,
        "archived": BOOLEAN,
        "empty": BOOLEAN,
        "default_branch": STRING,
        "html_url": STRING,
        "stars_count": INTEGER,
        "open_issues_count": INTEGER,
        "updated_at": NULLABLE_STRING,
    }
)

REPOSITORY = obj(
    {
        **REPOSITORY_SUMMARY["properties"],
        "website": STRING,
        "language": STRING,
        "size_kb": INTEGER,
        "forks_count": INTEGER,
        "open_pr_counter": INTEGER,
        "release_counter": INTEGER,
        "has_issues": BOOLEAN,
        "has_pull_requests": BOOLEAN,
        "has_wiki": BOOLEAN,
        "mirror": BOOLEAN,
        "template": BOOLEAN,
        "parent": NULLABLE_STRING,
        "clone_url": STRING,
        "ssh_url": STRING,
        "created_at": NULLABLE_STRING,
        "topics": STRINGS,
        "permissions": obj({"admin": BOOLEAN, "push": BOOLEAN, "pull": BOOLEAN}),
    }
)

REPOSITORY_LIST = envelope(REPOSITORY_SUMMARY)

LANGUAGES = obj(
    {
        "repository": STRING,
        "languages": array(obj({"language": STRING, "bytes": INTEGER, "percent": NUMBER})),
        "total_bytes": INTEGER,
    }
)

TOPICS = obj({"repository": STRING, "topics": STRINGS})
