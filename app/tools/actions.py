"""Gitea Actions tools: CI runs and jobs, the part of a job log a question needs, and reruns."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from datetime import datetime
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaConflict, GiteaNotFound
from app.safety.secrets import default_scanner
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.job_logs import (
    ZERO_TIME,
    LogLine,
    Shown,
    StepClock,
    fitting_start,
    log_lines,
    read_first_error,
    read_grep,
    read_tail,
    read_window,
    render_lines,
)
from app.tools.registry import Tool, UntrustedField
from app.tools.shaping import list_envelope, more_hint, short_text, with_untrusted, within
from app.tools.writes import write_tool
from schemas import actions as s

DEFAULT_TAIL = 200
# A log is read up to this many times MAX_FILE_SIZE_BYTES (default 32 MiB); only the lines shown are kept.
LOG_SCAN_FACTOR = 32
JOBS_PAGE = 50
ERROR_BEFORE, ERROR_AFTER = 10, 40  # find_failing_step: about 50 lines around the first error marker
RUN_TEXTS = (short_text("title", "run titles (commit messages, pull request titles) in {repository}"),
             short_text("branch", "branch names in {repository}"))
LOG_TEXTS = (UntrustedField("content", (), "CI log of job {job_name} in {repository}", markdown=False),
             short_text("sections[].step", "workflow step names in {repository}"),
             short_text("job_name", "workflow job names in {repository}"))


def moment(raw: Mapping[str, Any], key: str) -> str | None:
    """A time, or None for Go's zero time (Gitea's never-started jobs and runs say 1970-01-01)."""
    value = p.maybe_text(raw, key)
    return value if value and value[:19] > ZERO_TIME else None


def duration(started: str | None, completed: str | None) -> int | None:
    if not started or not completed:
        return None
    seconds = datetime.fromisoformat(completed) - datetime.fromisoformat(started)
    return max(int(seconds.total_seconds()), 0)


def run_summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    started, completed = moment(raw, "started_at"), moment(raw, "completed_at")
    return {
        "id": p.number(raw, "id"), "run_number": p.number(raw, "run_number"), "attempt": p.number(raw, "run_attempt"),
        "workflow": p.text(raw, "path").split("@", 1)[0], "title": p.text(raw, "display_title"),
        "event": p.text(raw, "event"), "branch": p.text(raw, "head_branch"), "head_sha": p.text(raw, "head_sha"),
        "status": p.text(raw, "status"), "conclusion": p.maybe_text(raw, "conclusion") or None,
        "actor": p.login(p.maybe_mapping(raw, "actor")), "started_at": started, "completed_at": completed,
        "duration_seconds": duration(started, completed), "html_url": p.text(raw, "html_url"),
    }


def run_line(run: Mapping[str, Any]) -> str:
    result = run["conclusion"] or run["status"]
    took = f", {run['duration_seconds']} s" if run["duration_seconds"] is not None else ""
    return (f"- run {run['id']} (#{run['run_number']}) {run['workflow']} on {run['branch']} [{run['event']}]: "
            f"{result}{took} - {run['title']}")


def list_workflow_runs(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    raw = gitea.list_runs(args["owner"], args["repo"], status=args.get("status"), branch=args.get("branch"),
                          event=args.get("event"), page=args["page"], limit=args["limit"])
    runs = [run_summary(r) for r in p.items(raw, "workflow_runs") if isinstance(r, Mapping)]
    total = p.maybe_number(raw, "total_count")
    has_more = total is not None and args["page"] * args["limit"] < total
    return list_envelope(runs, page=args["page"], limit=args["limit"], has_more=has_more, total=total,
                         limits=call.limits)


def render_runs(out: dict[str, Any]) -> str:
    lines = [run_line(r) for r in out["items"]] or ["No workflow runs."]
    return "\n".join([*lines, more_hint(out)])


def job_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    started, completed = moment(raw, "started_at"), moment(raw, "completed_at")
    failed = [p.text(step, "name") for step in p.items(raw, "steps")
              if isinstance(step, Mapping) and p.text(step, "conclusion") == "failure"]
    return {"id": p.number(raw, "id"), "name": p.text(raw, "name"), "status": p.text(raw, "status"),
            "conclusion": p.maybe_text(raw, "conclusion") or None, "started_at": started, "completed_at": completed,
            "duration_seconds": duration(started, completed), "failed_steps": failed}


def get_workflow_run(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    run = run_summary(gitea.get_run(args["owner"], args["repo"], args["run_id"]))
    raw = gitea.list_run_jobs(args["owner"], args["repo"], args["run_id"], limit=JOBS_PAGE)
    jobs = [job_entry(j) for j in p.items(raw, "jobs") if isinstance(j, Mapping)][: call.limits.items]
    return {**run, "jobs": jobs, "jobs_total": p.maybe_number(raw, "total_count") or len(jobs)}


def job_line(job: Mapping[str, Any]) -> str:
    took = f", {job['duration_seconds']} s" if job["duration_seconds"] is not None else ""
    failed = f"; failed step: {', '.join(job['failed_steps'])}" if job["failed_steps"] else ""
    return f"- job {job['id']} {job['name']}: {job['conclusion'] or job['status']}{took}{failed}"


def render_run(out: dict[str, Any]) -> str:
    jobs = [job_line(j) for j in out["jobs"]] or ["No jobs."]
    more = [f"[{out['jobs_total'] - len(out['jobs'])} more jobs not shown]"] if out["jobs_total"] > len(jobs) else []
    hint = ["Read a job's log with get_job_log(job_id=...)."] if out["jobs"] else []
    return "\n".join([run_line(out)[2:], *jobs, *more, *hint])


class LogStream:
    """A job log's chunks, up to the scan limit; counts what it read, explains a missing log."""

    def __init__(self, gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall,
                 job: Mapping[str, Any]) -> None:
        self.limit = call.limits.file_bytes * LOG_SCAN_FACTOR
        self.job = job
        self.read = 0
        self._call = call
        self._chunks = gitea.job_log_chunks(args["owner"], args["repo"], p.number(job, "id"), self.limit)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._chunks:
                self._call.check_cancelled()  # a client that gave up stops a 32 MiB read at the next chunk
                self.read += len(chunk)
                yield chunk
        except GiteaNotFound:
            job = self.job
            raise ToolFailure(f"Job {p.number(job, 'id')} ({p.text(job, 'name')}, {p.text(job, 'status')}) has no "
                              "log: it has not started yet, or its log was cleaned up (Gitea's log retention).",
                              "not_found") from None

    @property
    def at_limit(self) -> bool:
        return self.read >= self.limit

    def close(self) -> None:
        """Stop reading: the rest of the log is drained off this thread or dropped with its connection."""
        self._chunks.close()


