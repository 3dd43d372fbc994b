"""Arguments and outputs of the branch tools."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import RepoArgs, RepoPageArgs
from schemas.shapes import BOOLEAN, COMMIT_SUMMARY, STRING, envelope, obj
from schemas.write_fields import WriteArgs, written


class ListBranchesArgs(RepoPageArgs):
    """Branches of a repository."""


class GetBranchArgs(RepoArgs):
    branch = fields.String(
        required=True, validate=validate.Length(min=1, max=255),
        metadata={"description": "Branch name, e.g. 'main' or 'feature/metrics'."},
    )


BRANCH = obj({"name": STRING, "protected": BOOLEAN, "commit": COMMIT_SUMMARY})

BRANCH_LIST = envelope(BRANCH)


class CreateBranchArgs(WriteArgs):
    new_branch_name = fields.String(
        required=True, validate=validate.Length(min=1, max=255),
        metadata={"description": "Name of the new branch, e.g. 'fix/login'."},
    )
    old_branch_name = fields.String(
        validate=validate.Length(min=1, max=255),
        metadata={"description": "Branch, tag or commit SHA to start from; the default branch if omitted."},
    )


BRANCH_WRITTEN = written(BRANCH)
