"""Gitea Actions rows (runs, jobs, steps) and job logs in Gitea's stored format, built from a seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# What Go's zero time.Time of a never-started job or step marshals as (timeutil.TimeStamp 0 -> 1970).
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


@dataclass
class Step:
    """One workflow step of a job (the API numbers them from 0)."""

    name: str
    conclusion: str  # success, failure, skipped, cancelled or "" (not done)
    started: datetime = NEVER
    stopped: datetime = NEVER
    lines: list[str] = field(default_factory=list)


@dataclass
class Job:
    """One job of a run; `task_id` 0 means no runner picked it up (its log is 404 "job not started")."""

    id: int
    name: str
    status: str  # queued, in_progress, completed, ...
    conclusion: str
    steps: list[Step]
    task_id: int = 0
    created: datetime = _EPOCH
    started: datetime = NEVER
    stopped: datetime = NEVER
    attempt: int = 1


@dataclass
class Run:
    """A workflow run (one trigger of one workflow file)."""

    id: int
    number: int
    workflow: str
    title: str
    event: str
    branch: str
    sha: str
    actor: str
    status: str
    conclusion: str
    jobs: list[Job]
    created: datetime = _EPOCH
    started: datetime = NEVER
    stopped: datetime = NEVER
    attempt: int = 1

    @property
    def done(self) -> bool:
        return self.status == "completed"


def log_time(moment: datetime) -> str:
    """Gitea's log timestamp: 2006-01-02T15:04:05.0000000Z07:00 in UTC, i.e. seven fraction digits and Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond * 10:07d}Z"


def job_log(job: Job, runner: str) -> bytes:
    """The log file of a job as Gitea stores and serves it: one `<timestamp> <content>` row per line.

    There is no step marker in it: act_runner reports each step's line range separately (step.LogIndex), which
    the API does not expose; a reader places lines in steps by their timestamps and the steps' times."""
    head = [f"{runner}(version:v0.2.11) received task {job.task_id} of job {job.id}, be triggered by event: push",
            "workflow prepared", "evaluating expression 'success()'", "expression 'success()' evaluated to 'true'",
            "\U0001f680  Start image=docker.gitea.com/runner-images:ubuntu-latest",
            "  \U0001f433  docker pull image=docker.gitea.com/runner-images:ubuntu-latest platform= username= "
            "forcePull=true"]
    rows = [(job.started + timedelta(milliseconds=40 * i), text) for i, text in enumerate(head)]
    for step in job.steps:
        span = max((step.stopped - step.started).total_seconds(), 1.0)
        rows += [(step.started + timedelta(seconds=span * i / max(len(step.lines), 1)), text)
                 for i, text in enumerate(step.lines)]
    ending = "\U0001f3c1  Job succeeded" if job.conclusion == "success" else "\U0001f3c1  Job failed"
    rows += [(job.stopped, f"Cleaning up container for job {job.name}"), (job.stopped, ending)]
    return "".join(f"{log_time(at)} {text}\n" for at, text in rows).encode()


def build_runs(next_id: Any, specs: list[dict[str, Any]], sha_of: Any) -> list[Run]:
    """Runs from seed entries, newest last; times are laid out from a fixed epoch so logs are reproducible."""
    runs = []
    for position, spec in enumerate(specs):
        start = _EPOCH + timedelta(hours=3 * position)
        jobs = [_job(next_id, item, start) for item in spec["jobs"]]
        started = [j.started for j in jobs if j.started != NEVER]
        stopped = [j.stopped for j in jobs if j.stopped != NEVER]
        runs.append(Run(
            next_id("action_run"), position + 1, spec["workflow"], spec["title"], spec.get("event", "push"),
            spec["branch"], sha_of(spec["branch"]), spec.get("actor", "alice"), spec["status"],
            spec.get("conclusion", ""), jobs, start, min(started, default=NEVER),
            max(stopped, default=NEVER) if spec["status"] == "completed" else NEVER,
        ))
    return runs


def _job(next_id: Any, spec: dict[str, Any], run_start: datetime) -> Job:
    """A job; its steps run one after the other, each for its seed's `seconds`."""
    job = Job(next_id("action_job"), spec["name"], spec["status"], spec.get("conclusion", ""), [],
              created=run_start)
    if spec["status"] in ("queued", "waiting", "pending"):
        job.steps = []
        return job
    job.task_id = next_id("action_task")
    job.started = run_start + timedelta(seconds=5)
    at = job.started + timedelta(seconds=3)
    for item in spec["steps"]:
        seconds = item.get("seconds", 2)
        stopped = at + timedelta(seconds=seconds)
        conclusion = item.get("conclusion", "success")
        if conclusion == "skipped":  # a skipped step never started: zero times, no lines
            job.steps.append(Step(item["name"], conclusion))
            continue
        job.steps.append(Step(item["name"], conclusion, at, stopped, list(item["lines"])))
        at = stopped + timedelta(seconds=1)
    job.stopped = at
    return job
