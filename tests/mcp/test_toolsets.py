"""Toolsets and read-only as a per-connection selection: tools/list and tools/call narrow alike, on every
transport, and only within what the operator serves (MCP_TOOLSETS / MCP_TOOLS). Issue 15."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.config import Settings, SettingsError
from app.startup import preflight
from tests.mcp.conftest import API_KEY, modern_headers, modern_request

READ_FILES_ISSUES = {
    "get_file_tree", "get_file_contents", "search_code", "list_issues", "get_issue", "list_issue_comments",
}


def make_app(tmp_path: Path, **settings: str) -> Any:
    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults:\n  read: allow\n  write: allow\n", encoding="utf-8")
    values = {"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": API_KEY, "AUDIT_LOG_PATH": str(tmp_path / "audit"),
              "POLICY_FILE": str(policy), "RATE_LIMIT_PER_MINUTE": "10000", **settings}
    return create_app(Settings.from_mapping(values))


def write_app(tmp_path: Path, **settings: str) -> Any:
    return make_app(tmp_path, WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="acme/service-a", **settings)


def rpc(app: Any, method: str, params: dict[str, Any] | None = None, query: str = "",
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    name = (params or {}).get("name")
    response = app.test_client().post(
        "/mcp" + query, json=modern_request(method, params), headers={**modern_headers(method, name), **(headers or {})}
    )
    body: dict[str, Any] = response.get_json()
    return body


def listed(app: Any, query: str = "", headers: dict[str, str] | None = None) -> set[str]:
    return {tool["name"] for tool in rpc(app, "tools/list", query=query, headers=headers)["result"]["tools"]}


def test_toolsets_in_the_url_narrow_tools_list_and_say_so(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    answer = rpc(app, "tools/list", query="?toolsets=files,issues")["result"]
    assert {tool["name"] for tool in answer["tools"]} == READ_FILES_ISSUES
    assert answer["_meta"]["io.aegis/selection"] == {"toolsets": ["files", "issues"], "readonly": False}


def test_header_narrows_too_and_with_the_url_takes_the_intersection(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert listed(app, headers={"X-MCP-Toolsets": "files"}) == {"get_file_tree", "get_file_contents", "search_code"}
    assert listed(app, "?toolsets=files,issues", {"X-MCP-Toolsets": "issues, pulls"}) == {
        "list_issues", "get_issue", "list_issue_comments"}


def test_a_tool_outside_the_selection_cannot_be_called(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    params = {"name": "get_repository_info", "arguments": {"owner": "acme", "repo": "service-a"}}
    error = rpc(app, "tools/call", params, query="?toolsets=files")["error"]
    assert error["code"] == -32602 and "Unknown tool: get_repository_info" in error["message"]


def test_readonly_narrows_a_write_mode_server_to_read_tools(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    everything = listed(app)
    assert len(everything) == 43
    for query, headers in (("?readonly=1", None), ("", {"X-MCP-Readonly": "true"})):
        assert len(listed(app, query, headers)) == 28
    assert "create_issue" in listed(app, "?toolsets=issues") and "create_issue" not in listed(
        app, "?toolsets=issues&readonly=1")
    params = {"name": "create_issue", "arguments": {"owner": "acme", "repo": "service-a", "title": "x"}}
    assert rpc(app, "tools/call", params, query="?readonly=1")["error"]["code"] == -32602


@pytest.mark.parametrize("query", ["?toolsets=files,bogus", "?toolsets=", "?readonly=maybe"])
def test_bad_selection_is_a_json_rpc_error_naming_the_valid_toolsets(tmp_path: Path, query: str) -> None:
    error = rpc(make_app(tmp_path), "tools/list", query=query)["error"]
    assert error["code"] == -32602
    if "toolsets" in query:
        valid = "actions, branches, commits, files, issues, labels, milestones, orgs, pulls, releases, repos, reviews"
        assert f"Valid toolsets: {valid}" in error["message"]


def test_selection_cannot_widen_what_the_operator_serves(tmp_path: Path) -> None:
    app = make_app(tmp_path, MCP_TOOLSETS="files,repos")
    assert len(listed(app)) == 7
    answer = rpc(app, "tools/list", query="?toolsets=files,issues")["result"]
    assert {tool["name"] for tool in answer["tools"]} == {"get_file_tree", "get_file_contents", "search_code"}
    assert answer["_meta"]["io.aegis/selection"]["unavailable"] == ["issues"]
    params = {"name": "list_issues", "arguments": {"owner": "acme", "repo": "service-a"}}
    assert rpc(app, "tools/call", params)["error"]["code"] == -32602  # not served at all: unknown
    error = rpc(app, "tools/list", query="?toolsets=issues")["error"]
    assert error["code"] == -32602 and "leaves no tool" in error["message"] and "not served here: issues" in (
        error["message"])


def test_readonly_on_a_write_only_selection_leaves_no_tool(tmp_path: Path) -> None:
    app = write_app(tmp_path, MCP_TOOLS="create_issue")
    assert listed(app) == {"create_issue"}
    assert "leaves no tool" in rpc(app, "tools/list", query="?readonly=1")["error"]["message"]


def test_operator_names_are_checked_at_start_up(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": API_KEY,
                                      "MCP_TOOLSETS": "files,gists", "MCP_TOOLS": "get_issue,delete_repo"})
    with pytest.raises(SettingsError) as refused:
        preflight(settings)
    message = str(refused.value)
    assert "MCP_TOOLSETS: unknown gists; valid toolsets: repos, files," in message
    assert "MCP_TOOLS: unknown delete_repo; valid tools: list_repositories," in message


def test_opt_in_toolsets_are_served_only_when_named_or_with_all() -> None:
    from app.tools import all_tools
    from app.tools.registry import enabled_tools

    tools = all_tools()
    milestones = {tool.name for tool in tools if tool.toolset == "milestones"}
    by_default = set(enabled_tools(tools, (), (), opt_in=("milestones",)) or ())
    assert by_default and not by_default & milestones
    assert set(enabled_tools(tools, ("default",), (), opt_in=("milestones",)) or ()) == by_default
    assert enabled_tools(tools, ("all",), (), opt_in=("milestones",)) is None  # None: every tool
    assert enabled_tools(tools, ("default", "milestones"), (), opt_in=("milestones",)) is None
    assert enabled_tools(tools, (), ("list_milestones",), opt_in=("milestones",)) == ["list_milestones"]


def test_plain_routes_show_toolsets_and_narrow(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    client = app.test_client()
    meta = client.get("/").get_json()
    assert meta["toolsets"]["issues"] == 10 and sum(meta["toolsets"].values()) == 43
    tools = client.get("/mcp/tools?toolsets=files,issues&readonly=1").get_json()
    assert tools["toolsets"]["files"] == 3 and {t["name"] for t in tools["tools"]} == READ_FILES_ISSUES
    bad = client.get("/mcp/tools?toolsets=gists")
    assert bad.status_code == 400 and "Valid toolsets:" in bad.get_data(as_text=True)
    call = client.post("/mcp/tool/call?toolsets=files", json={"tool": "list_issues", "arguments": {}},
                       headers={"Authorization": f"Bearer {API_KEY}"})
    assert call.status_code == 404 and "Unknown tool" in call.get_data(as_text=True)


def test_the_audit_entry_records_the_selection(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    params = {"name": "get_file_contents", "arguments": {"owner": "acme"}}  # refused: no Gitea call needed
    assert rpc(app, "tools/call", params, query="?toolsets=files&readonly=1")["result"]["isError"] is True
    entries = [json.loads(line) for line in (tmp_path / "audit").read_text().splitlines()]
    refused = [entry for entry in entries if entry.get("tool") == "get_file_contents"]
    assert refused[-1]["selection"] == {"toolsets": ["files"], "readonly": True}


@pytest.mark.parametrize("mode", ["full", "compact", "off"])
def test_output_schemas_setting_shapes_tools_list(tmp_path: Path, mode: str) -> None:
    from app.tools import all_tools

    tools = rpc(make_app(tmp_path, MCP_OUTPUT_SCHEMAS=mode), "tools/list")["result"]["tools"]
    declared = {tool.name: tool for tool in all_tools()}
    for tool in tools:
        if mode == "off":
            assert "outputSchema" not in tool
        else:
            tool_declared = declared[tool["name"]]
            expected = tool_declared.output_schema if mode == "full" else tool_declared.compact_output_schema
            assert tool["outputSchema"] == expected


def test_operator_narrowing_leaves_automation_jobs_their_tools(tmp_path: Path) -> None:
    """MCP_TOOLSETS is what clients are served; an automation job (an internal caller) still finds its tools."""
    from app.auth.principal import READ_SCOPE, Principal
    from app.tools import RUNTIME_EXTENSION
    from app.tools.call import ToolCall, UnknownTool
    from app.tools.execution import execute_tool

    runtime = make_app(tmp_path, MCP_TOOLSETS="files").extensions[RUNTIME_EXTENSION]
    principal = Principal("automation", frozenset({READ_SCOPE}), None, "automation")
    job = ToolCall(principal, "get_issue", {"owner": "acme"}, "c" * 32, transport="automation")
    assert execute_tool(runtime, job).status == "invalid_arguments"  # found, then refused for its arguments
    with pytest.raises(UnknownTool):
        execute_tool(runtime, ToolCall(principal, "get_issue", {"owner": "acme"}, "c" * 32, transport="rest"))
