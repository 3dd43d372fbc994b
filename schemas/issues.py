"""Arguments and outputs of the issue tools."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import RepoArgs, RepoPageArgs, number_field
from schemas.shapes import (
    BOOLEAN,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    STRINGS,
    envelope,
    obj,
)

STATES = ("open", "closed", "all")


def state_field(what: str) -> fields.String:
    return fields.String(
        load_default="open",
        validate=validate.OneOf(STATES),
        metadata={"description": f"Which {what}: open, closed or all."},
    )


class ListIssuesArgs(RepoPageArgs):
    """Issues of a repository (pull requests excluded)."""

    state = state_field("issues")
    labels = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=20),
        metadata={"description": "Only issues carrying all of these label names, e.g. ['bug']."},
    )


class GetIssueArgs(RepoArgs):
    issue_number = number_field("Issue number as shown in Gitea (#N).")


class ListIssueCommentsArgs(RepoPageArgs):
    issue_number = number_field("Issue or pull request number.")


ISSUE_SUMMARY = obj(
    {
        "number": INTEGER,
        "title": STRING,
        "state": STRING,
        "author": NULLABLE_STRING,
        "labels": STRINGS,
        "milestone": NULLABLE_STRING,
        "assignees": STRINGS,
        "comments": INTEGER,
        "is_pull_request": BOOLEAN,
        "created_at": NULLABLE_STRING,
        "updated_at": NULLABLE_STRING,
        "closed_at": NULLABLE_STRING,
        "html_url": STRING,
    }
)

ISSUE = obj(
    {
        **ISSUE_SUMMARY["properties"],
        "body": STRING,
        "body_truncated": BOOLEAN,
        "due_date": NULLABLE_STRING,
        "ref": STRING,
    }
)

ISSUE_LIST = envelope(ISSUE_SUMMARY)

COMMENT = obj(
    {
        "id": INTEGER,
        "author": NULLABLE_STRING,
        "body": STRING,
        "body_truncated": BOOLEAN,
        "created_at": NULLABLE_STRING,
        "updated_at": NULLABLE_STRING,
        "html_url": STRING,
    }
)

COMMENT_LIST = envelope(COMMENT)
