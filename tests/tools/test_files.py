"""File tools: contents (bounded, binary-aware, ranges, directories), trees and code search."""

from __future__ import annotations

import io
import re
import tarfile

import pytest

from app.policy import Policy
from app.tools import code_index, files
from tests.emulator.process import EmulatorProcess
from tests.emulator.seeds.demo import FAKE_AWS_KEY_ID, FAKE_AWS_SECRET, large_csv
from tests.tools.conftest import Caller, RuntimeFactory, assert_ok, emulator_requests


def test_get_file_contents_returns_the_file_text(call_tool: Caller) -> None:
    result = call_tool("get_file_contents", owner="acme", repo="service-a", filepath="src/service_a/handlers.py")
    out = assert_ok(result, "get_file_contents")
    assert "def create_order(order: dict) -> dict:" in out["content"]
    assert out["total_lines"] == 15 and out["truncated"] is False
    assert "def create_order" in result.text


def test_get_file_contents_at_a_ref_reads_that_version(call_tool: Caller) -> None:
    out = assert_ok(call_tool("get_file_contents", owner="acme", repo="service-a",
                              filepath="src/service_a/handlers.py", ref="feature/metrics"), "get_file_contents")
    assert "from service_a.metrics import observe" in out["content"]


def test_line_range_selects_lines(call_tool: Caller) -> None:
    out = assert_ok(call_tool("get_file_contents", owner="acme", repo="service-a", filepath="src/service_a/app.py",
                              start_line=6, end_line=7), "get_file_contents")
    assert out["content"] == 'def main() -> None:\n    """Start the service."""\n'
    assert (out["start_line"], out["end_line"]) == (6, 7)


def test_large_file_is_cut_with_a_continuation_hint(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(MAX_TOOL_RESPONSE_CHARS="1000")
    first = assert_ok(call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a",
                                filepath="data/catalogue.csv"), "get_file_contents")
    assert first["truncated"] is True and len(first["content"]) <= 1000
    next_line = first["end_line"] + 1
    assert f"start_line={next_line}" in first["truncation"]
    second = assert_ok(call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a",
                                 filepath="data/catalogue.csv", start_line=next_line), "get_file_contents")
    assert second["content"].startswith(f"{next_line - 2},SKU-{next_line - 2:06d},")


def test_large_file_is_read_only_as_far_as_the_answer_needs(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(MAX_TOOL_RESPONSE_CHARS="1000", MAX_FILE_SIZE_BYTES=str(4 * 1024 * 1024))
    whole = large_csv().decode()
    out = assert_ok(call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a",
                              filepath="data/catalogue.csv"), "get_file_contents")
    assert whole.startswith(out["content"]) and out["truncated"] is True
    # The rest of the 1.2 MiB was never read: the line count is unknown, the size comes from Gitea.
    assert out["total_lines"] is None and out["size"] == len(large_csv())


def test_deep_line_range_is_exact_without_reading_the_rest(call_tool: Caller) -> None:
    lines = large_csv().decode().split("\n")
    out = assert_ok(call_tool("get_file_contents", owner="acme", repo="service-a", filepath="data/catalogue.csv",
                              start_line=9000, end_line=9002), "get_file_contents")
    assert out["content"] == "\n".join(lines[8999:9002]) + "\n"
    assert (out["start_line"], out["end_line"], out["truncated"]) == (9000, 9002, False)


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x1c", "\r"])
def test_lines_are_numbered_by_newline_alone_in_contents_and_search(separator: str) -> None:
    text = f"alpha{separator}beta\nneedle here\nomega"
    match = code_index.file_matches("f.txt", text, re.compile("needle"), 5)[0]
    assert match["line_number"] == 2 and match["line"] == "needle here"
    window = files.LineWindow(2, 2, 1000)
    window.enough(text.encode())
    assert window.lines(text.encode()) == 3 and window.span(text.encode()) == "needle here\n"


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_line_window_finds_the_same_lines_whatever_the_chunking(chunk: int) -> None:
    body = "".join(f"line {n} \u00e9\u4e2d\n" for n in range(1, 40)).encode()
    window = files.LineWindow(17, 19, 1000)
    for offset in range(0, len(body), chunk):
        window.enough(body[offset : offset + chunk])
    assert window.span(body) == "line 17 \u00e9\u4e2d\nline 18 \u00e9\u4e2d\nline 19 \u00e9\u4e2d\n"
    assert window.lines(body) == 39


