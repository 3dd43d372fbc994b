"""Automation endpoints (registered only with AUTOMATION_ENABLED=true; otherwise they answer 404):

- POST /automation/webhook      a Gitea delivery: signature, replay, size, JSON, policy, then queued
- POST /automation/jobs/run     an authenticated caller runs one job now and gets its run record
- GET  /automation/jobs/runs    the kept run records, newest first
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import ValidationError

from app.audit.events import CORRELATION_HEADER, AuditContext, correlation_id_from, tool_invocation
from app.auth.authenticator import EXTENSION as AUTH_EXTENSION
from app.auth.principal import WRITE_SCOPE, Principal
from app.automation import EXTENSION, Automation
from app.automation.webhooks import DELIVERY_ID, KNOWN_EVENTS, Delivery, jobs_for, repository_of, signature_valid
from app.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized
from app.json_codec import decode
from app.logging import current_request_id
from app.tools.call import InsufficientScope, ToolCall
from app.tools.execution import execute_tool
from schemas.automation import RunJobArgs, RunsQuery

bp = Blueprint("automation", __name__, url_prefix="/automation")
JOB_PARAMS = ("source", "stale_days", "page_size", "ref")


def automation() -> Automation:
    service: Automation = current_app.extensions[EXTENSION]
    return service


def header(*names: str) -> str:
    return next((request.headers.get(name, "") for name in names if request.headers.get(name)), "")


def refuse(service: Automation, error: Exception, kind: str, **details: Any) -> Exception:
    """Audit a refused delivery (security_event) and hand back the error to raise."""
    context = AuditContext(request_id=current_request_id(), principal="gitea-webhook")
    service.record_security(kind, context, delivery=header("X-Gitea-Delivery", "X-GitHub-Delivery")[:128] or None,
                            event=header("X-Gitea-Event", "X-GitHub-Event")[:64] or None,
                            remote_addr=request.remote_addr, reason=str(error), **details)
    return error


def read_limited(limit: int) -> bytes | None:
    """The raw body, or None when it is longer than `limit` (chunked bodies included)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


def signatures() -> dict[str, str]:
    return {name: request.headers.get(name, "") for name in ("X-Gitea-Signature", "X-Hub-Signature-256")}


def signed_bytes(body: bytes) -> bytes:
    """What Gitea signed: the body, or for a form-encoded hook the `payload` field's JSON."""
    if request.mimetype == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10).get("payload", [""])
        return values[0].encode()
    return body


@bp.post("/webhook")
def webhook() -> tuple[Response, int]:
    service = automation()
    settings = service.settings
    limit = min(settings.automation_webhook_max_bytes, settings.max_request_bytes)
    body = read_limited(limit)
    if body is None:
        raise refuse(service, PayloadTooLarge(f"The webhook body is larger than {limit} bytes "
                                              "(AUTOMATION_WEBHOOK_MAX_BYTES)."), "webhook_too_large")
    payload_bytes = signed_bytes(body)
    if not signature_valid(settings.automation_webhook_secret.reveal(), payload_bytes, signatures()):
        raise refuse(service, _unauthorized(), "webhook_bad_signature")
    delivery_id = header("X-Gitea-Delivery", "X-GitHub-Delivery", "X-Gogs-Delivery")
    if not DELIVERY_ID.match(delivery_id):
        raise refuse(service, BadRequest("X-Gitea-Delivery is missing or malformed."), "webhook_bad_delivery_id")
    if not service.first_delivery(delivery_id):
        raise refuse(service, Conflict(f"Delivery {delivery_id} was already received; a replay is ignored."),
                     "webhook_replay")
    try:
        payload = decode(payload_bytes)
    except ValueError:
        raise refuse(service, BadRequest("The webhook body is not valid JSON."), "webhook_bad_json") from None
    if not isinstance(payload, dict):
        raise refuse(service, BadRequest("The webhook body must be a JSON object."), "webhook_bad_json")
    event = header("X-Gitea-Event", "X-GitHub-Event", "X-Gogs-Event")[:64]
    repository = repository_of(payload)
    context = AuditContext(request_id=current_request_id(), correlation_id=delivery_id, principal="gitea-webhook")
    if event not in KNOWN_EVENTS:
        service.record_security("webhook_event_ignored", context, "info", delivery=delivery_id, event=event,
                                repository=repository)
        return jsonify(status="ignored", delivery=delivery_id, event=event, reason="event not handled"), 202
    if repository is None:
        raise refuse(service, BadRequest("The payload names no repository (repository.full_name)."),
                     "webhook_no_repository")
    denial = service.policy_denial("automation_webhook", repository)
    if denial is not None:
        raise refuse(service, Forbidden(f"Denied by policy: {denial[0]}."), "webhook_denied", repository=repository,
                     rule=denial[1])
    delivery = Delivery(delivery_id, event, header("X-Gitea-Event-Type")[:64] or event, repository, payload)
    queued = [service.enqueue(job, repository, "webhook", delivery=delivery_id, event=event)
              for job in jobs_for(delivery)]
    service.audit_event(tool_invocation(context, tool="automation_webhook", repository=repository,
                                   arguments={"event": event, "event_type": delivery.event_type,
                                              "action": payload.get("action"), "queued": [q["job"] for q in queued]},
                                   decision="allow", status="accepted"), False)
    return jsonify(status="accepted", delivery=delivery_id, event=event, repository=repository,
                   queued=[q["job"] for q in queued]), 202


