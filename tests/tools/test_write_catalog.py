"""The write half of the catalog: exactly the write tools, their hints, and no way to delete, merge or write content."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import jsonschema
import pytest

from app.auth.principal import WRITE_SCOPE
from app.gitea.bound import BoundGiteaClient
from app.tools import all_tools
from app.tools.registry import Tool

TOOLS_DIR = Path(__file__).resolve().parents[2] / "app" / "tools"
API_REFERENCE_WRITE_TOOLS = {
    "create_issue": {"owner", "repo", "title", "body", "labels", "assignees", "milestone"},
    "update_issue": {"owner", "repo", "issue_number", "title", "body", "state", "milestone"},
    "create_issue_comment": {"owner", "repo", "issue_number", "body"},
    "create_pr_comment": {"owner", "repo", "pull_number", "body"},
    "add_labels": {"owner", "repo", "issue_number", "labels"},
    "remove_labels": {"owner", "repo", "issue_number", "labels"},
    "assign_issue": {"owner", "repo", "issue_number", "assignees"},
    "create_label": {"owner", "repo", "name", "color", "description", "exclusive"},
    "update_label": {"owner", "repo", "name", "new_name", "color", "description"},
    "create_pull_request": {"owner", "repo", "title", "head", "base", "body"},
    "create_release": {"owner", "repo", "tag_name", "name", "body", "draft", "prerelease", "target"},
    "edit_release": {"owner", "repo", "release_id", "name", "body", "draft", "prerelease"},
    "create_branch": {"owner", "repo", "new_branch_name", "old_branch_name"},
    "create_milestone": {"owner", "repo", "title", "description", "due_on"},
    "edit_issue_comment": {"owner", "repo", "comment_id", "body"},
    "create_pull_request_review": {"owner", "repo", "pull_number", "event", "body", "comments"},
    "create_wiki_page": {"owner", "repo", "title", "content", "message"},
    "update_wiki_page": {"owner", "repo", "title", "content", "message"},
}
API_REFERENCE_WRITE_TOOLS |= {"rerun_workflow_run": {"owner", "repo", "run_id"},
                              "rerun_failed_jobs": {"owner", "repo", "run_id"}}
DESTRUCTIVE = {"update_issue", "update_label", "edit_release", "edit_issue_comment", "remove_labels",
               "update_wiki_page"}
NOT_IDEMPOTENT = {"create_issue", "create_issue_comment", "create_pr_comment", "create_label", "create_milestone",
                  "create_pull_request_review", "create_wiki_page"}
NOT_IDEMPOTENT |= {"rerun_workflow_run", "rerun_failed_jobs"}  # each call queues another attempt
WRITE_TOOLS = [tool for tool in all_tools() if tool.is_write]
FORBIDDEN_WORDS = ("merge", "delete", "force", "push", "file", "content", "commit", "admin", "collaborator",
                   "transfer", "archive", "mirror", "hook", "protect", "repo", "fork", "team", "member", "key")
# Every Gitea call the tool layer makes that is not a read: reviewed here, so a new one is a visible diff.
UPSTREAM_WRITES = {
    "create_issue", "edit_issue", "create_comment", "edit_comment", "add_issue_labels", "replace_issue_labels",
    "add_assignees", "create_label", "edit_label", "create_pull", "create_release", "edit_release", "create_branch",
    "create_milestone", "create_pull_review", "create_wiki_page", "edit_wiki_page",
}
UPSTREAM_WRITES |= {"rerun_run", "rerun_failed_jobs"}


def test_catalog_has_exactly_the_write_tools_of_the_api_reference() -> None:
    assert sorted(tool.name for tool in WRITE_TOOLS) == sorted(API_REFERENCE_WRITE_TOOLS)


@pytest.mark.parametrize("tool", WRITE_TOOLS, ids=lambda t: t.name)
def test_write_tool_declaration(tool: Tool) -> None:
    assert tool.scope == WRITE_SCOPE and tool.title and len(tool.description) > 40
    assert API_REFERENCE_WRITE_TOOLS[tool.name] | {"dry_run"} == set(tool.input_schema["properties"])
    assert tool.annotations.to_mcp() == {
        "readOnlyHint": False, "destructiveHint": tool.name in DESTRUCTIVE,
        "idempotentHint": tool.name not in NOT_IDEMPOTENT, "openWorldHint": True,
    }
    # dry_run is explained once, by its argument (issue 15 took the repeated sentence out of descriptions).
    assert tool.input_schema["additionalProperties"] is False and "write nothing" in (
        tool.input_schema["properties"]["dry_run"]["description"])
    assert tool.output_schema["type"] == "object"
    jsonschema.Draft202012Validator.check_schema(tool.input_schema)
    jsonschema.Draft202012Validator.check_schema(tool.output_schema)


@pytest.mark.parametrize("tool", WRITE_TOOLS, ids=lambda t: t.name)
def test_write_output_names_what_was_written(tool: Tool) -> None:
    result, dry_run = tool.output_schema["anyOf"]
    assert {"id", "number", "issue_number", "name", "sub_url"} & set(result["required"])
    assert dry_run["required"] == ["dry_run", "request", "policy", "note"]


def test_no_tool_merges_deletes_pushes_writes_content_or_administers() -> None:
    names = [tool.name for tool in WRITE_TOOLS]
    assert not [name for name in names if any(word in name for word in FORBIDDEN_WORDS)]
    assert [tool for tool in all_tools() if not tool.annotations.read_only] == WRITE_TOOLS


def is_bound_client(node: ast.expr) -> bool:
    """`gitea` (a handler's argument) or `self.gitea` (RepositoryNames): a BoundGiteaClient."""
    if isinstance(node, ast.Name):
        return node.id == "gitea"
    return isinstance(node, ast.Attribute) and node.attr == "gitea" and isinstance(node.value, ast.Name) and (
        node.value.id == "self")


def gitea_calls_in_tool_code() -> set[str]:
    """Every `gitea.<method>(...)` / `self.gitea.<method>(...)` the tool modules contain."""
    called: set[str] = set()
    for module in TOOLS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_bound_client(
                    node.func.value):
                called.add(node.func.attr)
    return called - {"bind"}  # GiteaClient.bind (app/tools/__init__.py) makes a bound client; it sends nothing


def test_no_code_path_can_send_delete_or_a_content_write_upstream() -> None:
    called = gitea_calls_in_tool_code()
    sources = {name: inspect.getsource(getattr(BoundGiteaClient, name)) for name in called}
    writes = {name for name, source in sources.items() if any(verb in source for verb in ('"POST"', '"PATCH"',
                                                                                        '"PUT"', "self._labels("))}
    assert writes == UPSTREAM_WRITES
    assert not [name for name, source in sources.items() if '"DELETE"' in source or "merge" in source]
    assert not [name for name in writes if "/contents" in sources[name] or "contents" in name]
    every_method = [inspect.getsource(member) for _, member in inspect.getmembers(BoundGiteaClient, inspect.isfunction)]
    assert not [source for source in every_method if '"DELETE"' in source]  # and GiteaClient.send refuses one
