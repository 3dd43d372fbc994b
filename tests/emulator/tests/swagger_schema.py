"""Gitea's swagger 2.0 definitions as JSON Schema, to validate what the emulator answers."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SWAGGER = Path(__file__).resolve().parents[2] / "gitea" / "swagger" / "swagger.v1.json"

# Fields Gitea sends as JSON null (Go pointers / nil slices, FACTS §5). Swagger cannot say "nullable",
# so each one is allowed here by name; everything else must match its declared type.
NULLABLE = {
    "Issue": {"milestone", "assignee", "assignees", "pull_request", "closed_at", "due_date"},
    "PullRequest": {"milestone", "assignee", "assignees", "closed_at", "due_date", "merged_at", "merge_commit_sha",
                    "merged_by", "additions", "deletions", "changed_files", "requested_reviewers",
                    "requested_reviewers_teams"},
    "PullRequestMeta": {"merged_at"},
    "Repository": {"parent", "repo_transfer"},
    "Commit": {"author", "committer"},
    "PayloadCommitVerification": {"signer"},
    "Milestone": {"due_on", "closed_at"},
    "ContentsResponse": {"content", "encoding", "target", "submodule_git_url", "download_url", "lfs_oid",
                         "lfs_size", "last_commit_sha", "last_commit_message", "last_committer_date",
                         "last_author_date"},
    "GitBlobResponse": {"lfs_oid", "lfs_size"},
    "GitTreeResponse": {"tree"},
    "CombinedStatus": {"statuses", "repository"},
    # convert.ToPullReview / ToPullReviewCommentList: ToTeam(nil) and ToUser(nil) are nil (no team asked,
    # comment not resolved).
    "PullReview": {"team"},
    "PullReviewComment": {"resolver"},
}
# A first attempt's previous_attempt_url is a *string without omitempty: null on purpose (services/convert).
NULLABLE["ActionWorkflowRun"] = {"previous_attempt_url"}
# Enum fields that Gitea also sends empty: the all-zero CombinedStatus of a commit without statuses.
EMPTY_ENUM = {"CombinedStatus": {"state"}}
# Operations whose swagger declares one object but Gitea answers an array of them in one case.
OBJECT_OR_ARRAY = {"/repos/{owner}/{repo}/contents/{filepath}"}  # a directory lists its entries (FACTS §3)


@cache
def swagger() -> dict[str, Any]:
    """Return the parsed swagger document."""
    return dict(json.loads(SWAGGER.read_text(encoding="utf-8")))


@cache
def definitions() -> dict[str, Any]:
    """Return the definitions, closed to unknown fields and with the NULLABLE fields opened to null."""
    closed = copy.deepcopy(swagger()["definitions"])
    for name, schema in closed.items():
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        for field in NULLABLE.get(name, ()):
            schema["properties"][field] = {"anyOf": [{"type": "null"}, schema["properties"][field]]}
        for field in EMPTY_ENUM.get(name, ()):
            schema["properties"][field] = {"anyOf": [{"enum": [""]}, schema["properties"][field]]}
    return closed


def response_schema(method: str, template: str, status: int) -> dict[str, Any] | None:
    """Return the JSON Schema of an operation's response, or None when the swagger gives no body."""
    responses = swagger()["paths"][template][method.lower()]["responses"]
    declared = responses.get(str(status))
    if declared is None:
        raise AssertionError(f"{method} {template} does not declare status {status}")
    if "$ref" in declared:
        declared = swagger()["responses"][declared["$ref"].rsplit("/", 1)[-1]]
    schema = declared.get("schema")
    return {**schema, "definitions": definitions()} if schema else None


def validate_response(method: str, template: str, status: int, body: Any) -> None:
    """Fail when a JSON body does not match the swagger response schema."""
    schema = response_schema(method, template, status)
    if schema is None:
        return
    if template in OBJECT_OR_ARRAY and isinstance(body, list):
        schema = {"type": "array", "items": schema, "definitions": schema["definitions"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft4Validator)
