"""Argument fields and output shapes every write tool shares: dry_run, label names, milestones, colours."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate

from schemas.common import RepoArgs
from schemas.shapes import BOOLEAN, STRING, nullable, obj

TITLE_MAX = 255
TEXT_MAX = 65535
# Gitea's NormalizeColor accepts these; we send the six-digit form with '#'.
SHORT_COLOR = re.compile(r"^#[0-9a-fA-F]{3}$")
LONG_COLOR = re.compile(r"^#?[0-9a-fA-F]{6}$")


class StrictBoolean(fields.Boolean):
    """true or false only: "yes", 1 and "false" are refused, since a guessed flag could publish a draft."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class Color(fields.String):
    """A label colour: '#rrggbb', 'rrggbb' or '#rgb', loaded as lower-case '#rrggbb'."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return normalize_color(text)


def normalize_color(text: str) -> str:
    """'#ABC' -> '#aabbcc', 'A1B2C3' -> '#a1b2c3'; anything else is a validation error."""
    if SHORT_COLOR.match(text):
        return "#" + "".join(digit * 2 for digit in text[1:]).lower()
    if LONG_COLOR.match(text):
        return "#" + text.lstrip("#").lower()
    raise ValidationError("Use a hex colour: '#rrggbb', 'rrggbb' or '#rgb', e.g. '#00aabb'.")


class MilestoneRef(fields.Field):
    """A milestone by numeric id or by title; `minimum` 0 lets update_issue clear it."""

    def __init__(self, minimum: int, description: str) -> None:
        choices = [{"type": "integer", "minimum": minimum}, {"type": "string", "minLength": 1, "maxLength": TITLE_MAX}]
        super().__init__(metadata={"description": description, "anyOf": choices})
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool) and value >= self.minimum:
            return value
        if isinstance(value, str) and 0 < len(value.strip()) <= TITLE_MAX:
            return value.strip()
        raise ValidationError(f"Give a milestone id (integer >= {self.minimum}) or a milestone title.")


def title_field(description: str, required: bool = True) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=1, max=TITLE_MAX),
                         metadata={"description": description})


def text_field(description: str, required: bool = False) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=1 if required else 0, max=TEXT_MAX),
                         metadata={"description": description})


def label_names(description: str, required: bool = True) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), required=required,
        validate=validate.Length(min=1, max=20), metadata={"description": description},
    )


def logins(description: str, required: bool = True) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,40}$", error="Not a Gitea user name.")),
        required=required, validate=validate.Length(min=1, max=10), metadata={"description": description},
    )


def flag(description: str) -> StrictBoolean:
    return StrictBoolean(metadata={"description": description})


def require_one_of(data: Mapping[str, Any], names: Iterable[str]) -> None:
    """Refuse an update that would change nothing: at least one of `names` must be given."""
    listed = list(names)
    if not any(data.get(name) is not None for name in listed):
        raise ValidationError(f"Give at least one of: {', '.join(listed)}.", field_name="arguments")


class WriteArgs(RepoArgs):
    """A write on one repository; dry_run shows the request instead of sending it."""

    dry_run = StrictBoolean(
        load_default=False,
        metadata={"description": "true: show the Gitea request and the policy decision; write nothing."},
    )


DRY_RUN = obj(
    {
        "dry_run": {"const": True},
        "request": obj({"method": STRING, "path": STRING, "body": nullable({"type": "object"})}),
        "policy": obj({"allowed": BOOLEAN, "rule": STRING, "reason": STRING}),
        "note": STRING,
    }
)


def written(result: dict[str, Any]) -> dict[str, Any]:
    """A write tool's outputSchema: what was created or changed, or the dry-run plan."""
    return {"type": "object", "anyOf": [result, DRY_RUN]}
