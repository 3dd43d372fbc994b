"""The scheduler: its own process (`flask --app wsgi automation scheduler`), a leader lock in the store,
and a tick loop. Only the leader ticks; every scheduled period is also claimed in the store, so even
during a hand-over between two leaders a period runs once.

Schedule file (AUTOMATION_SCHEDULE_FILE), YAML:

    jobs:
      - job: stale_issue_detection
        repository: acme/service-a
        every: 1d            # s, m, h, d (or a number of seconds)
      - job: auto_issue_creation
        repository: acme/service-a
        every: 6h
        params: {source: dependency_hygiene_scan}
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

from app.automation.jobs import JOBS
from app.automation.service import PREFIX, Automation
from app.logging import log_event
from app.store import StoreUnavailable

log = logging.getLogger("aegis.automation.scheduler")
LEADER_KEY = PREFIX + "leader"
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
FAILED = ("failed", "timed_out")


class ScheduleError(ValueError):
    """The schedule file is invalid; the message names every problem."""


@dataclass(frozen=True)
class ScheduleEntry:
    job: str
    repository: str
    every: float
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.job}:{self.repository.lower()}:{self.every:g}"


def parse_duration(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = DURATION.match(str(value))
        if not match:
            raise ValueError(f"every: {value!r} is not a duration like 30s, 15m, 6h or 1d")
        seconds = float(match.group(1)) * UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"every: {value!r} must be positive")
    return seconds


def parse_schedule(text: str) -> list[ScheduleEntry]:
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("jobs", []), list):
        raise ScheduleError("the schedule must be a mapping with a `jobs` list")
    entries, problems = [], []
    for number, item in enumerate(data.get("jobs", []), start=1):
        if not isinstance(item, dict):
            problems.append(f"jobs[{number}]: not a mapping")
            continue
        unknown = set(item) - {"job", "repository", "every", "params"}
        job, repository = item.get("job"), item.get("repository")
        if unknown:
            problems.append(f"jobs[{number}]: unknown keys {sorted(unknown)}")
        if job not in JOBS:
            problems.append(f"jobs[{number}].job: {job!r} is not one of {', '.join(JOBS)}")
        if not isinstance(repository, str) or not REPOSITORY.match(repository):
            problems.append(f"jobs[{number}].repository: {repository!r} is not owner/repo")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            problems.append(f"jobs[{number}].params: not a mapping")
        try:
            every = parse_duration(item.get("every"))
        except ValueError as exc:
            problems.append(f"jobs[{number}].{exc}")
            continue
        if not problems:
            entries.append(ScheduleEntry(str(job), str(repository), every, dict(params)))
    if problems:
        raise ScheduleError("; ".join(problems))
    return entries


def load_schedule(path: str | None) -> list[ScheduleEntry]:
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ScheduleError(f"cannot read {path}: {exc}") from exc
    return parse_schedule(text)


class LeaderLock:
    """`SET key owner NX PX ttl`, renewed by the holder every third of the TTL from its own thread."""

    def __init__(self, automation: Automation, ttl: float) -> None:
        self.store = automation.store
        self.ttl = ttl
        self.owner = f"{automation.instance}:{uuid.uuid4().hex[:8]}".encode()
        self._held = threading.Event()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._held.is_set()

    def try_acquire(self) -> bool:
        """Take the lock if it is free (or already ours); start renewing it."""
        try:
            if self.held and self.store.expire_if_equal(LEADER_KEY, self.owner, self.ttl):
                return True
            won = self.store.set_if_absent(LEADER_KEY, self.owner, ttl=self.ttl)
        except StoreUnavailable:
            won = False
        if won:
            self._held.set()
            log_event(log, logging.INFO, "scheduler_leader_acquired", owner=self.owner.decode())
            if self._renewer is None or not self._renewer.is_alive():
                self._renewer = threading.Thread(target=self._renew, name="aegis-leader-renew", daemon=True)
                self._renewer.start()
        else:
            self._held.clear()
        return won

    def _renew(self) -> None:
        while self._held.is_set() and not self._stop.wait(self.ttl / 3):
            try:
                renewed = self.store.expire_if_equal(LEADER_KEY, self.owner, self.ttl)
            except StoreUnavailable:
                renewed = False
            if not renewed:
                self._held.clear()
                log_event(log, logging.WARNING, "scheduler_leader_lost", owner=self.owner.decode())

    def release(self) -> None:
        self._stop.set()
        if self.held:
            with contextlib.suppress(StoreUnavailable):
                self.store.delete_if_equal(LEADER_KEY, self.owner)
        self._held.clear()


CATCH_UP_PERIODS = 5  # periods a busy leader runs late at most; older ones are skipped


class Scheduler:
    """The tick loop: the leader runs due entries (each period claimed once), retries failed ones on the
    next tick, and works the webhook queue."""

    def __init__(self, automation: Automation, schedule: list[ScheduleEntry]) -> None:
        settings = automation.settings
        self.automation = automation
        self.schedule = schedule
        self.tick = settings.automation_scheduler_tick_seconds
        self.lock = LeaderLock(automation, settings.automation_leader_ttl_seconds)
        self.stopping = threading.Event()
        self.seen: dict[str, int] = {}  # entry -> the last period this process ticked as leader

    def run_forever(self) -> None:
        store = self.automation.store
        if store.backend == "memory":
            log_event(log, logging.WARNING, "scheduler_memory_store",
                      message="the scheduler uses the in-memory store: run ONE scheduler process only, "
                              "and the web workers cannot see its runs; set REDIS_URL for several hosts")
        log_event(log, logging.INFO, "scheduler_started", entries=len(self.schedule), tick=self.tick,
                  lock_ttl=self.lock.ttl, instance=self.automation.instance, store=store.backend)
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                self.tick_once(time.time())
                self.stopping.wait(max(0.0, self.tick - (time.monotonic() - started)))
        finally:
            self.lock.release()
            log_event(log, logging.INFO, "scheduler_stopped", instance=self.automation.instance)

    def tick_once(self, now: float) -> list[dict[str, Any]]:
        if not self.lock.try_acquire():
            return []
        runs: list[dict[str, Any]] = []
        tick_number = int(now // self.tick)
        for entry in self.schedule:
            if not self.lock.held or self.stopping.is_set():
                break
            try:
                claimed = self._claims(entry, now, tick_number)
            except StoreUnavailable:
                log.error("scheduler cannot reach the store; skipping this tick")
                return runs
            for period, retry in claimed:
                runs.append(self._run(entry, period, retry))
        try:
            runs += self.automation.drain()
        except StoreUnavailable:
            log.error("scheduler cannot reach the store to work the queue")
        return runs

    def _claims(self, entry: ScheduleEntry, now: float, tick_number: int) -> list[tuple[int, bool]]:
        """(period, retry) of each run this process won the right to make now.

        The current period, and the ones that passed since this leader's last tick (a job that ran longer
        than its interval held the loop), at most CATCH_UP_PERIODS back: every period runs once, late
        rather than never. A period another leader claimed is not run again (the claim is in the store)."""
        store = self.automation.store
        period = int(now // entry.every)
        last = self.seen.get(entry.key)
        first = period if last is None else max(last + 1, period - CATCH_UP_PERIODS)
        self.seen[entry.key] = period
        ttl = max(entry.every * (CATCH_UP_PERIODS + 2), self.lock.ttl * 2)
        won = [(due, False) for due in range(first, period + 1)
               if store.set_if_absent(f"{PREFIX}claim:{entry.key}:{due}", self.lock.owner, ttl=ttl)]
        if won:
            return won
        retry = store.get(f"{PREFIX}retry:{entry.key}")
        if retry is not None and store.set_if_absent(f"{PREFIX}retry-claim:{entry.key}:{tick_number}",
                                                     self.lock.owner, ttl=self.lock.ttl * 2):
            return [(period, True)]
        return []

    def _run(self, entry: ScheduleEntry, period: int, retry: bool) -> dict[str, Any]:
        owner, _, repo = entry.repository.partition("/")
        record = self.automation.run(entry.job, owner, repo, trigger="schedule", params=entry.params,
                                     extra={"period": period, "retry": retry, "every": entry.every})
        retry_key = f"{PREFIX}retry:{entry.key}"
        try:
            if record["status"] in FAILED:
                self.automation.store.set(retry_key, record["id"].encode(), ttl=max(entry.every, self.tick * 10))
            else:
                self.automation.store.delete(retry_key)
        except StoreUnavailable:
            pass
        return record


def run_scheduler(automation: Automation) -> None:
    """Load the schedule and tick until SIGTERM/SIGINT."""
    scheduler = Scheduler(automation, load_schedule(automation.settings.automation_schedule_file))

    def stop(_signum: int, _frame: Any) -> None:
        scheduler.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.run_forever()
