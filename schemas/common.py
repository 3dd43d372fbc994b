"""Argument fields every tool shares: repository names, refs and paging."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

# Gitea allows letters, digits, '-', '_' and '.' in user, org and repository names.
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
RESERVED_NAMES = (".", "..")
MAX_LIMIT = 50


def _not_reserved(value: str) -> None:
    if value in RESERVED_NAMES:
        raise ValidationError("'.' and '..' are not repository or owner names.")


def gitea_name(description: str) -> fields.String:
    """A user, organization or repository name as Gitea allows it."""
    return fields.String(
        required=True,
        validate=[validate.Regexp(NAME_PATTERN, error="Use letters, digits, '-', '_' or '.' only."), _not_reserved],
        metadata={"description": description},
    )


def ref_field(description: str = "Branch, tag or commit SHA; defaults to the repository's default branch.") -> Any:
    return fields.String(validate=validate.Length(min=1, max=255), metadata={"description": description})


def number_field(description: str) -> fields.Integer:
    return fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1), metadata={"description": description}
    )


class PageArgs(Schema):
    """Paging arguments: 1-based page and a page size of at most 50."""

    page = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=1), metadata={"description": "Page number, from 1."}
    )
    limit = fields.Integer(
        load_default=20,
        strict=True,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}."},
    )


class RepoArgs(Schema):
    """A repository named by owner and name."""

    owner = gitea_name("Repository owner (user or organization), e.g. 'acme'.")
    repo = gitea_name("Repository name, e.g. 'service-a'.")


class RepoPageArgs(RepoArgs, PageArgs):
    """A repository plus paging."""
