"""Arguments and outputs of the branch tools."""

from __future__ import annotations

from schemas.common import RepoArgs, RepoPageArgs, ref_field
from schemas.shapes import BOOLEAN, COMMIT_SUMMARY, STRING, envelope, obj
from schemas.write_fields import WriteArgs, written


class ListBranchesArgs(RepoPageArgs):
    """Branches of a repository."""


class GetBranchArgs(RepoArgs):
    branch = ref_field("Branch name, e.g. 'main' or 'feature/metrics'.", required=True)


BRANCH = obj({"name": STRING, "protected": BOOLEAN, "commit": COMMIT_SUMMARY})

BRANCH_LIST = envelope(BRANCH)


class CreateBranchArgs(WriteArgs):
    new_branch_name = ref_field("Name of the new branch, e.g. 'fix/login'.", required=True, new=True)
    old_branch_name = ref_field("Branch, tag or commit SHA to start from; the default branch if omitted.")


BRANCH_WRITTEN = written(BRANCH)
