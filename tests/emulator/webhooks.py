"""Send webhooks the way Gitea does (GG:services/webhook/deliver.go): headers, signatures, 2-space JSON."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

if TYPE_CHECKING:
    from tests.emulator.app import Emulator

# X-Gitea-Event for each detailed X-Gitea-Event-Type (FACTS §4).
EVENT_OF_TYPE = {
    "issue_assign": "issues", "issue_label": "issues", "issue_milestone": "issues",
    "pull_request_assign": "pull_request", "pull_request_label": "pull_request",
    "pull_request_milestone": "pull_request", "pull_request_sync": "pull_request",
    "pull_request_review_request": "pull_request", "pull_request_comment": "issue_comment",
    "pull_request_review_approved": "pull_request_approved",
    "pull_request_review_rejected": "pull_request_rejected",
    "pull_request_review_comment": "pull_request_comment",
}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Encode like Go's json.MarshalIndent(v, "", "  ") (HTML characters escaped)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def signed_headers(event_type: str, body: bytes, secret: str, delivery: str) -> dict[str, str]:
    """Return Gitea's delivery headers, with the Gogs and GitHub duplicates."""
    sha256 = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else ""
    sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest() if secret else ""
    event = EVENT_OF_TYPE.get(event_type, event_type)
    headers = {"Content-Type": "application/json", "User-Agent": "Go-http-client/1.1"}
    for vendor in ("Gitea", "Gogs", "GitHub"):
        headers.update({f"X-{vendor}-Delivery": delivery, f"X-{vendor}-Event": event,
                        f"X-{vendor}-Event-Type": event_type})
    headers.update({"X-Gitea-Signature": sha256, "X-Gogs-Signature": sha256,
                    "X-Hub-Signature": f"sha1={sha1}", "X-Hub-Signature-256": f"sha256={sha256}"})
    return headers


def deliver_event(url: str, event_type: str, payload: dict[str, Any], secret: str = "") -> dict[str, Any]:
    """POST one event to a loopback URL; return the delivery id, status and body we got back."""
    if urlsplit(url).hostname not in _LOOPBACK:
        raise ValueError("the emulator only delivers webhooks to loopback addresses")
    body = encode_payload(payload)
    delivery = str(uuid.uuid4())
    response = requests.post(url, data=body, headers=signed_headers(event_type, body, secret, delivery), timeout=10)
    return {"delivery": delivery, "status": response.status_code, "response": response.text[:2000]}


def build_payload(emulator: Emulator, event_type: str, owner: str, name: str) -> dict[str, Any]:
    """Build a payload for push, issues, issue_comment or pull_request from the emulator's data."""
    repo = emulator.store.repo(owner, name)
    if repo is None:
        raise ValueError(f"no repository {owner}/{name}")
    render = emulator.render
    sender = render.user(repo.owner if emulator.store.user(repo.owner) else "alice")
    base = {"repository": render.repo(repo, None), "sender": sender}
    event = EVENT_OF_TYPE.get(event_type, event_type)
    if event == "push":
        commits = repo.git.log([repo.default_branch], limit=3)
        payload = [render.payload_commit(repo, c) for c in commits]
        return {"ref": f"refs/heads/{repo.default_branch}", "before": commits[-1].parents[0] if commits[-1].parents
                else "0" * 40, "after": commits[0].sha, "compare_url": f"{render.root}{repo.full_name}/compare/"
                f"{commits[-1].sha}...{commits[0].sha}", "commits": payload, "total_commits": len(payload),
                "head_commit": payload[0], "pusher": sender, **base}
    pulls = [i for i in repo.issues.values() if i.pull]
    plain = [i for i in repo.issues.values() if not i.pull]
    if event == "pull_request":
        pr = pulls[0]
        return {"action": "opened", "number": pr.number, "pull_request": render.pull(repo, pr, None, True),
                "requested_reviewer": None, "commit_id": "", **base}
    issue = (pulls if event_type == "pull_request_comment" else plain)[0]
    if event == "issue_comment":
        comment = issue.comments[0] if issue.comments else None
        return {"action": "created", "issue": render.issue(repo, issue),
                "comment": render.comment(repo, issue, comment) if comment else None,
                "is_pull": issue.pull is not None, **base}
    return {"action": "opened", "number": issue.number, "issue": render.issue(repo, issue), "commit_id": "", **base}
