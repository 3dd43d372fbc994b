"""Request bodies of the automation endpoints."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from schemas.common import NAME_PATTERN, RepoArgs

JOB_NAMES = ("stale_issue_detection", "dependency_hygiene_scan", "auto_issue_creation")


class RunJobArgs(RepoArgs):
    """POST /automation/jobs/run."""

    class Meta:
        unknown = RAISE

    job = fields.String(required=True, validate=validate.OneOf(JOB_NAMES),
                        metadata={"description": "The job to run now."})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "auto_issue_creation: show, write nothing."})
    source = fields.String(validate=validate.OneOf(JOB_NAMES[:2]),
                           metadata={"description": "auto_issue_creation: the job whose findings become the issue."})
    stale_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=36500),
                                metadata={"description": "stale_issue_detection: overrides AUTOMATION_STALE_DAYS."})
    page_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=50),
                               metadata={"description": "Items per page while listing (pagination runs to the end)."})
    ref = fields.String(validate=validate.Length(min=1, max=255),
                        metadata={"description": "dependency_hygiene_scan: a ref instead of the default branch."})


class RunsQuery(Schema):
    """GET /automation/jobs/runs."""

    class Meta:
        unknown = RAISE

    owner = fields.String(validate=validate.Regexp(NAME_PATTERN), metadata={"description": "Repository owner."})
    repo = fields.String(validate=validate.Regexp(NAME_PATTERN), metadata={"description": "Repository name."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))