def clock_of(job: Mapping[str, Any]) -> StepClock:
    """The job's steps as a clock that places each log line."""
    return StepClock(step for step in p.items(job, "steps") if isinstance(step, Mapping))


def read_mode(args: dict[str, Any]) -> str:
    if args.get("grep") is not None:
        return "grep"
    if args.get("start_line") is not None:
        return "lines"
    return "full" if args.get("full") else "tail"


def read_log(lines: Iterator[LogLine], args: dict[str, Any], mode: str, chars: int) -> tuple[Shown, int | None]:
    if mode == "grep":
        return read_grep(lines, args["grep"], args["context"], chars)
    if mode == "lines":
        return read_window(lines, args["start_line"], args.get("end_line"), chars), None
    if mode == "full":
        return read_window(lines, 1, None, chars), None
    return read_tail(lines, args.get("tail") or DEFAULT_TAIL, chars), None


def log_fields(shown: Shown, clock: StepClock, truncation: str | None) -> dict[str, Any]:
    content, sections = render_lines(shown.lines, clock)
    return {
        "content": content, "sections": sections,
        "first_line": shown.lines[0].number if shown.lines else None,
        "last_line": shown.lines[-1].number if shown.lines else None,
        "total_lines": shown.total if shown.complete else None,
        "truncated": truncation is not None, "truncation": truncation,
    }


def continuation(shown: Shown, mode: str) -> str | None:
    """How to ask for what this answer did not show."""
    nxt = shown.lines[-1].number + 1 if shown.lines else 1
    if shown.cut and mode in ("lines", "full"):
        return f"{shown.cut}; call again with start_line={nxt} to continue."
    if shown.cut and mode == "grep":
        return f"{shown.cut}; call again with start_line={nxt} to read on, or a more specific grep."
    if shown.cut:
        first = shown.lines[0].number if shown.lines else shown.total
        return f"{shown.cut}; earlier lines: start_line={max(first - 100, 1)}, end_line={first - 1}."
    return None


def beyond_scan(stream: LogStream, shown: Shown) -> str | None:
    """Say so when the log went on past what one call reads (a tail is then the tail of its readable part)."""
    if not stream.at_limit:
        return None
    shown.complete = False
    return (f"The log is longer than the {stream.limit} bytes ({LOG_SCAN_FACTOR} x MAX_FILE_SIZE_BYTES) one call "
            "reads; lines past them cannot be shown here: open the job's page in Gitea for the rest.")


