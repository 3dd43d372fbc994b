"""Gitea Actions: runs, jobs, job logs and reruns (routers/api/v1/repo/actions*.go, services/convert)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from tests.emulator.actions import NEVER, Job, Run, job_log
from tests.emulator.auth import current_login
from tests.emulator.errors import GiteaError, not_found
from tests.emulator.model import Repository, iso
from tests.emulator.paging import page_and_limit, page_slice, with_paging_headers
from tests.emulator.repo_access import readable_repo, store, world, writable_repo

bp = Blueprint("gitea_actions", __name__)
RUNNER = "gitea-runner"
# The `status` filter of the run list (routers/api/v1/shared/action.go convertToInternal): state or result names.
STATUS_FILTER = {
    "pending": ("status", ("pending", "waiting")), "waiting": ("status", ("pending", "waiting")),
    "requested": ("status", ("pending", "waiting")), "action_required": ("status", ("pending", "waiting")),
    "queued": ("status", ("queued",)), "in_progress": ("status", ("in_progress",)),
    "completed": ("status", ("completed",)), "success": ("conclusion", ("success",)),
    "failure": ("conclusion", ("failure",)), "skipped": ("conclusion", ("skipped",)),
    "neutral": ("conclusion", ("skipped",)), "cancelled": ("conclusion", ("cancelled",)),
    "timed_out": ("conclusion", ("cancelled",)),
}


def _time(moment: datetime) -> str:
    """A zero time marshals as 1970-01-01T00:00:00Z, never null."""
    return iso(moment) or iso(NEVER) or ""


def _run_url(repo: Repository, run: Run) -> str:
    return f"{store().root_url}api/v1/repos/{repo.full_name}/actions/runs/{run.id}"


def render_run(repo: Repository, run: Run) -> dict[str, Any]:
    """ActionWorkflowRun as convert.ToActionWorkflowRun builds it."""
    render, url = world().render, _run_url(repo, run)
    previous = f"{url}/attempts/{run.attempt - 1}" if run.attempt > 1 else None
    return {
        "id": run.id, "url": url, "previous_attempt_url": previous,
        "html_url": f"{store().root_url}{repo.full_name}/actions/runs/{run.number}", "run_number": run.number,
        "run_attempt": run.attempt, "event": run.event, "display_title": run.title, "head_branch": run.branch,
        "head_sha": run.sha, "status": run.status, "conclusion": run.conclusion,
        "path": f"{run.workflow}@refs/heads/{run.branch}", "started_at": _time(run.started),
        "completed_at": _time(run.stopped), "repository_id": repo.id,
        "repository": render.repo(repo, current_login()), "trigger_actor": render.user(run.actor),
        "actor": render.user(run.actor), "pull_requests": [],
    }


def render_job(repo: Repository, run: Run, job: Job) -> dict[str, Any]:
    """ActionWorkflowJob: steps numbered from 0, never-started times as 1970."""
    url = f"{store().root_url}api/v1/repos/{repo.full_name}/actions/jobs/{job.id}"
    steps = [{"name": s.name, "number": n, "status": "completed" if s.conclusion else "queued",
              "conclusion": s.conclusion, "started_at": _time(s.started), "completed_at": _time(s.stopped)}
             for n, s in enumerate(job.steps)]
    return {
        "id": job.id, "url": url, "html_url": f"{store().root_url}{repo.full_name}/actions/runs/{run.number}/jobs/"
        f"{job.id}", "run_id": run.id, "run_url": _run_url(repo, run), "name": job.name, "labels": ["ubuntu-latest"],
        "run_attempt": job.attempt, "head_sha": run.sha, "head_branch": run.branch, "status": job.status,
        "conclusion": job.conclusion, "runner_id": 1 if job.task_id else 0,
        "runner_name": RUNNER if job.task_id else "", "steps": steps, "created_at": _time(job.created),
        "started_at": _time(job.started), "completed_at": _time(job.stopped),
    }


def _run(repo: Repository, run_id: int) -> Run:
    found = next((r for r in repo.runs if r.id == run_id), None)
    if found is None:
        raise not_found("run not found")
    return found


def _job(repo: Repository, job_id: int) -> tuple[Run, Job]:
    """A job of this repository; another repository's job id is 404 too."""
    for run in repo.runs:
        for job in run.jobs:
            if job.id == job_id:
                return run, job
    raise not_found("job not found")


