"""A store that fails a label write must not let the same read through unlabelled on a retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store.base import StoreUnavailable
from app.store.memory import MemoryStore
from app.tools.execution import ToolRuntime
from tests.emulator.process import EmulatorProcess
from tests.tools.write_world import WRITE_POLICY, WRITER_SCOPES, principal_for, run_tool, write_runtime

ROADMAP_PLAN = {"owner": "acme", "repo": "roadmap", "filepath": "notes/plan.md"}
PUBLIC_COMMENT = {"owner": "acme", "repo": "docs", "issue_number": 1, "body": "What the plan says: ..."}


class BlippingStore(MemoryStore):
    """The shared state down for one label write (a Redis failover), then back."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def hset(self, key: str, field: str, value: bytes, ttl: float | None = None) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("redis", "hset")
        super().hset(key, field, value, ttl)


@pytest.fixture(scope="module")
def flows_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    emulator = EmulatorProcess().start(str(tmp_path_factory.mktemp("flows-store")), seed="flows")
    yield emulator
    emulator.stop()


def guarded(emulator: EmulatorProcess, tmp_path: Path) -> ToolRuntime:
    runtime = write_runtime(emulator, tmp_path / "audit.log", WRITE_POLICY, WRITE_ALLOW_ALL_TOKEN_REPOS="true",
                            WRITE_REPOSITORY_WHITELIST="")
    runtime.store = BlippingStore()
    return runtime


def test_a_read_withheld_for_a_store_failure_is_labelled_when_retried(flows_emulator: EmulatorProcess,
                                                                      tmp_path: Path) -> None:
    runtime, alice = guarded(flows_emulator, tmp_path), principal_for(flows_emulator, "alice", WRITER_SCOPES)
    first = run_tool(runtime, alice, "get_file_contents", ROADMAP_PLAN)
    assert first.is_error and "withheld" in first.text
    retried = run_tool(runtime, alice, "get_file_contents", ROADMAP_PLAN)
    assert not retried.is_error
    leak = run_tool(runtime, alice, "create_issue_comment", PUBLIC_COMMENT)
    assert leak.is_error and "Refused by the flow guard" in leak.text and "acme/roadmap" in leak.text


def test_a_write_answer_from_a_private_repository_labels_it(flows_emulator: EmulatorProcess, tmp_path: Path) -> None:
    runtime, alice = guarded(flows_emulator, tmp_path), principal_for(flows_emulator, "alice", WRITER_SCOPES)
    runtime.store.failures = 0
    plan = run_tool(runtime, alice, "update_issue",
                    {"owner": "acme", "repo": "roadmap", "issue_number": 2, "state": "open", "dry_run": True})
    assert not plan.is_error
    leak = run_tool(runtime, alice, "create_issue_comment", PUBLIC_COMMENT)
    assert leak.is_error and "Refused by the flow guard" in leak.text and "update_issue" in leak.text
