"""Arguments and outputs of the pull request tools."""

from __future__ import annotations

from schemas.common import RepoArgs, RepoPageArgs, number_field, ref_field
from schemas.issues import COMMENT, ISSUE_SUMMARY, state_field
from schemas.shapes import (
    BOOLEAN,
    COMMIT_SUMMARY,
    FILE_CHANGE,
    NULLABLE_BOOLEAN,
    NULLABLE_INTEGER,
    NULLABLE_STRING,
    STRING,
    STRINGS,
    envelope,
    obj,
)
from schemas.write_fields import WriteArgs, text_field, title_field, written


class ListPullRequestsArgs(RepoPageArgs):
    state = state_field("pull requests")


class GetPullRequestArgs(RepoArgs):
    pull_number = number_field("Pull request number (#N).")


class ListPullRequestFilesArgs(RepoPageArgs):
    pull_number = number_field("Pull request number (#N).")


class ListPullRequestCommitsArgs(RepoPageArgs):
    pull_number = number_field("Pull request number (#N).")


PULL_SUMMARY = obj(
    {
        **{k: v for k, v in ISSUE_SUMMARY["properties"].items() if k not in ("is_pull_request", "comments")},
        "head": STRING,
        "base": STRING,
        "head_repository": NULLABLE_STRING,
        "draft": BOOLEAN,
        "merged": BOOLEAN,
        "merged_at": NULLABLE_STRING,
        "requested_reviewers": STRINGS,
    }
)

PULL = obj(
    {
        **PULL_SUMMARY["properties"],
        "body": STRING,
        "body_truncated": BOOLEAN,
        "head_sha": STRING,
        "base_sha": STRING,
        "mergeable": NULLABLE_BOOLEAN,
        "merged_by": NULLABLE_STRING,
        "merge_commit_sha": NULLABLE_STRING,
        "comments": NULLABLE_INTEGER,
        "additions": NULLABLE_INTEGER,
        "deletions": NULLABLE_INTEGER,
        "changed_files": NULLABLE_INTEGER,
        "due_date": NULLABLE_STRING,
    }
)

PULL_LIST = envelope(PULL_SUMMARY)
PULL_FILES = envelope(FILE_CHANGE, withheld_files=STRINGS, note=NULLABLE_STRING)
PULL_COMMITS = envelope(COMMIT_SUMMARY)


class CreatePullRequestArgs(WriteArgs):
    title = title_field("Pull request title.")
    head = ref_field("Branch with the changes ('owner:branch' for a fork).", required=True, fork_prefix=True)
    base = ref_field("Branch to merge into, e.g. 'main'.", required=True)
    body = text_field("Description (Markdown).")


class CreatePrCommentArgs(WriteArgs):
    pull_number = number_field("Pull request number (#N).")
    body = text_field("Comment text (Markdown).", required=True)


PULL_WRITTEN = written(PULL_SUMMARY)
COMMENT_WRITTEN = written(COMMENT)
