"""Arguments and outputs of the issue tools."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate, validates_schema

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
from schemas.write_fields import (
    MilestoneRef,
    WriteArgs,
    label_names,
    logins,
    require_one_of,
    text_field,
    title_field,
    written,
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


# Write tools (WRITE_MODE=true, write:repository)


class CreateIssueArgs(WriteArgs):
    title = title_field("Issue title.")
    body = text_field("Issue description (Markdown).")
    labels = label_names("Label names, matched case-insensitively against repository and organization labels.",
                         required=False)
    assignees = logins("User names to assign.", required=False)
    milestone = MilestoneRef(1, "Milestone id, or its title (case-insensitive, open or closed).")


class UpdateIssueArgs(WriteArgs):
    issue_number = number_field("Issue number (#N).")
    title = title_field("New title.", required=False)
    body = text_field("New description (replaces the old one).")
    state = fields.String(validate=validate.OneOf(("open", "closed")), metadata={"description": "open or closed."})
    milestone = MilestoneRef(0, "Milestone id or title; 0 removes the issue's milestone.")

    @validates_schema
    def _changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        require_one_of(data, ("title", "body", "state", "milestone"))


class CreateIssueCommentArgs(WriteArgs):
    issue_number = number_field("Issue (or pull request) number.")
    body = text_field("Comment text (Markdown).", required=True)


class EditIssueCommentArgs(WriteArgs):
    comment_id = number_field("Comment id (the `id` of list_issue_comments).")
    body = text_field("New comment text (replaces the old one).", required=True)


class AddLabelsArgs(WriteArgs):
    issue_number = number_field("Issue or pull request number.")
    labels = label_names("Label names to add (case-insensitive; repository and organization labels).")


class RemoveLabelsArgs(WriteArgs):
    issue_number = number_field("Issue or pull request number.")
    labels = label_names("Label names to take off (case-insensitive).")


class AssignIssueArgs(WriteArgs):
    issue_number = number_field("Issue or pull request number.")
    assignees = logins("User names to add as assignees (existing assignees stay).")


ISSUE_WRITTEN = written(obj({**ISSUE_SUMMARY["properties"], "ignored": STRINGS}))
ISSUE_WRITTEN_PLAIN = written(ISSUE_SUMMARY)
COMMENT_WRITTEN = written(COMMENT)
LABELS_ADDED = written(obj({"issue_number": INTEGER, "html_url": STRING, "labels": STRINGS, "added": STRINGS}))
LABELS_REMOVED = written(obj({"issue_number": INTEGER, "html_url": STRING, "labels": STRINGS, "removed": STRINGS,
                              "not_present": STRINGS}))
