"""Arguments and outputs of the milestone tools."""

from __future__ import annotations

from schemas.common import RepoPageArgs
from schemas.issues import state_field
from schemas.shapes import INTEGER, NULLABLE_STRING, STRING, envelope, obj


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