def _unauthorized() -> Exception:
    return Unauthorized("The webhook signature is missing or wrong (X-Gitea-Signature, HMAC-SHA256 of the body "
                        "with AUTOMATION_WEBHOOK_SECRET).")


def caller() -> Principal:
    """The authenticated caller; a signed-in user (OAuth, also in service-PAT mode) needs write:repository
    (jobs act on the repository); API keys are the operator's own credentials."""
    principal = current_app.extensions[AUTH_EXTENSION].authenticate(request.headers.get("Authorization"))
    if principal.kind not in ("api_key", "anonymous") and not principal.has_scope(WRITE_SCOPE):
        raise InsufficientScope(automation().settings, WRITE_SCOPE)
    return principal


def body_json() -> dict[str, Any]:
    try:
        value = decode(request.get_data(cache=False))
    except ValueError:
        raise BadRequest("The body must be a JSON object.") from None
    if not isinstance(value, dict):
        raise BadRequest("The body must be a JSON object.")
    return value


@bp.post("/jobs/run")
def run_job() -> tuple[Response, int]:
    principal = caller()
    try:
        args = RunJobArgs().load(body_json())
    except ValidationError as exc:
        raise BadRequest("Invalid job request.", details={"fields": exc.messages}) from None
    correlation = correlation_id_from(request.headers.get(CORRELATION_HEADER))
    params = {key: args[key] for key in JOB_PARAMS if key in args}
    record = automation().run(args["job"], args["owner"], args["repo"], principal=principal, trigger="api",
                              dry_run=args["dry_run"], params=params, correlation_id=correlation)
    if record["status"] == "denied":
        raise Forbidden(record["reason"], details={"run": record})
    response = jsonify(record)
    response.headers[CORRELATION_HEADER] = correlation
    return response, 200


@bp.get("/jobs/runs")
def list_runs() -> Response:
    principal = caller()
    try:
        query = RunsQuery().load(request.args.to_dict())
    except ValidationError as exc:
        raise BadRequest("Invalid query.", details={"fields": exc.messages}) from None
    if bool(query.get("owner")) != bool(query.get("repo")):
        raise BadRequest("Give both owner and repo, or neither.")
    repository = f"{query['owner']}/{query['repo']}" if query.get("owner") else None
    if principal.kind == "oauth":
        if repository is None:
            raise BadRequest("OAuth callers read the runs of one repository: give owner and repo.")
        readable(principal, query["owner"], query["repo"])
    return jsonify(runs=automation().runs(repository, query["limit"]))


def readable(principal: Principal, owner: str, repo: str) -> None:
    """An OAuth caller sees a repository's runs only if they may read the repository (asked through the core)."""
    service = automation()
    call = ToolCall(principal, "get_repository_info", {"owner": owner, "repo": repo},
                    correlation_id_from(None), transport="automation")
    if execute_tool(service.runtime, call).is_error:
        raise NotFound(f"No repository {owner}/{repo} that you may read.")
