"""The catalog: what clients see of each tool, pinned by snapshots so every change is a reviewed diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal
from app.tools import OPT_IN_TOOLSETS, all_tools, build_catalog
from app.tools.registry import Tool
from tests.tools.conftest import tool_settings

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "tools"
UPDATE = os.environ.get("UPDATE_TOOL_SNAPSHOTS") == "1"  # UPDATE_TOOL_SNAPSHOTS=1 pytest tests/tools/test_catalog.py
LATEST = "2026-07-28"
TOOLSETS = {"repos", "files", "commits", "issues", "pulls", "labels", "releases", "branches", "orgs", "milestones",
            "reviews", "wiki"}
TOOLSETS |= {"actions"}
API_REFERENCE_READ_TOOLS = {
    "list_repositories": set(), "get_repository_info": {"owner", "repo"},
    "get_file_tree": {"owner", "repo", "ref", "recursive"}, "get_file_contents": {"owner", "repo", "filepath", "ref"},
    "search_code": {"owner", "repo", "query", "ref", "page", "limit"},
    "list_commits": {"owner", "repo", "ref", "page", "limit"}, "get_commit_diff": {"owner", "repo", "sha"},
    "compare_refs": {"owner", "repo", "base", "head"},
    "list_issues": {"owner", "repo", "state", "page", "limit", "labels"},
    "get_issue": {"owner", "repo", "issue_number"}, "list_pull_requests": {"owner", "repo", "state", "page", "limit"},
    "get_pull_request": {"owner", "repo", "pull_number"}, "list_labels": {"owner", "repo", "page", "limit"},
    "list_tags": {"owner", "repo", "page", "limit"}, "list_releases": {"owner", "repo", "page", "limit"},
    "list_pull_request_files": {"owner", "repo", "pull_number", "page", "limit"},
    "list_pull_request_commits": {"owner", "repo", "pull_number", "page", "limit"},
    "list_issue_comments": {"owner", "repo", "issue_number", "page", "limit"},
    "list_branches": {"owner", "repo", "page", "limit"}, "get_branch": {"owner", "repo", "branch"},
    "get_release": {"owner", "repo", "release_id"}, "get_latest_release": {"owner", "repo"},
    "list_milestones": {"owner", "repo", "state", "page", "limit"}, "get_commit_status": {"owner", "repo", "sha"},
    "list_org_repositories": {"org", "page", "limit"}, "list_organizations": {"page", "limit"},
    "get_repo_languages": {"owner", "repo"}, "list_repo_topics": {"owner", "repo"},
    "list_pull_request_reviews": {"owner", "repo", "pull_number", "page", "limit"},
    "get_pull_request_review": {"owner", "repo", "pull_number", "review_id"},
    "get_pull_request_diff": {"owner", "repo", "pull_number", "paths"},
    "list_wiki_pages": {"owner", "repo", "page", "limit"}, "get_wiki_page": {"owner", "repo", "title"},
    "list_wiki_page_revisions": {"owner", "repo", "title", "page"},
}
API_REFERENCE_READ_TOOLS |= {
    "list_workflow_runs": {"owner", "repo", "status", "branch", "event", "page", "limit"},
    "get_workflow_run": {"owner", "repo", "run_id"},
    "get_job_log": {"owner", "repo", "job_id", "tail", "grep", "context", "start_line", "end_line", "full"},
    "find_failing_step": {"owner", "repo", "run_id"},
}
TOOLS = all_tools()
READ_TOOLS = tuple(tool for tool in TOOLS if not tool.is_write)  # write tools: tests/tools/test_write_catalog.py


def test_catalog_has_exactly_the_read_tools_of_the_api_reference() -> None:
    assert sorted(tool.name for tool in READ_TOOLS) == sorted(API_REFERENCE_READ_TOOLS)


@pytest.mark.parametrize("tool", READ_TOOLS, ids=lambda t: t.name)
def test_tool_declares_every_documented_argument(tool: Tool) -> None:
    properties = set(tool.input_schema["properties"])
    assert API_REFERENCE_READ_TOOLS[tool.name] <= properties


@pytest.mark.parametrize("tool", READ_TOOLS, ids=lambda t: t.name)
def test_tool_declaration_is_complete(tool: Tool) -> None:
    assert tool.toolset in TOOLSETS
    assert tool.scope == READ_SCOPE and tool.title and len(tool.description) > 40
    assert tool.annotations.to_mcp() == {
        "readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": True,
    }
    assert tool.input_schema["type"] == "object" and tool.input_schema["additionalProperties"] is False
    assert tool.output_schema["type"] == "object"
    jsonschema.Draft202012Validator.check_schema(tool.input_schema)
    jsonschema.Draft202012Validator.check_schema(tool.output_schema)


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_tool_definition_matches_its_snapshot(tool: Tool) -> None:
    path = SNAPSHOTS / f"{tool.name}.json"
    current = json.dumps(tool.definition(LATEST), indent=2, sort_keys=True) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current, encoding="utf-8")
    # A missing snapshot fails too (a fresh clone must not pass by writing what it then compares against).
    assert path.exists(), f"{tool.name} has no snapshot; review its definition, then UPDATE_TOOL_SNAPSHOTS=1"
    assert path.read_text(encoding="utf-8") == current, f"{tool.name} changed; review, then UPDATE_TOOL_SNAPSHOTS=1"


def test_definition_strips_fields_older_revisions_do_not_know() -> None:
    tool = TOOLS[0]
    assert set(tool.definition("2024-11-05")) == {"name", "description", "inputSchema"}
    assert set(tool.definition("2025-03-26")) == {"name", "description", "inputSchema", "annotations"}
    assert set(tool.definition("2025-06-18")) == {
        "name", "title", "description", "inputSchema", "outputSchema", "annotations",
    }


def test_names_are_safe_for_llm_apis() -> None:
    assert all(tool.name.isidentifier() and tool.name.islower() and len(tool.name) <= 64 for tool in TOOLS)


def test_visible_tools_are_every_read_tool_for_a_reader() -> None:
    catalog = build_catalog(tool_settings("http://127.0.0.1:9"))
    reader = Principal("alice", frozenset({READ_SCOPE}), None, "api_key")
    writer = Principal("alice", frozenset({READ_SCOPE, WRITE_SCOPE}), None, "api_key")
    served = [t.name for t in READ_TOOLS if t.toolset not in OPT_IN_TOOLSETS]  # opt-in: only when named
    assert [t.name for t in catalog.visible_tools(reader)] == served
    assert catalog.visible_tools(writer) == catalog.visible_tools(reader)
    assert catalog.get("list_issues") is not None and catalog.get("merge_everything") is None


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_output_schema_modes_publish_the_same_fields(tool: Tool) -> None:
    """MCP_OUTPUT_SCHEMAS: full is the declaration, compact its top-level names (a relaxation), off none."""
    full, compact = tool.definition(LATEST, "full"), tool.definition(LATEST, "compact")
    assert full["outputSchema"] == tool.output_schema and "outputSchema" not in tool.definition(LATEST, "off")
    branches = tool.output_schema.get("anyOf", [tool.output_schema])
    compact_branches = compact["outputSchema"].get("anyOf", [compact["outputSchema"]])
    assert [set(b["properties"]) for b in compact_branches] == [set(b["properties"]) for b in branches]
    jsonschema.Draft202012Validator.check_schema(compact["outputSchema"])
    # MCP's Tool.outputSchema is an object schema at its top level (the SDKs refuse a tools/list without it)
    assert full["outputSchema"]["type"] == compact["outputSchema"]["type"] == "object"


def test_published_hints_mean_what_the_full_hints_say() -> None:
    """Lean annotations leave out only MCP's defaults (destructive true, idempotent false, open world true)."""
    defaults = {"destructiveHint": True, "idempotentHint": False, "openWorldHint": True}
    for tool in TOOLS:
        published = tool.definition(LATEST)["annotations"]
        full = tool.annotations.to_mcp()
        assert published["readOnlyHint"] == full["readOnlyHint"]
        if not full["readOnlyHint"]:
            assert {**defaults, **published} == full
