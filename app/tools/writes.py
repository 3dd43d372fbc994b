"""What every write tool shares: its declaration and the dry run that stops at the first write request.

A dry run runs the tool's own handler with a Gitea client whose reads (label and milestone look-ups)
go to Gitea and whose first write is caught before it leaves the process, so the request shown is
exactly the one the real call would send.
"""

from __future__ import annotations

from typing import Any

import requests

from app.auth.principal import WRITE_SCOPE
from app.gitea.bound import BoundGiteaClient
from app.gitea.client import GiteaClient
from app.gitea.credentials import GiteaCredentials
from app.gitea.request import READ_METHODS, GiteaRequest, check_allowed
from app.tools.call import ToolCall
from app.tools.registry import Annotations, Handler, Renderer, Tool

DRY_RUN_NOTE = "Dry run: nothing was written. Call again without dry_run to send this request."


class PlannedWrite(Exception):
    """The write request a dry run stopped before sending."""

    def __init__(self, call: GiteaRequest) -> None:
        super().__init__(call.route)
        self.call = call
        self.preview: dict[str, Any] = {}  # what a handler adds to the plan (a wiki page's diff)


class DryRunGitea:
    """A transport over the process's Gitea client with its writes held back: reads are sent (sharing the
    real client's pool), the first write is raised."""

    def __init__(self, real: GiteaClient) -> None:
        self._real = real
        self.api_url = real.api_url
        self.max_file_bytes = real.max_file_bytes
        self.drains = real.drains

    def bind(self, credentials: GiteaCredentials | None) -> BoundGiteaClient:
        return BoundGiteaClient(self, credentials)

    def send(self, call: GiteaRequest, credentials: GiteaCredentials | None) -> requests.Response:
        if call.method in READ_METHODS:
            return self._real.send(call, credentials)
        check_allowed(call)  # a dry run never shows a request the real call would refuse
        raise PlannedWrite(call)


def planned_request(call: GiteaRequest) -> dict[str, Any]:
    return {"method": call.method, "path": "/api/v1" + call.url_path(),
            "body": dict(call.body) if call.body is not None else None}


def policy_verdict(call: ToolCall) -> dict[str, Any]:
    """The policy decision the real call would get (the gates already let this one through)."""
    policy = call.policy
    if policy is None:
        return {"allowed": True, "rule": "none", "reason": "no policy engine is configured"}
    decision = policy.decide(call.tool.name, True, call.repository)
    return {"allowed": decision.allowed, "rule": decision.rule, "reason": decision.reason}


def dry_run(handler: Handler, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
    """Run the handler until it would write; return that request and the policy decision.

    A handler that finishes without writing found nothing to change (remove_labels with none of the labels
    on the issue): the real call would send nothing either, so its own answer is the dry run's."""
    planner = DryRunGitea(call.runtime.gitea).bind(call.principal.upstream)
    try:
        return handler(planner, args, call)
    except PlannedWrite as planned:
        return {"dry_run": True, "request": planned_request(planned.call), "policy": policy_verdict(call),
                "note": DRY_RUN_NOTE, **planned.preview}


def with_dry_run(handler: Handler) -> Handler:
    def run(gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall) -> dict[str, Any]:
        if args.get("dry_run"):
            return dry_run(handler, args, call)
        return handler(gitea, args, call)

    return run


def render_dry_run(out: dict[str, Any]) -> str:
    """A plan with a diff shows the diff, not the body that encodes it (base64 tells a reader nothing)."""
    request, policy = out["request"], out["policy"]
    body = f"\nbody: {request['body']}" if request["body"] is not None and "diff" not in out else ""
    diff = f"\nChange to the content:\n{out['diff'] or '(no change)'}" if "diff" in out else ""
    return (f"{out['note']}\nWould send {request['method']} {request['path']}{body}\n"
            f"Policy: {'allowed' if policy['allowed'] else 'denied'} ({policy['rule']}: {policy['reason']}).{diff}")


def with_dry_run_text(render: Renderer) -> Renderer:
    return lambda out: render_dry_run(out) if out.get("dry_run") else render(out)


def write_tool(*, handler: Handler, render: Renderer, destructive: bool = False, idempotent: bool = False,
               **declaration: Any) -> Tool:
    """A write tool: write:repository scope, dry_run support, and hints saying what a call may change."""
    return Tool(
        handler=with_dry_run(handler),
        render=with_dry_run_text(render),
        annotations=Annotations(read_only=False, destructive=destructive, idempotent=idempotent),
        scope=WRITE_SCOPE,
        **declaration,
    )
