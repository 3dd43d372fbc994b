"""The single tool-execution path every transport uses: look up, validate, authorize, run, shape, record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import ValidationError

from app.audit.chain import AuditWriteError
from app.audit.events import access_denied, flow_event, tool_invocation
from app.auth.pat_mode import RepositoryPermissions
from app.errors import AegisError
from app.gitea.errors import GiteaError
from app.logging import log_event
from app.safety.inbound import check_inbound, refusal_message
from app.safety.secrets import sanitize_value
from app.safety.text import model_text
from app.store.base import StoreUnavailable
from app.tools.call import (
    InsufficientScope,
    ToolCall,
    ToolCancelled,
    ToolFailure,
    ToolResult,
    ToolRuntime,
    UnknownTool,
    UpstreamUnauthorized,
)
from app.tools.failures import upstream_failure
from app.tools.flow_guard import CONFIRMATION_SCHEMA, FlowViolation, flow_violation, record_read
from app.tools.registry import Tool
from app.tools.shaping import FENCE_TAG, fence_note, mark_untrusted, new_fence_nonce, without_hidden_markdown
from app.tools.tool_metrics import record_tool_call

CORRELATION_META = "io.aegis/correlationId"
log = logging.getLogger("aegis.tools")

__all__ = [
    "InsufficientScope",
    "ToolCall",
    "ToolCancelled",
    "ToolFailure",
    "ToolResult",
    "ToolRuntime",
    "UnknownTool",
    "UpstreamUnauthorized",
    "execute_tool",
]


AUDIT_REFUSAL = ToolResult.error(
    "The audit log cannot be written, so this call was refused; tell the operator.", "audit_unavailable"
)


@dataclass(frozen=True)
class Denial:
    """Why a call may not run, and the rule that said so (for the audit log)."""

    reason: str
    rule: str
    event: dict[str, Any] | None = None  # the audit entry when it is not a plain access_denied (flow_denied)


def execute_tool(runtime: ToolRuntime, call: ToolCall) -> ToolResult:
    """Run one tool call (the transport built `call`; `runtime` is the process's, built in create_app).

    Raises UnknownTool (JSON-RPC -32602), InsufficientScope (HTTP 403 step-up) and
    UpstreamUnauthorized (HTTP 401 invalid_token); every other failure is an isError result.
    """
    # Outside what the operator serves or the connection selected: unknown (automation jobs: only the latter).
    tool = runtime.catalog.offered(call.name, call.selection, internal=call.internal)
    if tool is None:
        raise UnknownTool(call.name)
    started = time.perf_counter()
    result = ToolResult.error("interrupted", "internal_error")
    try:
        result = _run(call.bind(runtime, tool, None))
    except AegisError as exc:
        result = ToolResult.error(exc.message, exc.code)
        raise
    finally:
        record_tool_call(tool.name, result.status, time.perf_counter() - started)
    # An error text may quote Gitea or name repository things (unknown-label refusals list the labels).
    text = model_text(result.text) if result.is_error else result.text
    return replace(result, text=text, meta={**(result.meta or {}), CORRELATION_META: call.correlation_id})


def _run(call: ToolCall) -> ToolResult:
    try:
        args = validate_arguments(call.tool, call.arguments)
    except ValidationError as exc:
        invalid = Denial(validation_message(call.tool, exc), "arguments")
        return _refuse(call, arguments=call.arguments, denial=invalid, status="invalid_arguments")
    call = call.bind(call.runtime, call.tool, repository_of(args))
    try:
        refusal = authorize(call, args)
    except InsufficientScope as exc:
        _refuse(call, arguments=args, denial=Denial(exc.message, "scope"), status="denied")
        raise
    if refusal is not None:
        return _refuse(call, arguments=args, denial=refusal, status="denied")
    return _audited(call, args)


def scope_challenge(runtime: ToolRuntime, call: ToolCall) -> None:
    """Raise InsufficientScope now if execute_tool would: transports call this before they open a
    stream, because a 403 step-up cannot be sent once a 200 SSE response has started. The gates are
    authorize()'s own, in its order."""
    tool = runtime.catalog.offered(call.name, call.selection, internal=call.internal)
    if tool is None or call.principal.has_scope(tool.scope):
        return
    try:
        args = validate_arguments(tool, call.arguments)
    except ValidationError:
        return  # the call itself answers with the validation error
    if gate_before_scope(call.bind(runtime, tool, repository_of(args))) is not None:
        return  # refused by an earlier gate, which no scope can open
    raise InsufficientScope(runtime.settings, tool.scope)


def repository_of(args: dict[str, Any]) -> str | None:
    """'owner/repo' when the tool works on one repository."""
    if isinstance(args.get("owner"), str) and isinstance(args.get("repo"), str):
        return f"{args['owner']}/{args['repo']}"
    return None


def validate_arguments(tool: Tool, arguments: Any) -> dict[str, Any]:
    """Arguments loaded by the tool's schema; raises marshmallow.ValidationError."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ValidationError({"arguments": ["Must be a JSON object."]})
    loaded: dict[str, Any] = tool.argument_schema.load(arguments)
    return loaded


def validation_message(tool: Tool, error: ValidationError) -> str:
    """'Invalid arguments for X: field: problem; ...' naming every bad field."""
    messages = error.messages if isinstance(error.messages, dict) else {"arguments": error.messages}
    problems = "; ".join(f"{name}: {' '.join(_flatten(msgs))}" for name, msgs in messages.items())
    return f"Invalid arguments for {tool.name}: {problems}; see the tool's inputSchema."


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [f"{k}: {' '.join(_flatten(v))}" for k, v in messages.items()]
    if isinstance(messages, list):
        return [m for item in messages for m in _flatten(item)]
    return [str(messages).rstrip(".")]


def authorize(call: ToolCall, args: dict[str, Any]) -> Denial | None:
    """Why the call may not run, or None. Gates in order: write mode, write whitelist, scope, policy,
    PAT check, inbound secrets (the audit record, the last gate, is written by _audited).

    Write mode and the whitelist come before scope: no scope can open them, so a step-up would mislead.
    """
    refusal = gate_before_scope(call)
    if refusal is not None:
        return refusal
    if not call.principal.has_scope(call.tool.scope):
        raise InsufficientScope(call.runtime.settings, call.tool.scope)
    return (policy_denial(call, args) or repository_permission_denial(call) or flow_denial(call, args)
            or inbound_secret_denial(call, args))


def flow_denial(call: ToolCall, args: dict[str, Any]) -> Denial | None:
    """The toxic-flow guard (app.tools.flow_guard): enforce refuses unless the user confirms the flow when the
    client can be asked; warn audits flow_warned and lets the write go."""
    violation = flow_violation(call)
    if violation is None:
        return None
    if call.runtime.settings.flow_guard == "warn":
        return audited_flow(call, args, violation, "warned")
    if call.ask_user is not None and user_confirms(call.ask_user, call.tool.name, violation):
        return audited_flow(call, args, violation, "confirmed")
    event = flow_record(call, args, violation, "denied")
    return Denial(violation.reason(True), "flow_guard", event)


def user_confirms(ask: Callable[[str, dict[str, Any]], Any], tool: str, violation: FlowViolation) -> bool:
    """Ask through MCP elicitation; only an explicit accept with allow=true confirms."""
    answer = ask(violation.question(tool), CONFIRMATION_SCHEMA)
    if not isinstance(answer, dict) or answer.get("action") != "accept":
        return False
    content = answer.get("content")
    return isinstance(content, dict) and content.get("allow") is True


def audited_flow(call: ToolCall, args: dict[str, Any], violation: FlowViolation, outcome: str) -> Denial | None:
    """A flagged write that goes ahead (warned or confirmed), audited first: no audit, no write."""
    try:
        _audit(call.runtime, call.tool, flow_record(call, args, violation, outcome))
    except AuditWriteError:
        return Denial("The audit log cannot be written, so this flagged write was refused; tell the operator.",
                      "audit_unavailable")
    return None


def flow_record(call: ToolCall, args: dict[str, Any], violation: FlowViolation, outcome: str) -> dict[str, Any]:
    sink, sources = violation.audit_fields()
    return flow_event(call.audit_context(), outcome=outcome, tool=call.tool.name, sink=sink, sources=sources,
                      arguments=args, reason=violation.reason(outcome == "denied"))


def gate_before_scope(call: ToolCall) -> Denial | None:
    """Write mode, then the write whitelist: the gates no scope can open."""
    tool = call.tool
    if tool.is_write and not call.runtime.settings.write_mode:
        return Denial(f"{tool.name} is a write tool and write mode is disabled on this server (WRITE_MODE=false).",
                      "write_mode")
    return write_whitelist_denial(call)


def write_whitelist_denial(call: ToolCall) -> Denial | None:
    settings = call.runtime.settings
    if not call.tool.is_write or settings.write_allow_all_token_repos or call.repository is None:
        return None
    if call.repository.lower() in {entry.lower() for entry in settings.write_repository_whitelist}:
        return None
    return Denial(f"Writes to {call.repository} are not allowed: it is not in WRITE_REPOSITORY_WHITELIST.",
                  "write_repository_whitelist")


def inbound_secret_denial(call: ToolCall, args: dict[str, Any]) -> Denial | None:
    """A write carrying a credential in any text argument is refused before it reaches Gitea."""
    if not call.tool.is_write:
        return None
    found = check_inbound(args, call.runtime.settings.secret_detection_mode)
    return Denial(f"Inbound secret check: {refusal_message(found)}", "inbound_secrets") if found else None


def policy_denial(call: ToolCall, args: dict[str, Any]) -> Denial | None:
    """Ask the policy engine (app.policy) about tool, repository and path."""
    policy = call.policy
    if policy is None:
        return None
    path = args.get(call.tool.path_argument) if call.tool.path_argument else None
    targets = call.tool.policy_targets(args) if call.tool.policy_targets else ()
    own = (call.tool.name, path or None, call.tool.path_namespace)  # a file path or a wiki page title
    for name, target, namespace in (own, *((name, target, "files") for name, target in targets)):
        decision = policy.decide(name, call.tool.is_write, call.repository, target, namespace)
        if not decision.allowed:
            return Denial(f"Denied by policy: {decision.reason}.", decision.rule)
    return None


def repository_permission_denial(call: ToolCall) -> Denial | None:
    """Service-PAT mode seam (issue 6): the caller's own Gitea permission on the repository.

    A tool on no one repository runs with the PAT and is filtered afterwards (`caller_view`); one that
    does not say what it lists cannot be filtered, so it is refused rather than show the PAT's view.
    """
    check = call.runtime.repository_permission
    if check is None:
        return None
    if call.repository is not None:
        reason = check(call.principal, call.tool, call.repository)
        return Denial(reason, "repository_permission") if reason else None
    if _acts_with_pat(call) and call.tool.lists is None:
        return Denial(f"{call.tool.name} cannot be limited to what {call.principal.login} may see "
                      "while this server calls Gitea with its service token.", "repository_permission")
    return None


def _acts_with_pat(call: ToolCall) -> bool:
    seam = call.runtime.repository_permission
    return isinstance(seam, RepositoryPermissions) and seam.acts_for(call.principal)


def caller_view(call: ToolCall, structured: dict[str, Any]) -> dict[str, Any]:
    """Service-PAT mode: a repository or organization list made with the PAT, cut to what the user may see.

    The total is dropped: it counts the PAT owner's entries, which would tell how many are hidden.
    """
    seam = call.runtime.repository_permission
    listing = call.tool.lists
    if call.repository is not None or listing is None or not isinstance(seam, RepositoryPermissions):
        return structured
    if not seam.acts_for(call.principal) or not isinstance(structured.get("items"), list):
        return structured
    kept = [entry for entry in structured["items"] if seam.visible(call.principal.login, listing, entry)]
    return {**structured, "items": kept, "total": None}


def _audited(call: ToolCall, args: dict[str, Any]) -> ToolResult:
    """Writes are audited before acting (a failed write refuses them); every call is audited with its outcome.

    A read whose outcome cannot be audited is withheld unless AUDIT_FAIL_MODE=open (the recorder decides);
    a write that already happened is still reported, since hiding it would mislead the client.
    """
    started = time.perf_counter()
    try:
        if call.tool.is_write:
            _audit(call.runtime, call.tool, _invocation(call, args, "pending"))
    except AuditWriteError:
        return AUDIT_REFUSAL
    result = _invoke(call, args)
    if not result.is_error or call.tool.is_write:
        result = labelled(call, args, result)  # a write's answer, even a refusal, can echo what Gitea holds
    done = not result.is_error or result.status == WRITTEN_UNSHOWN
    outcome, error = (success_status(args), None) if done else ("error", result.text)
    try:
        _audit(call.runtime, call.tool, _invocation(call, args, outcome, (time.perf_counter() - started) * 1000, error))
    except AuditWriteError:
        log.error("audit outcome write failed", extra={"tool": call.tool.name})
        return result if call.tool.is_write else AUDIT_REFUSAL
    return result


def labelled(call: ToolCall, args: dict[str, Any], result: ToolResult) -> ToolResult:
    """The result once the flow guard has its label; without the store it is withheld, unless it reports a write
    that happened (hiding that would mislead the client)."""
    try:
        record_read(call, result.structured)
    except StoreUnavailable:
        if call.tool.is_write and not result.is_error and args.get("dry_run") is not True:
            log.warning("flow label not stored: shared state unavailable", extra={"tool": call.tool.name})
            return result
        return ToolResult.error("The result was withheld: the flow guard could not record what it shows because "
                                "the shared state is unavailable; retry shortly.", "unavailable")
    return result


def success_status(args: dict[str, Any]) -> str:
    """A dry run wrote nothing, and its audit entry says so."""
    return "dry_run" if args.get("dry_run") is True else "success"


def _invoke(call: ToolCall, args: dict[str, Any]) -> ToolResult:
    try:
        call.check_cancelled()
        structured = call.tool.handler(bound_client(call), args, call)
    except ToolFailure as exc:
        return ToolResult.error(exc.message, exc.status)
    except ToolCancelled:
        return ToolResult.error("The call was cancelled before it finished.", "cancelled")
    except GiteaError as exc:
        return upstream_failure(call, exc, args)
    except AegisError:
        raise
    except Exception:  # a bug in one tool must become a result, not a dead connection
        log.exception("tool_handler_crashed", extra={"tool": call.tool.name, "request_id": call.request_id})
        return ToolResult.error(
            f"{call.tool.name} failed unexpectedly; quote request id {call.request_id}.", "internal_error"
        )
    return shaped(call, args, structured)


WRITTEN_UNSHOWN = "written_unshown"


def shaped(call: ToolCall, args: dict[str, Any], structured: dict[str, Any]) -> ToolResult:
    """The shaped result; for a write Gitea already accepted, a failure to shape still reports the write."""
    if not call.tool.is_write:
        return shape(call, caller_view(call, structured))
    try:
        return shape(call, caller_view(call, structured))
    except Exception:  # the write happened: an error here must not read as "it failed, try again"
        log.exception("write_result_unshown", extra={"tool": call.tool.name, "request_id": call.request_id})
        return unshown_write(call, dry_run=args.get("dry_run") is True)


def unshown_write(call: ToolCall, *, dry_run: bool) -> ToolResult:
    """isError (no structuredContent can match the schema), but saying what happened and what not to do."""
    ids = f"request id {call.request_id}, correlation id {call.correlation_id}"
    if dry_run:
        return ToolResult.error(f"{call.tool.name}: the dry run finished but its result could not be shown; "
                                f"nothing was written. Quote {ids}.", "internal_error")
    return ToolResult.error(
        f"{call.tool.name}: the write WAS made in Gitea ({call.repository}), but its result could not be shown. "
        f"Do not repeat the call; look at the result with a read tool instead. Quote {ids}.", WRITTEN_UNSHOWN)


def bound_client(call: ToolCall) -> Any:
    """The process's Gitea client acting with the caller's upstream credentials."""
    if call.principal.upstream is None:
        raise ToolFailure("No Gitea credentials for this caller: the operator must set GITEA_TOKEN.", "misconfigured")
    return call.runtime.gitea.bind(call.principal.upstream)


def shape(call: ToolCall, structured: dict[str, Any]) -> ToolResult:
    """DESIGN's order: normalise (hidden markdown, invisible characters, fence-like tags), mask secrets,
    fence repository text, then render the text."""
    fields = call.tool.untrusted
    if call.runtime.settings.strip_html_comments:
        structured = without_hidden_markdown(structured, fields)
    structured = sanitize_output(call, structured)
    if not fields:
        return ToolResult(call.tool.render(structured), structured)
    nonce = new_fence_nonce()
    marked = mark_untrusted(structured, fields, repository=call.repository, max_chars=call.limits.chars,
                            nonce=nonce)
    text = call.tool.render(marked.shown)
    if marked.fenced and f"<{FENCE_TAG.format(nonce=nonce)} " in text:  # a renderer may not show every text
        text = f"{text}\n{fence_note(nonce)}"
    return ToolResult(text, marked.structured)


def sanitize_output(call: ToolCall, structured: dict[str, Any]) -> dict[str, Any]:
    """Every string as the model may read it (invisible characters out, they can hide a token from the
    scanner; fence-like tags escaped), then SECRET_DETECTION_MODE: one walk, always a fresh tree."""
    sanitized, findings = sanitize_value(structured, call.runtime.settings.secret_detection_mode, model_text)
    if findings:
        log_event(log, logging.INFO, "tool_output_secrets", tool=call.tool.name, count=len(findings),
                  kinds=sorted({finding.kind for finding in findings}), request_id=call.request_id)
    return sanitized


def _invocation(call: ToolCall, args: dict[str, Any], status: str, ms: float | None = None,
                error: str | None = None) -> dict[str, Any]:
    return tool_invocation(
        call.audit_context(), tool=call.tool.name, repository=call.repository,
        arguments=args, decision="allow", status=status, duration_ms=ms, error=error,
    )


def _refuse(call: ToolCall, *, arguments: Any, denial: Denial, status: str) -> ToolResult:
    """Audit a refused call (bad arguments or denied) and return the isError result."""
    args = arguments if isinstance(arguments, dict) else {}
    # access_denied masks the arguments (a refused write's text may hold the very secret it was refused for).
    event = denial.event or access_denied(call.audit_context(), tool=call.tool.name, repository=repository_of(args),
                                          arguments=args, reason=denial.reason, rule=denial.rule)
    try:
        _audit(call.runtime, call.tool, event)
    except AuditWriteError:
        log.error("audit write failed for a refused call", extra={"tool": call.tool.name})
    return ToolResult.error(denial.reason, status)


def _audit(runtime: ToolRuntime, tool: Tool, event: dict[str, Any]) -> None:
    if runtime.audit is not None:
        runtime.audit.record(event, is_write=tool.is_write)
    else:
        log_unrecorded(event)


def log_unrecorded(event: dict[str, Any]) -> None:
    """Without an audit recorder the event still reaches the JSON log."""
    fields = {key: value for key, value in event.items() if key != "event"}
    log_event(log, logging.INFO, str(event.get("event", "tool_event")), **fields)
