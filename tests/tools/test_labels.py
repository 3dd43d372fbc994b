"""Label tools."""

from __future__ import annotations

from tests.tools.conftest import Caller, assert_ok


def test_list_labels_with_colors_as_clients_write_them(call_tool: Caller) -> None:
    out = assert_ok(call_tool("list_labels", owner="acme", repo="service-a"), "list_labels")
    labels = {label["name"]: label for label in out["items"]}
    assert labels["bug"]["color"] == "#ee0701" and labels["enhancement"]["color"] == "#84b6eb"
    assert labels["priority/high"]["exclusive"] is True