def test_file_over_max_file_size_is_read_only_up_to_the_cap(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(MAX_FILE_SIZE_BYTES="4096", MAX_TOOL_RESPONSE_CHARS="100000")
    out = assert_ok(call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a",
                              filepath="data/catalogue.csv"), "get_file_contents")
    assert len(out["content"].encode()) <= 4096
    assert out["truncated"] is True and "MAX_FILE_SIZE_BYTES" in out["truncation"]
    assert out["total_lines"] is None


def test_binary_file_returns_metadata_not_bytes(call_tool: Caller) -> None:
    result = call_tool("get_file_contents", owner="acme", repo="service-a", filepath="assets/logo.png")
    out = assert_ok(result, "get_file_contents")
    assert out["binary"] is True and out["content"] == "" and out["size"] > 0
    assert "Binary file" in result.text and "PNG" not in result.text


def test_directory_path_lists_entries(call_tool: Caller) -> None:
    out = assert_ok(call_tool("get_file_contents", owner="acme", repo="service-a", filepath="src/service_a"),
                    "get_file_contents")
    assert out["type"] == "dir"
    assert {"src/service_a/app.py", "src/service_a/handlers.py"} <= {e["path"] for e in out["entries"]}


def test_missing_file_is_a_clear_not_found(call_tool: Caller) -> None:
    result = call_tool("get_file_contents", owner="acme", repo="service-a", filepath="no/such/file.txt")
    assert result.is_error and result.status == "not_found"
    assert "no/such/file.txt" in result.text


def test_file_tree_top_level_and_recursive_under_a_path(call_tool: Caller) -> None:
    top = assert_ok(call_tool("get_file_tree", owner="acme", repo="service-a"), "get_file_tree")
    assert {"README.md", "src"} <= {e["path"] for e in top["items"]}
    src = assert_ok(call_tool("get_file_tree", owner="acme", repo="service-a", path="src", recursive=True),
                    "get_file_tree")
    assert "src/service_a/handlers.py" in {e["path"] for e in src["items"]}
    assert all(e["path"].startswith("src/") for e in src["items"])


