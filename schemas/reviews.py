"""Arguments and outputs of the pull request review tools."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import RepoArgs, RepoPageArgs, number_field
from schemas.shapes import (
    BOOLEAN,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    STRINGS,
    array,
    envelope,
    obj,
)
from schemas.write_fields import TEXT_MAX, WriteArgs, text_field, written

EVENTS = ("COMMENT", "APPROVE", "REQUEST_CHANGES")
SIDES = ("RIGHT", "LEFT")
MAX_INLINE_COMMENTS = 50
MAX_PATH = 4096
MAX_PATH_FILTERS = 20


def pull_number() -> fields.Integer:
    return number_field("Pull request number (#N).")


class ListPullRequestReviewsArgs(RepoPageArgs):
    pull_number = pull_number()


class GetPullRequestReviewArgs(RepoArgs):
    pull_number = pull_number()
    review_id = number_field("Review id (from list_pull_request_reviews).")


class GetPullRequestDiffArgs(RepoArgs):
    pull_number = pull_number()
    paths = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_PATH)),
        validate=validate.Length(min=1, max=MAX_PATH_FILTERS),
        metadata={"description": "Only these files, or files below these directories ('src/')."},
    )


class InlineCommentArgs(Schema):
    """One inline comment: a line of one file, on the new (RIGHT) or old (LEFT) side of the diff."""

    path = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PATH),
                         metadata={"description": "File path as the diff names it (new name for renames)."})
    line = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                          metadata={"description": "Line number in that side's version of the file."})
    side = fields.String(load_default="RIGHT", validate=validate.OneOf(SIDES),
                         metadata={"description": "RIGHT: new version (added/context lines); LEFT: old (removed)."})
    body = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX),
                         metadata={"description": "Comment text (Markdown)."})


class CreatePullRequestReviewArgs(WriteArgs):
    pull_number = pull_number()
    event = fields.String(required=True, validate=validate.OneOf(EVENTS),
                          metadata={"description": "COMMENT, APPROVE or REQUEST_CHANGES (needs a body)."})
    body = text_field("Review summary (Markdown).")
    comments = fields.List(fields.Nested(InlineCommentArgs), validate=validate.Length(max=MAX_INLINE_COMMENTS),
                           metadata={"description": "Inline comments; each must be on a line of the diff."})

    @validates_schema
    def check_content(self, data: dict[str, Any], **_: Any) -> None:
        """What Gitea would refuse with 422, said before anything is sent."""
        has_body = bool((data.get("body") or "").strip())
        if data.get("event") == "REQUEST_CHANGES" and not has_body:
            raise ValidationError("REQUEST_CHANGES needs a body saying what to change.", field_name="body")
        if data.get("event") == "COMMENT" and not has_body and not data.get("comments"):
            raise ValidationError("A COMMENT review needs a body or at least one inline comment.",
                                  field_name="body")


REVIEW = obj(
    {
        "id": INTEGER,
        "reviewer": NULLABLE_STRING,
        "state": STRING,
        "body": STRING,
        "commit_id": STRING,
        "comments_count": INTEGER,
        "official": BOOLEAN,
        "stale": BOOLEAN,
        "dismissed": BOOLEAN,
        "submitted_at": NULLABLE_STRING,
        "html_url": STRING,
    }
)

INLINE_COMMENT = obj(
    {
        "id": INTEGER,
        "path": STRING,
        "line": INTEGER,
        "side": STRING,
        "author": NULLABLE_STRING,
        "body": STRING,
        "diff_hunk": STRING,
        "created_at": NULLABLE_STRING,
    }
)

REVIEW_LIST = envelope(REVIEW)
REVIEW_WITH_COMMENTS = obj({**REVIEW["properties"], "comments": array(INLINE_COMMENT), "comments_truncated": BOOLEAN})

DIFF_FILE = obj(
    {
        "path": STRING,
        "previous_path": NULLABLE_STRING,
        "status": STRING,
        "additions": INTEGER,
        "deletions": INTEGER,
        "patch_truncated": BOOLEAN,
    }
)

PULL_DIFF = obj(
    {
        "pull_number": INTEGER,
        "diff": STRING,
        "files": array(DIFF_FILE),
        "withheld_files": STRINGS,
        "unmatched_paths": STRINGS,
        "truncated": BOOLEAN,
        "truncation": NULLABLE_STRING,
    }
)

REVIEW_WRITTEN = written(REVIEW)
