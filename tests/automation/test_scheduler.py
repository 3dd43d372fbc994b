"""Two scheduler processes (two hosts) against one real Redis: each period runs exactly once, and a
leader killed with SIGKILL is replaced within one lock TTL. Plus the schedule file's validation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.automation.scheduler import ScheduleError, parse_schedule
from app.store.redis import RedisStore
from tests.automation.conftest import POLICY, SECRET
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import ROOT, base_env
from tests.fixtures.redis import RedisServer

FLASK = str(Path(sys.executable).with_name("flask"))
TICK, TTL, EVERY = 0.1, 1.5, 0.4
RUNS_KEY = "aegis:automation:runs:acme/service-a"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess().start(str(tmp_path / "emulator"))
    try:
        yield process
    finally:
        process.stop()


def start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([FLASK, "--app", "wsgi", "automation", "scheduler"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def scheduled_runs(store: RedisStore) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in store.items(RUNS_KEY, 1000) if json.loads(raw)["trigger"] == "schedule"]


def test_two_schedulers_run_each_period_once_and_a_killed_leader_is_replaced(
    tmp_path: Path, emulator: EmulatorProcess, private_redis_server: RedisServer
) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "schedule.yaml").write_text(
        f"jobs:\n  - job: stale_issue_detection\n    repository: acme/service-a\n    every: {EVERY}\n",
        encoding="utf-8")
    env = base_env(GITEA_URL=emulator.base_url, GITEA_TOKEN=emulator.token("alice"),
                   REDIS_URL=private_redis_server.url, POLICY_FILE=str(tmp_path / "policy.yaml"),
                   AUDIT_LOG_PATH=str(tmp_path / "audit.log"), AUTOMATION_ENABLED="true",
                   AUTOMATION_WEBHOOK_SECRET=SECRET, AUTOMATION_SCHEDULER_ENABLED="true",
                   AUTOMATION_SCHEDULE_FILE=str(tmp_path / "schedule.yaml"),
                   AUTOMATION_SCHEDULER_TICK_SECONDS=str(TICK), AUTOMATION_LEADER_TTL_SECONDS=str(TTL),
                   AUTOMATION_RUNS_KEPT="1000")
    store = RedisStore(private_redis_server.url)
    processes = [start_scheduler(env, tmp_path / f"scheduler-{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 40
        while len(scheduled_runs(store)) < 24 and time.monotonic() < deadline:
            time.sleep(0.3)
        runs = scheduled_runs(store)
        periods = [run["period"] for run in runs if not run["retry"]]
        assert len(periods) >= 24, [p.poll() for p in processes]
        assert len(periods) == len(set(periods)), "a period ran twice"
        span = max(periods) - min(periods) + 1
        missed = sorted(set(range(min(periods), max(periods))) - set(periods))
        assert missed == [], f"periods missed: {missed} of {span}"  # a busy leader runs a passed period late
        assert all(run["status"] == "success" for run in runs), runs[0]
        pids = {process.pid: process for process in processes}
        leader_pid = int(runs[0]["runner"].rsplit(":", 1)[1])
        assert leader_pid in pids and len({run["runner"] for run in runs}) == 1  # only the leader ran

        killed_at = time.time()
        os.kill(leader_pid, signal.SIGKILL)  # a process this test started, by its PID
        pids[leader_pid].wait(timeout=10)
        follower = next(pid for pid in pids if pid != leader_pid)
        deadline = time.monotonic() + TTL + 10
        taken: list[dict[str, Any]] = []
        while not taken and time.monotonic() < deadline:
            taken = [r for r in scheduled_runs(store) if r["runner"].endswith(f":{follower}")]
            time.sleep(0.05)
        assert taken, "the follower never took over"
        first = min(taken, key=lambda r: r["started_at"])
        started = datetime.fromisoformat(first["started_at"].replace("Z", "+00:00")).timestamp()
        assert started - killed_at <= TTL + 2 * TICK + 1.0  # within one lock TTL (+ a tick and clock rounding)
        time.sleep(EVERY * 6)
        periods = [run["period"] for run in scheduled_runs(store) if not run["retry"]]
        assert len(periods) == len(set(periods)), "a period ran twice across the hand-over"
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        store.close()
    logs = (tmp_path / "scheduler-0.log").read_text() + (tmp_path / "scheduler-1.log").read_text()
    assert "scheduler_leader_acquired" in logs


def test_the_schedule_file_is_validated() -> None:
    [entry] = parse_schedule("jobs:\n  - job: stale_issue_detection\n    repository: a/b\n    every: 15m\n")
    assert entry.every == 900
    with pytest.raises(ScheduleError) as problem:
        parse_schedule("jobs:\n  - job: nope\n    repository: a\n    every: soon\n    extra: 1\n")
    message = str(problem.value)
    assert "nope" in message and "owner/repo" in message and "soon" in message and "extra" in message


def test_a_failed_scheduled_run_is_retried_on_the_next_tick_only_until_it_succeeds(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    import requests

    from app import create_app
    from app.automation.scheduler import ScheduleEntry, Scheduler

    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    app = create_app({"GITEA_URL": emulator.base_url, "GITEA_TOKEN": emulator.token("alice"),
                      "MCP_API_KEYS": "k" * 40, "STARTUP_VALIDATE_GITEA": "false",
                      "POLICY_FILE": str(tmp_path / "policy.yaml"), "AUDIT_LOG_PATH": str(tmp_path / "audit.log"),
                      "AUTOMATION_ENABLED": "true", "AUTOMATION_WEBHOOK_SECRET": SECRET,
                      "AUTOMATION_SCHEDULER_ENABLED": "true", "AUTOMATION_SCHEDULER_TICK_SECONDS": "1"})
    scheduler = Scheduler(app.extensions["aegis.automation"],
                          [ScheduleEntry("stale_issue_detection", "acme/service-a", 3600.0)])
    faults = f"{emulator.base_url}/_emulator/faults"
    requests.post(faults, json={"method": "GET", "path": "/api/v1/repos/acme/service-a/issues", "kind": "429",
                                "retry_after": 1}, timeout=10)
    now = 7200.5  # period 2 of the hourly entry
    [failed] = scheduler.tick_once(now)
    assert failed["status"] == "failed" and "list_issues" in failed["reason"] and failed["retry"] is False
    [still] = scheduler.tick_once(now + 1)  # next tick, same period: retried
    assert still["status"] == "failed" and still["retry"] is True
    requests.delete(faults, timeout=10)
    [retried] = scheduler.tick_once(now + 2)
    assert retried["status"] == "success" and retried["retry"] is True and retried["period"] == 2
    assert scheduler.tick_once(now + 3) == []  # done for this period
    scheduler.lock.release()
