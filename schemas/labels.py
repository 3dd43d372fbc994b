"""Arguments and outputs of the label tools."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate, validates_schema

from schemas.common import RepoPageArgs
from schemas.shapes import BOOLEAN, INTEGER, STRING, envelope, obj
from schemas.write_fields import Color, WriteArgs, flag, require_one_of, written

DESCRIPTION_MAX = 200


class ListLabelsArgs(RepoPageArgs):
    """Labels defined in a repository."""


def label_name(description: str, required: bool = True) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=1, max=50),
                         metadata={"description": description})


def label_description() -> fields.String:
    return fields.String(validate=validate.Length(max=DESCRIPTION_MAX),
                         metadata={"description": "What the label means (up to 200 characters)."})


class CreateLabelArgs(WriteArgs):
    name = label_name("Label name; 'scope/name' makes it a scoped label.")
    color = Color(required=True, metadata={"description": "Hex colour: '#rrggbb', 'rrggbb' or '#rgb'."})
    description = label_description()
    exclusive = flag("Scoped label exclusive within its scope (an issue carries one 'scope/...' label at most).")


class UpdateLabelArgs(WriteArgs):
    name = label_name("Current name of the repository label (case-insensitive).")
    new_name = label_name("New name.", required=False)
    color = Color(metadata={"description": "New hex colour: '#rrggbb', 'rrggbb' or '#rgb'."})
    description = label_description()

    @validates_schema
    def _changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        require_one_of(data, ("new_name", "color", "description"))


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
LABEL_WRITTEN = written(LABEL)
