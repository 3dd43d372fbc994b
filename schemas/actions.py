"""Arguments and outputs of the Gitea Actions tools (CI runs, jobs, logs, reruns)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import MAX_REF, RepoArgs, RepoPageArgs, check_ref, number_field
from schemas.shapes import BOOLEAN, INTEGER, NULLABLE_INTEGER, NULLABLE_STRING, STRING, STRINGS, array, envelope, obj
from schemas.write_fields import StrictBoolean, WriteArgs, written

RUN_STATUSES = ("pending", "queued", "in_progress", "waiting", "completed", "success", "failure", "cancelled",
                "skipped")
MAX_TAIL = 2000
MAX_CONTEXT = 20
MAX_NEEDLE = 200


class ListWorkflowRunsArgs(RepoPageArgs):
    status = fields.String(validate=validate.OneOf(RUN_STATUSES), metadata={
        "description": "Only runs in this state (queued, in_progress, completed, ...) or with this result "
                       "(success, failure, cancelled, skipped)."})
    branch = fields.String(validate=[validate.Length(min=1, max=MAX_REF), check_ref],
                           metadata={"description": "Only runs of this branch."})
    event = fields.String(validate=validate.Regexp(r"^[a-z_]{1,40}$", error="An event name such as push or "
                                                   "pull_request."),
                          metadata={"description": "Only runs triggered by this event (push, pull_request, ...)."})


class GetWorkflowRunArgs(RepoArgs):
    run_id = number_field("Run id (the `id` field of list_workflow_runs).")


class GetJobLogArgs(RepoArgs):
    job_id = number_field("Job id (the `jobs[].id` field of get_workflow_run).")
    tail = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_TAIL), metadata={
        "description": "The last N lines (the default: 200). One of tail, grep, start_line or full."})
    grep = fields.String(validate=validate.Length(min=1, max=MAX_NEEDLE), metadata={
        "description": "Lines containing this text (literal, case-insensitive; not a regex), with context."})
    context = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=0, max=MAX_CONTEXT),
                             metadata={"description": "Lines shown before and after each grep match."})
    start_line = fields.Integer(strict=True, validate=validate.Range(min=1),
                                metadata={"description": "First line of a window (1-based)."})
    end_line = fields.Integer(strict=True, validate=validate.Range(min=1),
                              metadata={"description": "Last line of the window (needs start_line)."})
    full = StrictBoolean(load_default=False, metadata={
        "description": "true: the whole log from line 1, cut at MAX_TOOL_RESPONSE_CHARS with where to go on."})

    @validates_schema
    def _one_mode(self, data: dict[str, Any], **kwargs: Any) -> None:
        modes = [name for name in ("tail", "grep", "start_line") if data.get(name) is not None]
        modes += ["full"] if data.get("full") else []
        if len(modes) > 1:
            raise ValidationError(f"Give one of tail, grep, start_line or full, not {' and '.join(modes)}.",
                                  field_name="arguments")
        if data.get("end_line") is not None and data.get("start_line") is None:
            raise ValidationError("end_line needs start_line.", field_name="end_line")
        if data.get("end_line") is not None and data["end_line"] < data["start_line"]:
            raise ValidationError("end_line must not be before start_line.", field_name="end_line")


class FindFailingStepArgs(RepoArgs):
    run_id = number_field("Run id (the `id` field of list_workflow_runs).")


class RerunWorkflowRunArgs(WriteArgs):
    run_id = number_field("Run id of a finished run.")


class RerunFailedJobsArgs(WriteArgs):
    run_id = number_field("Run id of a finished run with failed jobs.")


RUN_SUMMARY = obj({
    "id": INTEGER, "run_number": INTEGER, "attempt": INTEGER, "workflow": STRING, "title": STRING, "event": STRING,
    "branch": STRING, "head_sha": STRING, "status": STRING, "conclusion": NULLABLE_STRING, "actor": NULLABLE_STRING,
    "started_at": NULLABLE_STRING, "completed_at": NULLABLE_STRING, "duration_seconds": NULLABLE_INTEGER,
    "html_url": STRING,
})
JOB = obj({
    "id": INTEGER, "name": STRING, "status": STRING, "conclusion": NULLABLE_STRING, "started_at": NULLABLE_STRING,
    "completed_at": NULLABLE_STRING, "duration_seconds": NULLABLE_INTEGER, "failed_steps": STRINGS,
})
RUN_LIST = envelope(RUN_SUMMARY)
RUN = obj({**RUN_SUMMARY["properties"], "jobs": array(JOB), "jobs_total": INTEGER})
SECTION = obj({"step": STRING, "first_line": INTEGER, "last_line": INTEGER})
LOG_FIELDS: dict[str, Any] = {
    "content": STRING, "sections": array(SECTION), "first_line": NULLABLE_INTEGER, "last_line": NULLABLE_INTEGER,
    "total_lines": NULLABLE_INTEGER, "truncated": BOOLEAN, "truncation": NULLABLE_STRING,
}
JOB_LOG = obj({"job_id": INTEGER, "job_name": STRING, "status": STRING, "conclusion": NULLABLE_STRING,
               "mode": STRING, "matches": NULLABLE_INTEGER, **LOG_FIELDS})
FAILING_STEP = obj({"run_id": INTEGER, "run_status": STRING, "run_conclusion": NULLABLE_STRING,
                    "job_id": NULLABLE_INTEGER, "job_name": NULLABLE_STRING, "failed_step": NULLABLE_STRING,
                    "error_line": NULLABLE_INTEGER, **LOG_FIELDS, "note": NULLABLE_STRING})
RUN_WRITTEN = written(RUN_SUMMARY)
RERUN_FAILED = written(obj({"id": INTEGER, "rerun": BOOLEAN, "note": STRING}))  # id: the run's
