"""Every tool survives the fields Gitea sends as null (FACTS §5): real emulator payloads, those fields nulled."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.gitea.pagination import Page
from app.tools import all_tools
from tests.emulator.process import EmulatorProcess
from tests.tools.conftest import RuntimeFactory, assert_ok, principal_for, run_tool

# FACTS §5, per object; applied to every object Gitea returns, and to head/base of pull requests.
NULLABLE = (
    "milestone", "assignee", "assignees", "pull_request", "closed_at", "due_date", "merged_at", "merge_commit_sha",
    "merged_by", "additions", "deletions", "changed_files", "requested_reviewers", "requested_reviewers_teams",
    "parent", "repo_transfer", "internal_tracker", "external_tracker", "external_wiki", "permissions", "author",
    "committer", "stats", "files", "verification", "due_on", "content", "encoding", "target", "submodule_git_url",
    "download_url", "lfs_oid", "lfs_size", "statuses", "repository", "repo", "last_commit_sha", "team", "resolver",
    "last_commit",
)
NULLABLE += ("actor", "trigger_actor", "previous_attempt_url", "head_repository", "steps")  # Actions (pointers)
CALLS = {
    "list_repositories": {}, "get_repository_info": {"owner": "acme", "repo": "service-a"},
    "get_repo_languages": {"owner": "acme", "repo": "service-a"},
    "list_repo_topics": {"owner": "acme", "repo": "service-a"},
    "get_file_contents": {"owner": "acme", "repo": "service-a", "filepath": "src"},
    "get_file_tree": {"owner": "acme", "repo": "service-a"},
    "search_code": {"owner": "acme", "repo": "service-a", "query": "ORDERS"},
    "list_commits": {"owner": "acme", "repo": "service-a"},
    "get_commit_diff": {"owner": "acme", "repo": "service-a", "sha": "main"},
    "compare_refs": {"owner": "acme", "repo": "service-a", "base": "main", "head": "feature/metrics"},
    "get_commit_status": {"owner": "acme", "repo": "service-a", "sha": "develop"},
    "list_issues": {"owner": "acme", "repo": "service-a", "state": "all"},
    "get_issue": {"owner": "acme", "repo": "service-a", "issue_number": 4},
    "list_issue_comments": {"owner": "acme", "repo": "service-a", "issue_number": 1},
    "list_pull_requests": {"owner": "acme", "repo": "service-a", "state": "all"},
    "get_pull_request": {"owner": "acme", "repo": "service-a", "pull_number": 7},
    "list_pull_request_files": {"owner": "acme", "repo": "service-a", "pull_number": 6},
    "list_pull_request_commits": {"owner": "acme", "repo": "service-a", "pull_number": 6},
    "list_labels": {"owner": "acme", "repo": "service-a"}, "list_tags": {"owner": "acme", "repo": "service-a"},
    "list_releases": {"owner": "acme", "repo": "service-a"},
    "get_release": {"owner": "acme", "repo": "service-a", "release_id": 1},
    "get_latest_release": {"owner": "acme", "repo": "service-a"},
    "list_branches": {"owner": "acme", "repo": "service-a"},
    "get_branch": {"owner": "acme", "repo": "service-a", "branch": "main"},
    "list_organizations": {}, "list_org_repositories": {"org": "acme"},
    "list_milestones": {"owner": "acme", "repo": "service-a", "state": "all"},
    "list_pull_request_reviews": {"owner": "acme", "repo": "service-a", "pull_number": 6},
    "get_pull_request_review": {"owner": "acme", "repo": "service-a", "pull_number": 6, "review_id": 1},
    "get_pull_request_diff": {"owner": "acme", "repo": "service-a", "pull_number": 6},
    "list_wiki_pages": {"owner": "acme", "repo": "service-a"},
    "get_wiki_page": {"owner": "acme", "repo": "service-a", "title": "Home"},
    "list_wiki_page_revisions": {"owner": "acme", "repo": "service-a", "title": "Home"},
}
CALLS |= {
    "list_workflow_runs": {"owner": "acme", "repo": "service-a"},
    "get_workflow_run": {"owner": "acme", "repo": "service-a", "run_id": 2},
    "get_job_log": {"owner": "acme", "repo": "service-a", "job_id": 4},
    "find_failing_step": {"owner": "acme", "repo": "service-a", "run_id": 2},
}


def nulled(value: Any) -> Any:
    """The payload with every nullable field null, the way Gitea sends it for unset values."""
    if isinstance(value, list):
        return [nulled(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: None if key in NULLABLE else item for key, item in value.items()}
    for side in ("head", "base"):
        ref = out.get(side)
        if isinstance(ref, dict):
            out[side] = {**ref, "repo": None, "sha": ""}
    if "total_count" in out and "statuses" in out:
        out["state"] = ""
    return out


class NullingGitea:
    """The real bound client; answers pass through `nulled` on their way to the handler."""

    def __init__(self, bound: Any) -> None:
        self._bound = bound

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._bound, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = method(*args, **kwargs)
            return replace(answer, items=nulled(answer.items)) if isinstance(answer, Page) else nulled(answer)

        return call


class NullingClient:
    def __init__(self, client: Any) -> None:
        self._client = client

    def bind(self, credentials: Any) -> NullingGitea:
        return NullingGitea(self._client.bind(credentials))


def test_every_tool_has_a_null_field_case() -> None:
    assert set(CALLS) == {tool.name for tool in all_tools() if not tool.is_write}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_tool_output_stays_valid_when_nullable_fields_are_null(
    name: str, make_runtime: RuntimeFactory, tools_emulator: EmulatorProcess
) -> None:
    runtime = make_runtime(MCP_TOOLSETS="all")  # opt-in toolsets too
    runtime.gitea = NullingClient(runtime.gitea)
    result = run_tool(runtime, principal_for(tools_emulator, "alice"), name, CALLS[name])
    assert_ok(result, name)
    assert result.text and "None" not in result.text  # a null never reaches the model as Python text