def row_masker(call: ToolCall) -> Callable[[str], str]:
    """SECRET_DETECTION_MODE on each whole row before it is cut or searched (a cut secret escapes the scanner)."""
    scanner, mode = default_scanner(), call.runtime.settings.secret_detection_mode
    return lambda text: scanner.apply(text, mode).text


def get_job_log(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Read the job (its steps place the lines), then only as much of its log as the mode needs."""
    job = gitea.get_job(args["owner"], args["repo"], args["job_id"])
    clock, mode = clock_of(job), read_mode(args)
    with closing(LogStream(gitea, args, call, job)) as stream:
        shown, matches = read_log(log_lines(stream, row_masker(call)), args, mode, call.limits.chars)
    if mode == "lines" and not shown.lines and shown.complete:
        raise ToolFailure(f"start_line {args['start_line']} is past the end of the log of job {args['job_id']} "
                          f"({shown.total} lines).", "invalid_arguments")
    hint = continuation(shown, mode) or beyond_scan(stream, shown)
    return {"job_id": p.number(job, "id"), "job_name": p.text(job, "name"), "status": p.text(job, "status"),
            "conclusion": p.maybe_text(job, "conclusion") or None, "mode": mode, "matches": matches,
            **log_fields(shown, clock, hint)}


def render_log(out: dict[str, Any]) -> str:
    span = f"lines {out['first_line']}-{out['last_line']}" if out["first_line"] else "no lines"
    total = f" of {out['total_lines']}" if out["total_lines"] is not None else ""
    found = f", {out['matches']} matches" if out["matches"] is not None else ""
    head = f"Log of job {out['job_id']} {out['job_name']} ({out['conclusion'] or out['status']}), {span}{total}{found}:"
    tail = [f"[truncated: {out['truncation']}]"] if out["truncated"] else []
    return "\n".join([head, out["content"], *tail])


def failed_jobs(gitea: BoundGiteaClient, args: dict[str, Any]) -> list[Mapping[str, Any]]:
    """The run's failed jobs in the workflow's order."""
    raw = gitea.list_run_jobs(args["owner"], args["repo"], args["run_id"], limit=JOBS_PAGE)
    return [j for j in p.items(raw, "jobs") if isinstance(j, Mapping) and p.text(j, "conclusion") == "failure"]


def others_note(jobs: list[Mapping[str, Any]]) -> str:
    """Name the failed jobs after the first, so a model knows there is more than one failure."""
    if len(jobs) < 2:
        return ""
    return " Other failed jobs: " + ", ".join(f"{p.text(j, 'name')} (job {p.number(j, 'id')})" for j in jobs[1:]) + "."


def failed_step_of(job: Mapping[str, Any]) -> str | None:
    steps = [s for s in p.items(job, "steps") if isinstance(s, Mapping)]
    return next((p.text(s, "name") for s in steps if p.text(s, "conclusion") == "failure"), None)


def no_failure(run: Mapping[str, Any]) -> dict[str, Any]:
    note = (f"Run {run['id']} has no failed job ({run['conclusion'] or run['status']}); "
            "see get_workflow_run for its jobs.")
    return {"run_id": run["id"], "run_status": run["status"], "run_conclusion": run["conclusion"], "job_id": None,
            "job_name": None, "failed_step": None, "error_line": None, "content": "", "sections": [],
            "first_line": None, "last_line": None, "total_lines": None, "truncated": False, "truncation": None,
            "note": note}


def find_failing_step(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """The first failed job's failed step, and about 50 lines around its first error marker."""
    run = run_summary(gitea.get_run(args["owner"], args["repo"], args["run_id"]))
    failed = failed_jobs(gitea, args)
    if not failed:
        return no_failure(run)
    job = failed[0]
    step = failed_step_of(job)
    clock = clock_of(job)
    with closing(LogStream(gitea, args, call, job)) as stream:
        shown, found = read_first_error(log_lines(stream, row_masker(call)), clock, step, ERROR_BEFORE, ERROR_AFTER)
    shown.lines = fitting_start(shown.lines, call.limits.chars)
    where = f"step {step!r}" if step else "the log"
    note = (f"First error marker in {where} at line {found}." if found else
            f"No error marker found in {where}: its last lines are shown.")
    more = f" More: get_job_log(job_id={p.number(job, 'id')}, start_line=...) or grep=..."
    return {"run_id": run["id"], "run_status": run["status"], "run_conclusion": run["conclusion"],
            "job_id": p.number(job, "id"), "job_name": p.text(job, "name"), "failed_step": step, "error_line": found,
            **log_fields(shown, clock, None), "note": note + others_note(failed) + more}


def render_failing_step(out: dict[str, Any]) -> str:
    if out["job_id"] is None:
        return out["note"]
    head = (f"Run {out['run_id']}: job {out['job_id']} {out['job_name']} failed"
            + (f" in step {out['failed_step']!r}" if out["failed_step"] else "") + ".")
    return "\n".join([head, out["content"], out["note"]])


def rerun_workflow_run(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    try:
        return run_summary(gitea.rerun_run(args["owner"], args["repo"], args["run_id"]))
    except GiteaConflict:
        raise still_running(args) from None


def rerun_failed_jobs(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    try:
        gitea.rerun_failed_jobs(args["owner"], args["repo"], args["run_id"])
    except GiteaConflict:
        raise still_running(args) from None
    note = f"The failed jobs of run {args['run_id']} are queued again; follow them with get_workflow_run."
    return {"id": args["run_id"], "rerun": True, "note": note}


def still_running(args: dict[str, Any]) -> ToolFailure:
    return ToolFailure(f"Run {args['run_id']} is not finished yet (409): a run can be rerun once it has completed.",
                       "upstream_conflict")


def render_rerun(run: dict[str, Any]) -> str:
    return f"Rerun started (attempt {run['attempt']}): {run_line(run)[2:]}\n{run['html_url']}"


TOOLS = (
    with_untrusted(Tool(
        name="list_workflow_runs",
        title="List workflow runs",
        description=(
            "List the CI (Gitea Actions) runs of a repository, newest first: id, workflow, branch, event, status or "
            "result and duration. Filter by status (queued, in_progress, success, failure, ...), branch or event."
        ),
        toolset="actions",
        arguments=s.ListWorkflowRunsArgs,
        output_schema=s.RUN_LIST,
        handler=list_workflow_runs,
        render=render_runs,
    ), *within("items[]", *RUN_TEXTS)),
    with_untrusted(Tool(
        name="get_workflow_run",
        title="Get workflow run",
        description="Get one CI run with its jobs: each job's id, result, duration and failed steps.",
        toolset="actions",
        arguments=s.GetWorkflowRunArgs,
        output_schema=s.RUN,
        handler=get_workflow_run,
        render=render_run,
    ), *RUN_TEXTS, short_text("jobs[].name", "workflow job names in {repository}"),
        short_text("jobs[].failed_steps[]", "workflow step names in {repository}")),
    with_untrusted(Tool(
        name="get_job_log",
        title="Get job log",
        description=(
            "Read part of a CI job's log, each line numbered and placed in its step: by default the last 200 "
            "lines (tail=N), or the lines containing a literal text with context (grep, context), or a line "
            "window (start_line, end_line), or from the start (full=true). Never more than MAX_TOOL_RESPONSE_CHARS; "
            "the answer says how to get more."
        ),
        toolset="actions",
        arguments=s.GetJobLogArgs,
        output_schema=s.JOB_LOG,
        handler=get_job_log,
        render=render_log,
    ), *LOG_TEXTS),
    with_untrusted(Tool(
        name="find_failing_step",
        title="Find failing step",
        description=(
            "For a failed CI run: the first failed job, its failed step, and about 50 log lines around the first "
            "error marker in it. The cheapest way to see why a run failed."
        ),
        toolset="actions",
        arguments=s.FindFailingStepArgs,
        output_schema=s.FAILING_STEP,
        handler=find_failing_step,
        render=render_failing_step,
    ), *LOG_TEXTS, short_text("failed_step", "workflow step names in {repository}")),
    with_untrusted(write_tool(
        name="rerun_workflow_run",
        title="Rerun workflow run",
        description="Run every job of a finished CI run again (a new attempt of the same run).",
        toolset="actions",
        arguments=s.RerunWorkflowRunArgs,
        output_schema=s.RUN_WRITTEN,
        handler=rerun_workflow_run,
        render=render_rerun,
    ), *RUN_TEXTS),
    write_tool(
        name="rerun_failed_jobs",
        title="Rerun failed jobs",
        description="Run only the failed jobs of a finished CI run again.",
        toolset="actions",
        arguments=s.RerunFailedJobsArgs,
        output_schema=s.RERUN_FAILED,
        handler=rerun_failed_jobs,
        render=lambda out: out["note"],
    ),
)