def _status_ok(run: Run) -> bool:
    """Any of the repeated `status` values matches; an unknown one is 400 like Gitea's."""
    wanted = request.args.getlist("status")
    for status in wanted:
        if status not in STATUS_FILTER:
            raise GiteaError(400, f"Invalid status {status}")
    return not wanted or any(getattr(run, STATUS_FILTER[s][0]) in STATUS_FILTER[s][1] for s in wanted)


def _matches(run: Run) -> bool:
    args = request.args
    return (_status_ok(run) and args.get("branch", run.branch) == run.branch
            and args.get("event", run.event) == run.event and args.get("actor", run.actor) == run.actor
            and args.get("head_sha", run.sha) == run.sha)


@bp.get("/repos/<owner>/<repo>/actions/runs")
def list_runs(owner: str, repo: str) -> Response:
    """{total_count, workflow_runs}, newest first, with X-Total-Count and Link like other lists."""
    found = readable_repo(owner, repo)
    page, limit = page_and_limit()
    runs = sorted((r for r in found.runs if _matches(r)), key=lambda r: -r.id)
    body = {"workflow_runs": [render_run(found, r) for r in page_slice(runs, page, limit)], "total_count": len(runs)}
    return with_paging_headers(jsonify(body), len(runs), page, limit)


@bp.get("/repos/<owner>/<repo>/actions/runs/<int:run>")
def get_run(owner: str, repo: str, run: int) -> Response:
    found = readable_repo(owner, repo)
    return jsonify(render_run(found, _run(found, run)))


@bp.get("/repos/<owner>/<repo>/actions/runs/<int:run>/jobs")
def list_run_jobs(owner: str, repo: str, run: int) -> Response:
    """{total_count, jobs} in the workflow's order."""
    found = readable_repo(owner, repo)
    this = _run(found, run)
    page, limit = page_and_limit()
    jobs = [render_job(found, this, j) for j in page_slice(this.jobs, page, limit)]
    return with_paging_headers(jsonify({"jobs": jobs, "total_count": len(this.jobs)}), len(this.jobs), page, limit)


@bp.get("/repos/<owner>/<repo>/actions/jobs/<job_id>")
def get_job(owner: str, repo: str, job_id: str) -> Response:
    found = readable_repo(owner, repo)
    if not job_id.isdigit():
        raise GiteaError(400, "invalid job id")
    run, job = _job(found, int(job_id))
    return jsonify(render_job(found, run, job))


@bp.get("/repos/<owner>/<repo>/actions/jobs/<int:job_id>/logs")
def job_logs(owner: str, repo: str, job_id: int) -> Response:
    """The stored log file as text/plain with its length, as an attachment (common.DownloadActionsRunJobLogs)."""
    found = readable_repo(owner, repo)
    run, job = _job(found, job_id)
    if not job.task_id:
        raise not_found("job not started")
    body = job_log(job, RUNNER)
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{run.workflow.split(".")[0]}-{job.name}-' \
                                              f'{job.task_id}.log"'
    return response


def _rerunnable(owner: str, repo: str, run_id: int) -> tuple[Repository, Run]:
    found = writable_repo(owner, repo)
    run = _run(found, run_id)
    if not run.done:
        raise GiteaError(409, "this workflow run is not done")
    return found, run


def _restart(run: Run, jobs: list[Job]) -> None:
    """A new attempt: the run and the chosen jobs go back to the queue."""
    run.attempt += 1
    run.status, run.conclusion, run.stopped = "queued", "", NEVER
    for job in jobs:
        job.attempt, job.status, job.conclusion = run.attempt, "queued", ""


@bp.post("/repos/<owner>/<repo>/actions/runs/<int:run>/rerun")
def rerun(owner: str, repo: str, run: int) -> Response:
    found, this = _rerunnable(owner, repo, run)
    with store().lock:
        _restart(this, this.jobs)
    response = jsonify(render_run(found, this))
    response.status_code = 201
    return response


@bp.post("/repos/<owner>/<repo>/actions/runs/<int:run>/rerun-failed-jobs")
def rerun_failed(owner: str, repo: str, run: int) -> Response:
    """201 with an empty body; a run without failed jobs is 400 (nothing to rerun)."""
    _, this = _rerunnable(owner, repo, run)
    failed = [j for j in this.jobs if j.conclusion in ("failure", "cancelled")]
    if not failed:
        raise GiteaError(400, "this workflow run has no failed jobs")
    with store().lock:
        _restart(this, failed)
    return Response(status=201)
