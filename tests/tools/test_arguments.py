"""Bad arguments become isError results that name the field; nothing reaches Gitea."""

from __future__ import annotations

import pytest

from tests.emulator.process import EmulatorProcess
from tests.tools.conftest import Caller, RuntimeFactory, emulator_requests, principal_for, run_tool

BAD_ARGUMENTS = [
    ("list_issues", {"owner": "acme", "repo": "service-a", "colour": "red"}, "colour", "Unknown field"),
    ("list_issues", {"owner": "acme", "repo": "service-a", "page": "2"}, "page", "Not a valid integer"),
    ("list_commits", {"owner": "acme", "repo": "service-a", "page": 0}, "page", "greater than or equal to 1"),
    ("list_commits", {"owner": "acme", "repo": "service-a", "limit": 500}, "limit", "less than or equal to 50"),
    ("get_file_contents", {"owner": "../etc", "repo": "service-a", "filepath": "x"}, "owner", "letters, digits"),
    ("get_repository_info", {"owner": "..", "repo": "service-a"}, "owner", "not repository or owner names"),
    ("get_repository_info", {"owner": "acme"}, "repo", "Missing data for required field"),
    ("get_issue", {"owner": "acme", "repo": "service-a", "issue_number": True}, "issue_number", "Not a valid integer"),
    ("list_issues", {"owner": "acme", "repo": "service-a", "state": "merged"}, "state", "Must be one of"),
    ("get_file_contents", {"owner": "acme", "repo": "service-a", "filepath": "a", "start_line": 5, "end_line": 2},
     "end_line", "less than start_line"),
]


@pytest.mark.parametrize("case", BAD_ARGUMENTS, ids=lambda case: f"{case[0]}-{case[2]}")
def test_bad_argument_is_an_error_result_naming_the_field(
    call_tool: Caller, tools_emulator: EmulatorProcess, case: tuple[str, dict[str, object], str, str]
) -> None:
    tool, arguments, field, problem = case
    emulator_requests(tools_emulator, reset=True)
    result = call_tool(tool, **arguments)
    assert result.is_error and result.status == "invalid_arguments"
    assert f"{field}:" in result.text and problem in result.text
    assert emulator_requests(tools_emulator) == 0


def test_arguments_that_are_not_an_object_are_refused(make_runtime: RuntimeFactory,
                                                      tools_emulator: EmulatorProcess) -> None:
    result = run_tool(make_runtime(), principal_for(tools_emulator, "alice"), "list_repositories", ["acme"])
    assert result.is_error and "arguments: Must be a JSON object" in result.text