def test_file_tree_pages_at_max_tool_response_items(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(MAX_TOOL_RESPONSE_ITEMS="5")
    pages, page = [], 1
    while True:
        out = assert_ok(call_tool("get_file_tree", runtime=runtime, owner="acme", repo="service-a",
                                  recursive=True, page=page), "get_file_tree")
        pages.append([e["path"] for e in out["items"]])
        if not out["has_more"]:
            break
        page += 1
    paths = [path for chunk in pages for path in chunk]
    assert all(len(chunk) <= 5 for chunk in pages) and len(pages) > 2
    assert len(paths) == len(set(paths)) and "src/service_a/app.py" in paths


def test_empty_repository_tree_is_an_answer(call_tool: Caller) -> None:
    out = assert_ok(call_tool("get_file_tree", owner="alice", repo="empty"), "get_file_tree")
    assert out["items"] == [] and "empty" in out["note"]


def test_search_code_finds_lines_with_context(call_tool: Caller) -> None:
    result = call_tool("search_code", owner="acme", repo="service-a", query="CREATE_ORDER")
    out = assert_ok(result, "search_code")
    hits = {(m["path"], m["line_number"]) for m in out["items"]}
    assert ("src/service_a/handlers.py", 11) in hits
    handler = next(m for m in out["items"] if m["path"] == "src/service_a/handlers.py")
    assert handler["line"] == "def create_order(order: dict) -> dict:"
    assert "tests/test_handlers.py:1:" in result.text


def test_search_code_repeat_is_served_from_the_cache(call_tool: Caller, tools_emulator: EmulatorProcess) -> None:
    emulator_requests(tools_emulator, reset=True)
    call_tool("search_code", owner="acme", repo="service-a", query="observe", ref="feature/metrics")
    first = emulator_requests(tools_emulator, reset=True)
    out = assert_ok(call_tool("search_code", owner="acme", repo="service-a", query="observe",
                              ref="feature/metrics"), "search_code")
    repeat = emulator_requests(tools_emulator)
    assert first <= 3
    assert repeat == 0  # the ref this caller resolved moments ago is remembered for 30 s
    assert "src/service_a/metrics.py" in {m["path"] for m in out["items"]}


def test_search_code_cache_does_not_leak_a_private_repository(call_tool: Caller) -> None:
    assert_ok(call_tool("search_code", owner="alice", repo="private-notes", query="Salary"), "search_code")
    result = call_tool("search_code", as_user="bob", owner="alice", repo="private-notes", query="Salary")
    assert result.is_error and result.status == "not_found"
    assert "Salary negotiation" not in result.text


def test_secrets_in_a_file_are_masked_by_default(call_tool: Caller) -> None:
    result = call_tool("get_file_contents", owner="acme", repo="service-a", filepath="src/secrets/production.py")
    out = assert_ok(result, "get_file_contents")
    assert FAKE_AWS_KEY_ID not in result.text and FAKE_AWS_KEY_ID not in out["content"]
    assert FAKE_AWS_SECRET not in result.text
    assert "S3cr3tPassw0rd" not in result.text and "[REDACTED" in out["content"]
    assert "Production settings" in out["content"]


def test_block_mode_withholds_a_value_carrying_secrets(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(SECRET_DETECTION_MODE="block")
    result = call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a",
                       filepath="src/secrets/production.py")
    out = assert_ok(result, "get_file_contents")
    assert out["content"].startswith("[WITHHELD") and "hunter2" not in result.text


DENY_SECRETS = """
defaults:
  read: allow
repositories:
  acme/service-a:
    paths:
      deny:
        - src/secrets/*
"""


def test_directory_listing_withholds_entries_the_path_policy_denies(call_tool: Caller,
                                                                    make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime()
    policy = Policy.parse(DENY_SECRETS)
    runtime.policy = lambda: policy
    out = assert_ok(call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a", filepath="src"),
                    "get_file_contents")
    paths = {e["path"] for e in out["entries"]}
    assert "src/service_a" in paths and "src/secrets" not in paths
    assert "1 entry withheld by policy: src/secrets." in out["note"]


def test_start_line_past_the_size_cap_says_so(call_tool: Caller, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(MAX_FILE_SIZE_BYTES="4096")
    capped = call_tool("get_file_contents", runtime=runtime, owner="acme", repo="service-a",
                       filepath="data/catalogue.csv", start_line=5000)
    assert capped.is_error and "start_line 5000 lies beyond the size cap" in capped.text
    assert "MAX_FILE_SIZE_BYTES (4096 bytes" in capped.text and "past the end" not in capped.text
    short = call_tool("get_file_contents", owner="acme", repo="service-a", filepath="README.md", start_line=5000)
    assert short.is_error and "past the end of README.md" in short.text


def archive_of(files: dict[str, bytes]) -> bytes:
    """A real tar.gz as Gitea builds it (every path under '<repo>/')."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"repo/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_an_archive_that_expands_past_the_decoded_cap_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_index, "MAX_DECODED_BYTES", 4 * 1024 * 1024)
    text = b"all work and no play\n" * 40000  # 840 KB of text that gzip shrinks several hundredfold
    archive = archive_of({f"notes/{n}.txt": text for n in range(12)} | {"zz-last.txt": b"needle\n"})
    assert len(archive) < 200 * 1024
    index = code_index.index_from_archive("c0ffee", archive, cut_at_cap=False)
    assert index.incomplete and index.bound is not None and "expands to more than 4 MiB" in index.bound
    assert 0 < len(index.files) <= 5 and "zz-last.txt" not in {path for path, _ in index.files}
    assert sum(len(text) for _, text in index.files) <= 4 * 1024 * 1024


def test_one_huge_member_is_refused_without_being_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_index, "MAX_DECODED_BYTES", 1024 * 1024)
    archive = archive_of({"a.txt": b"first\n", "zeros.bin": bytes(3 * 1024 * 1024), "z.txt": b"last\n"})
    index = code_index.index_from_archive("c0ffee", archive, cut_at_cap=False)
    assert [path for path, _ in index.files] == ["a.txt"] and index.incomplete


def test_search_code_reports_the_decoded_cap_it_reached(call_tool: Caller, make_runtime: RuntimeFactory,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_index, "MAX_DECODED_BYTES", 20000)
    result = call_tool("search_code", runtime=make_runtime(), owner="acme", repo="service-a", query="def")
    out = assert_ok(result, "search_code")
    assert out["incomplete"] is True and "expands to more than" in out["note"]
    assert "Results may be partial" in result.text


def test_a_burst_of_reads_resolves_its_ref_once_per_credential(call_tool: Caller,
                                                               tools_emulator: EmulatorProcess) -> None:
    """Each read is at a resolved commit (issue 20); reads of one ref within READ_REF_SECONDS share the
    resolution, but only for the same credential."""
    emulator_requests(tools_emulator, reset=True)
    for path in ("README.md", "requirements.txt", "package.json"):
        assert not call_tool("get_file_contents", owner="acme", repo="service-a", filepath=path).is_error
    # One resolution (the commit, then no branch or tag named after it: 3 requests), then three raw reads.
    assert emulator_requests(tools_emulator, reset=True) == 6
    assert not call_tool("get_file_contents", as_user="bob", owner="acme", repo="service-a",
                         filepath="README.md").is_error
    assert emulator_requests(tools_emulator) == 4  # bob resolves for himself
