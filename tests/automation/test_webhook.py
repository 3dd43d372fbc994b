"""POST /automation/webhook with real Gitea-style deliveries from the emulator, and every refusal."""

from __future__ import annotations

import json
import uuid

import requests

from app import create_app
from tests.automation.conftest import SECRET, AutomationWorld
from tests.emulator.webhooks import encode_payload, signed_headers
from tests.fixtures.gunicorn import TEST_API_KEY


def post(world: AutomationWorld, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{world.server.url}/automation/webhook", data=body, headers=headers, timeout=30)


def push_payload(repo: str = "acme/service-a", paths: tuple[str, ...] = ("requirements.txt",)) -> dict:
    owner, name = repo.split("/")
    return {"ref": "refs/heads/main", "before": "0" * 40, "after": "1" * 40,
            "commits": [{"id": "1" * 40, "message": "m", "added": [], "removed": [], "modified": list(paths)}],
            "repository": {"full_name": repo, "name": name, "owner": {"login": owner}, "default_branch": "main"}}


def test_a_push_touching_requirements_queues_the_scan_which_runs_after_the_answer(world: AutomationWorld) -> None:
    world.plant("acme/service-a", "main", {"requirements.txt": "requests\nflask==3.1.3\ngit+https://example.com/x.git\n"},
                message="Add requirements")
    delivered = world.webhook("push")
    assert delivered["status"] == 202, delivered
    answer = json.loads(delivered["response"])
    assert answer["status"] == "accepted" and answer["queued"] == ["dependency_hygiene_scan"]
    run = world.wait_for_run(lambda r: r.get("delivery") == delivered["delivery"])
    assert run["job"] == "dependency_hygiene_scan" and run["trigger"] == "webhook"
    assert run["status"] == "success", run["reason"]
    found = {(f["kind"], f["package"]) for f in run["findings"] if f["manifest"] == "requirements.txt"}
    assert ("unpinned", "requests") in found and ("vcs_or_url", None) in found
    assert ("unpinned", "flask") not in found
    assert {call["tool"] for call in run["tool_calls"]} >= {"get_repository_info", "get_file_tree", "get_file_contents"}


def test_a_push_without_dependency_files_queues_nothing(world: AutomationWorld) -> None:
    world.plant("acme/service-a", "main", {"docs/notes.md": "hello\n"}, message="Docs only")
    world.plant("acme/service-a", "main", {"docs/more.md": "more\n"}, message="Docs again")
    world.plant("acme/service-a", "main", {"docs/last.md": "last\n"}, message="Docs last")
    answer = json.loads(world.webhook("push")["response"])
    assert answer["status"] == "accepted" and answer["queued"] == []


def test_a_wrong_secret_is_refused_401_and_audited(world: AutomationWorld) -> None:
    delivered = world.webhook("push", secret="not-the-secret-0123456789abcdef0123")
    assert delivered["status"] == 401
    assert json.loads(delivered["response"])["error"]["code"] == "unauthorized"
    refused = world.security_events("webhook_bad_signature")
    assert any(e["details"]["delivery"] == delivered["delivery"] for e in refused)


def test_a_tampered_body_or_missing_signature_is_refused(world: AutomationWorld) -> None:
    body = encode_payload(push_payload())
    headers = signed_headers("push", body, SECRET, str(uuid.uuid4()))
    assert post(world, body.replace(b"main", b"mainx", 1), headers).status_code == 401
    unsigned = {k: v for k, v in headers.items() if "Signature" not in k}
    assert post(world, body, unsigned).status_code == 401


def test_x_hub_signature_256_alone_is_accepted(world: AutomationWorld) -> None:
    body = encode_payload(push_payload(paths=("README.md",)))
    headers = signed_headers("push", body, SECRET, str(uuid.uuid4()))
    headers["X-Gitea-Signature"] = headers["X-Gogs-Signature"] = ""
    assert post(world, body, headers).status_code == 202


def test_a_replayed_delivery_is_refused_409_and_audited(world: AutomationWorld) -> None:
    body = encode_payload(push_payload(paths=("README.md",)))
    delivery = str(uuid.uuid4())
    headers = signed_headers("push", body, SECRET, delivery)
    assert post(world, body, headers).status_code == 202
    again = post(world, body, headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert any(e["details"]["delivery"] == delivery for e in world.security_events("webhook_replay"))


def test_an_oversized_body_is_refused_413(world: AutomationWorld) -> None:
    payload = push_payload()
    payload["padding"] = "x" * 70000
    body = encode_payload(payload)
    answer = post(world, body, signed_headers("push", body, SECRET, str(uuid.uuid4())))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
    assert world.security_events("webhook_too_large")


def test_signed_malformed_json_is_refused_400(world: AutomationWorld) -> None:
    body = b'{"ref": "refs/heads/main", '
    answer = post(world, body, signed_headers("push", body, SECRET, str(uuid.uuid4())))
    assert answer.status_code == 400 and world.security_events("webhook_bad_json")


def test_a_repository_the_policy_does_not_allow_is_refused_403(world: AutomationWorld) -> None:
    delivered = world.webhook("push", repo="bob/dotfiles")
    assert delivered["status"] == 403
    assert "automation_webhook" in json.loads(delivered["response"])["error"]["message"]
    assert any(e["details"].get("repository") == "bob/dotfiles" for e in world.security_events("webhook_denied"))


def test_known_events_are_accepted_and_unknown_ones_ignored_with_202(world: AutomationWorld) -> None:
    for event in ("issues", "issue_comment", "pull_request"):
        delivered = world.webhook(event)
        assert delivered["status"] == 202 and json.loads(delivered["response"])["queued"] == []
    body = encode_payload(push_payload())
    answer = post(world, body, signed_headers("wiki", body, SECRET, str(uuid.uuid4())))
    assert answer.status_code == 202 and answer.json()["status"] == "ignored"
    assert world.security_events("webhook_event_ignored")


def test_server_metadata_reports_what_runs(world: AutomationWorld) -> None:
    features = requests.get(f"{world.server.url}/", timeout=10).json()["features"]["automation"]
    assert features["webhook"] is True and features["scheduler"] is False and features["queue"] == "in-process"


def test_automation_off_means_404_and_features_false() -> None:
    app = create_app({"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": TEST_API_KEY, "MCP_HOST": "127.0.0.1",
                      "STARTUP_VALIDATE_GITEA": "false", "AUDIT_LOG_PATH": "/tmp/aegis-automation-off/audit.log"})
    client = app.test_client()
    assert client.post("/automation/webhook", data=b"{}").status_code == 404
    assert client.post("/automation/jobs/run", json={}).status_code == 404
    assert client.get("/").get_json()["features"]["automation"] is False


def test_a_short_secret_is_refused_at_startup() -> None:
    from app.config import Settings, SettingsError

    try:
        Settings.from_mapping({"GITEA_URL": "http://g", "MCP_API_KEYS": TEST_API_KEY, "AUTOMATION_ENABLED": "true",
                               "AUTOMATION_WEBHOOK_SECRET": "short"})
    except SettingsError as exc:
        assert any(p.startswith("AUTOMATION_WEBHOOK_SECRET") for p in exc.problems)
    else:
        raise AssertionError("a short webhook secret was accepted")
