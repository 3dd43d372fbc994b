"""Issue 20, F5/F6/F11: credentials hidden by glue, comments or a bent PEM header, replayed over HTTP.

A write carrying one is refused before it reaches Gitea and its audit entry keeps no copy; a file, issue
or diff carrying one comes back masked. The gateway runs in write mode for acme/service-a, so both
directions are tried on one real gunicorn in front of the emulator.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator

import pytest

from tests.security.conftest import SecurityWorld, security_world

pytestmark = pytest.mark.timeout(120)
REPO = {"owner": "acme", "repo": "service-a"}
WRITE_POLICY = "defaults:\n  read: allow\n  write: allow\n"
ALNUM = string.ascii_letters + string.digits


def synthetic(prefix: str, length: int, seed: int, alphabet: str = ALNUM) -> str:
    """A made-up credential of the right shape (never a real one): `prefix` and `length` random characters."""
    rng = random.Random(seed)
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


GITHUB = synthetic("ghp_", 36, 1)
GITLAB = synthetic("glpat-", 20, 2)
AWS = synthetic("AKIA", 16, 3, string.ascii_uppercase + "234567")
SLACK = f"xoxb-{synthetic('', 12, 4, string.digits)}-{synthetic('', 13, 5, string.digits)}-{synthetic('', 24, 6)}"
PEM_BODY = "\n".join(synthetic("", 64, seed, ALNUM + "+/") for seed in range(10, 14))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurityWorld]:
    """gunicorn in write mode for acme/service-a (every tool allowed), its emulator and audit log."""
    with security_world(tmp_path_factory, "secret-detection", WRITE_POLICY, WRITE_MODE="true",
                        WRITE_REPOSITORY_WHITELIST="acme/service-a") as running:
        yield running


def audit_text(gateway: SecurityWorld) -> str:
    return gateway.audit_log.read_text(encoding="utf-8") if gateway.audit_log.exists() else ""


def assert_refused(gateway: SecurityWorld, tool: str, kind: str, secret_parts: list[str], **arguments: object) -> None:
    """The write is refused naming the kind; no part of the secret is answered or audited."""
    is_error, shown = gateway.text(tool, **REPO, **arguments)
    assert is_error and "Inbound secret check" in shown and kind in shown, shown
    audit = audit_text(gateway)
    for part in secret_parts:
        assert part not in shown and part not in audit
    denied = [e for e in gateway.audit_entries() if e["event"] == "access_denied" and e["tool"] == tool]
    assert denied and denied[-1]["rule"] == "inbound_secrets"


# --- F5: tokens glued to other characters -----------------------------------------------------------


def test_a_release_tag_glued_to_a_github_token_is_refused_and_not_created(gateway: SecurityWorld) -> None:
    tag = f"rt-{GITHUB}"
    assert_refused(gateway, "create_release", "github_token", [GITHUB[4:]], tag_name=tag, draft=True)
    releases = gateway.gitea("GET", "/repos/acme/service-a/releases", {"draft": "true", "limit": 50})
    assert all(GITHUB not in release["tag_name"] for release in releases)
    masked = [e for e in gateway.audit_entries() if e["tool"] == "create_release"][-1]
    assert masked["arguments"]["tag_name"] == "rt-[REDACTED:github_token]"


@pytest.mark.parametrize(("body", "kind", "secret"), [
    (f"see build-{GITHUB} for the deploy", "github_token", GITHUB),
    (f"x{GITHUB}", "github_token", GITHUB),
    (f"job 1{GITHUB}", "github_token", GITHUB),
    (f"env_{GITHUB}-prod", "github_token", GITHUB),
    (f"BUILD-{GITHUB.upper()[:4]}{GITHUB[4:]}", "github_token", GITHUB[4:]),
    (f"ci-{GITLAB}-runner", "gitlab_token", GITLAB),
    (f"key id: prod{AWS}x", "aws_access_key_id", AWS),
    (f"bot-{SLACK}", "slack_token", SLACK),
])
def test_an_issue_body_with_a_glued_token_is_refused(gateway: SecurityWorld, body: str, kind: str,
                                                     secret: str) -> None:
    assert_refused(gateway, "create_issue", kind, [secret], title="Deploy notes", body=body)


def test_an_ordinary_hyphenated_issue_is_still_written(gateway: SecurityWorld) -> None:
    body = ("Tracking task-JIRA-1234-Fix-Login-Page and flexapp-2-feature-flags; risk_live_dashboard_v2 is green, "
            "see wxapp-1-demo-project and the ASIAPACIFIC rollout.")
    is_error, shown = gateway.text("create_issue", **REPO, title="Release checklist", body=body)
    assert not is_error, shown
    number = json.loads(shown.rsplit("\n", 1)[1])["number"]
    assert gateway.gitea("GET", f"/repos/acme/service-a/issues/{number}")["body"] == body


def test_a_file_with_a_glued_token_is_read_back_masked(gateway: SecurityWorld) -> None:
    gateway.plant("acme/service-a", "leak/file", {"deploy.sh": f"export T=build-{GITHUB}\nexport K=id{AWS}\n"})
    is_error, shown = gateway.text("get_file_contents", **REPO, filepath="deploy.sh", ref="leak/file")
    assert not is_error, shown
    assert GITHUB[4:] not in shown and AWS[4:] not in shown
    assert "build-[REDACTED:github_token]" in shown and "id[REDACTED:aws_access_key_id]" in shown


def test_an_issue_with_a_glued_token_is_read_back_masked(gateway: SecurityWorld) -> None:
    issue = gateway.gitea("POST", "/repos/acme/service-a/issues",
                          {"title": "CI broke", "body": f"the runner printed build-{GITHUB}-done"})
    is_error, shown = gateway.text("get_issue", **REPO, issue_number=issue["number"])
    assert not is_error, shown
    assert GITHUB[4:] not in shown and "build-[REDACTED:github_token]-done" in shown


def test_a_diff_with_a_glued_token_is_read_back_masked(gateway: SecurityWorld) -> None:
    sha = gateway.plant("acme/service-a", "leak/diff", {"ci.env": f"runner ci_{GITLAB}\n"})
    is_error, shown = gateway.text("get_commit_diff", **REPO, sha=sha)
    assert not is_error, shown
    assert GITLAB[6:] not in shown and "[REDACTED:gitlab_token]" in shown


# --- F11: a private-key header bent out of shape --------------------------------------------------


@pytest.mark.parametrize("header", [
    "----- BEGIN RSA PRIVATE KEY-----",
    "----BEGIN RSA PRIVATE KEY------",
    "-----BEGIN  OPENSSH PRIVATE KEY-----",
    "-----begin rsa private key-----",
    "-----BEGIN\tEC PRIVATE KEY -----",
])
def test_a_comment_with_a_bent_private_key_header_is_refused(gateway: SecurityWorld, header: str) -> None:
    body = f"the deploy key:\n{header}\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\nthanks"
    assert_refused(gateway, "create_issue_comment", "private_key", PEM_BODY.splitlines(), issue_number=1, body=body)


def test_a_file_with_a_bent_private_key_header_is_read_back_masked(gateway: SecurityWorld) -> None:
    key = f"----- BEGIN  RSA PRIVATE KEY -----\n{PEM_BODY}\n----- END RSA PRIVATE KEY -----\n"
    gateway.plant("acme/service-a", "leak/pem", {"id_rsa": key})
    is_error, shown = gateway.text("get_file_contents", **REPO, filepath="id_rsa", ref="leak/pem")
    assert not is_error, shown
    assert all(line not in shown for line in PEM_BODY.splitlines()) and "[REDACTED:private_key]" in shown


# --- F6: a token split by something the rendered page does not show -------------------------------


@pytest.mark.parametrize("body", [
    f"deploy with {GITHUB[:14]}<!-- x -->{GITHUB[14:]} today",
    f"deploy with {GITHUB[:14]}<!--\nsplit over lines\n-->{GITHUB[14:]}",
    f"deploy with {GITHUB[:14]}\u200b{GITHUB[14:]}",
    f"deploy with {GITHUB[:9]}\u2060{GITHUB[9:20]}<!---->{GITHUB[20:]}",
    f"deploy with {GITHUB[:14]}<b></b>{GITHUB[14:]}",
    f"deploy with ghp\\_{GITHUB[4:]}",
])
def test_a_token_split_by_a_hidden_comment_or_invisible_character_is_refused(gateway: SecurityWorld,
                                                                             body: str) -> None:
    assert_refused(gateway, "create_issue", "github_token", [GITHUB[14:]], title="Deploy", body=body)


# Markdown and raw HTML that CommonMark renders as nothing (issue 4): the view comes from a real parser.
@pytest.mark.parametrize("body", [
    f"{GITHUB[:14]}[](https://x){GITHUB[14:]}",
    f"{GITHUB[:14]}[][x]{GITHUB[14:]}\n\n[x]: https://x",
    f"[{GITHUB[:14]}](https://x){GITHUB[14:]}",
    f"{GITHUB[:14]}<span title='a>b'></span>{GITHUB[14:]}",
    f"{GITHUB[:14]}<?x?>{GITHUB[14:]}",
    f"{GITHUB[:14]}<![CDATA[]]>{GITHUB[14:]}",
    f"{GITHUB[:14]}<!X >{GITHUB[14:]}",
    f"{GITHUB[:14]}![](x){GITHUB[14:]}",
])
def test_a_token_split_by_markdown_the_page_shows_as_nothing_is_refused(gateway: SecurityWorld, body: str) -> None:
    assert_refused(gateway, "create_issue", "github_token", [GITHUB[14:]], title="Deploy", body=body)


def test_a_comment_in_a_code_block_is_not_mistaken_for_a_hidden_one(gateway: SecurityWorld) -> None:
    body = "Use this template:\n```html\n<!-- your text -->\n```\nand `a<!-- b -->c` inline."
    is_error, shown = gateway.text("create_issue", **REPO, title="HTML template", body=body)
    assert not is_error, shown


# --- issue 17: what a new user's repository holds: setup docs with placeholders, credentials in prose -----

ENV_EXAMPLE = (
    "# copy to .env and fill in\n"
    "AWS_ACCESS_KEY_ID=your-access-key-id\n"
    "AWS_SECRET_ACCESS_KEY=YOUR_SECRET_KEY_HERE\n"
    "GITEA_TOKEN=<token>\n"
    "DB_PASSWORD=changeme\n"
    "ENCRYPTION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
)
README = (
    "## Setup\n\nSet `GITEA_TOKEN` to a token created under Settings > Applications, then:\n\n"
    "```yaml\nservices:\n  app:\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n"
    "      API_TOKEN: ${API_TOKEN:?must be set}\n      SECRET: $SECRET\n```\n\n"
    "The AWS guide's example keys work with the local stub: `AKIAIOSFODNN7EXAMPLE` and "
    "`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`.\n"
)
PASSWORD = synthetic("Pw7-", 12, 20)
API_KEY = synthetic("", 32, 21)
HEX_TOKEN = synthetic("", 40, 22, "0123456789abcdef")
LEAKY_FILE = (
    f"<settings><servers><server><id>nexus</id><password>{PASSWORD}</password></server></servers></settings>\n"
    f'curl -H "X-API-Key: {API_KEY}" https://api.example.com/v1/items\n'
    f"https://api.example.com/v1/search?api_key={API_KEY}&page=2\n"
    f'client, _ := gitea.NewClient(url, gitea.SetToken("{HEX_TOKEN}"))\n'
    f"ENCRYPTION_KEY={API_KEY}\n"
)


def test_a_readme_and_env_example_full_of_placeholders_are_read_back_unchanged(gateway: SecurityWorld) -> None:
    gateway.plant("acme/service-a", "docs/setup", {".env.example": ENV_EXAMPLE, "README.md": README})
    for path, content in ((".env.example", ENV_EXAMPLE), ("README.md", README)):
        is_error, shown = gateway.text("get_file_contents", **REPO, filepath=path, ref="docs/setup")
        assert not is_error, shown
        assert "REDACTED" not in shown
        assert all(line in shown for line in content.splitlines() if "`" not in line)


def test_an_issue_with_setup_instructions_and_interpolation_is_written_as_is(gateway: SecurityWorld) -> None:
    body = ("Set `DB_PASSWORD` in `.env` (see `.env.example`: `DB_PASSWORD=changeme`); compose reads "
            "`${DB_PASSWORD}`.\n"
            "The S3 stub takes AWS's example pair: `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE`, "
            "`AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`.")
    is_error, shown = gateway.text("create_issue", **REPO, title="Setup", body=body)
    assert not is_error, shown
    number = json.loads(shown.rsplit("\n", 1)[1])["number"]
    assert gateway.gitea("GET", f"/repos/acme/service-a/issues/{number}")["body"] == body


def test_an_issue_giving_a_password_in_inline_code_is_refused(gateway: SecurityWorld) -> None:
    body = f"The staging password is `{PASSWORD}` until Friday."
    assert_refused(gateway, "create_issue", "password", [PASSWORD], title="Staging access", body=body)


def test_credentials_in_xml_curl_a_query_string_and_a_client_call_are_read_back_masked(gateway: SecurityWorld) -> None:
    gateway.plant("acme/service-a", "leak/forms", {"notes.txt": LEAKY_FILE})
    is_error, shown = gateway.text("get_file_contents", **REPO, filepath="notes.txt", ref="leak/forms")
    assert not is_error, shown
    assert PASSWORD not in shown and API_KEY not in shown and HEX_TOKEN not in shown
    for kept in ("<password>[REDACTED:password]</password>", '"X-API-Key: [REDACTED:api_key]"',
                 "?api_key=[REDACTED:api_key]&page=2", 'SetToken("[REDACTED:gitea_token]")',
                 "ENCRYPTION_KEY=[REDACTED:generic_key]"):
        assert kept in shown, shown
