"""Arguments and outputs of the label tools."""

from __future__ import annotations

from schemas.common import RepoPageArgs
from schemas.shapes import BOOLEAN, INTEGER, STRING, envelope, obj


class ListLabelsArgs(RepoPageArgs):
    """Labels defined in a repository."""


LABEL = obj(
    {
        "id": INTEGER,
        "name": STRING,
        "color": STRING,
        "description": STRING,
        "exclusive": BOOLEAN,
        "is_archived": BOOLEAN,
    }
)

LABEL_LIST = envelope(LABEL)
