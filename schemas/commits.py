"""Arguments and outputs of the commit tools: history, diffs, comparisons and statuses."""

from __future__ import annotations

from marshmallow import fields

from schemas.common import RepoArgs, RepoPageArgs, ref_field
from schemas.shapes import (
    BOOLEAN,
    COMMIT_SUMMARY,
    FILE_CHANGE,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    STRINGS,
    array,
    envelope,
    obj,
)


def sha_field(description: str) -> fields.String:
    """A required commit SHA, branch or tag (ancestry suffixes allowed): git's ref-name rules keep '..'
    and '/' tricks out of the URL."""
    return ref_field(description, required=True, revision=True)


class ListCommitsArgs(RepoPageArgs):
    """Commits reachable from a ref, newest first."""

    ref = ref_field("Branch, tag or commit SHA to list history from; defaults to the default branch.")


class GetCommitDiffArgs(RepoArgs):
    """One commit and its changes."""

    sha = sha_field("Commit SHA (full or abbreviated), or a branch or tag name.")


class CompareRefsArgs(RepoArgs):
    """What changed between two refs."""

    base = sha_field("Base branch, tag or commit.")
    head = sha_field("Head branch, tag or commit.")


class GetCommitStatusArgs(RepoArgs):
    """The combined CI status of a commit."""

    sha = sha_field("Commit SHA, or a branch or tag name.")


COMMIT_LIST = envelope(COMMIT_SUMMARY, note=NULLABLE_STRING)

DIFF_FILES = {
    "files": array(FILE_CHANGE),
    "withheld_files": STRINGS,
    "omitted_files": INTEGER,  # changed files past MAX_TOOL_RESPONSE_ITEMS: not listed, said in `truncation`
    "truncated": BOOLEAN,
    "truncation": NULLABLE_STRING,
}

COMMIT_DIFF = obj(
    {
        "commit": COMMIT_SUMMARY,
        "full_message": STRING,
        "parents": STRINGS,
        "additions": INTEGER,
        "deletions": INTEGER,
        "files_changed": INTEGER,
        **DIFF_FILES,
    }
)

COMPARISON = obj(
    {
        "base": STRING,
        "head": STRING,
        "total_commits": INTEGER,
        "commits": array(COMMIT_SUMMARY),
        "commits_truncated": BOOLEAN,
        **DIFF_FILES,
    }
)

STATUS = obj(
    {
        "context": STRING,
        "state": STRING,
        "description": STRING,
        "target_url": STRING,
        "creator": NULLABLE_STRING,
        "updated_at": NULLABLE_STRING,
    }
)

COMBINED_STATUS = obj(
    {"ref": STRING, "sha": STRING, "state": STRING, "total_count": INTEGER, "statuses": array(STATUS)}
)
