"""Arguments and outputs of the branch tools."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import RepoArgs, RepoPageArgs
from schemas.shapes import BOOLEAN, COMMIT_SUMMARY, STRING, envelope, obj


class ListBranchesArgs(RepoPageArgs):
    """Branches of a repository."""


class GetBranchArgs(RepoArgs):
    branch = fields.String(
        required=True, validate=validate.Length(min=1, max=255),
        metadata={"description": "Branch name, e.g. 'main' or 'feature/metrics'."},
    )


BRANCH = obj({"name": STRING, "protected": BOOLEAN, "commit": COMMIT_SUMMARY})

BRANCH_LIST = envelope(BRANCH)
