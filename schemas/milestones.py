"""Arguments and outputs of the milestone tools."""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields

from schemas.common import RepoPageArgs
from schemas.issues import state_field
from schemas.shapes import INTEGER, NULLABLE_STRING, STRING, envelope, obj
from schemas.write_fields import WriteArgs, text_field, title_field, written


class ListMilestonesArgs(RepoPageArgs):
    state = state_field("milestones")


MILESTONE = obj(
    {
        "id": INTEGER,
        "title": STRING,
        "description": STRING,
        "state": STRING,
        "open_issues": INTEGER,
        "closed_issues": INTEGER,
        "due_on": NULLABLE_STRING,
        "closed_at": NULLABLE_STRING,
    }
)

MILESTONE_LIST = envelope(MILESTONE)


def rfc3339(value: str) -> None:
    """Gitea binds due_on as an RFC 3339 time: a date alone or a time without offset is refused there."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
        raise ValidationError("Use an RFC 3339 date-time with offset, e.g. '2026-09-30T00:00:00Z'.")


class CreateMilestoneArgs(WriteArgs):
    title = title_field("Milestone title, e.g. 'v1.2'.")
    description = text_field("What the milestone covers.")
    due_on = fields.String(
        validate=rfc3339, metadata={"description": "Due date as RFC 3339 date-time, e.g. '2026-09-30T00:00:00Z'."},
    )


MILESTONE_WRITTEN = written(MILESTONE)
