"""What a client reading from the emulator sees: paging headers, nulls, auth, scopes, private repos, git data."""

from __future__ import annotations

import base64
import io
import tarfile
import zipfile

import requests

from tests.emulator.auth import SCOPE_PREFIX
from tests.emulator.seeds.demo import FAKE_AWS_KEY_ID
from tests.emulator.tests.conftest import Gitea

REPO = "/repos/acme/service-a"


def test_issue_list_pages_carry_total_and_links_in_gitea_order(gitea: Gitea, alice: requests.Session) -> None:
    """X-Total-Count and Link (next, last, first, prev; absolute URLs from ROOT_URL) on a middle page."""
    response = alice.get(f"{gitea.api}{REPO}/issues", params={"state": "all", "limit": "2", "page": "2"}, timeout=10)
    assert response.headers["X-Total-Count"] == "7"
    assert [issue["number"] for issue in response.json()] == [5, 4]
    links = response.headers["Link"].split(",")
    assert [link.split("; ")[1] for link in links] == ['rel="next"', 'rel="last"', 'rel="first"', 'rel="prev"']
    assert links[0] == f'<{gitea.api}{REPO}/issues?limit=2&page=3&state=all>; rel="next"'
    assert links[1].startswith(f"<{gitea.api}{REPO}/issues?limit=2&page=4&")


def test_limit_is_clamped_to_fifty_and_page_zero_is_page_one(gitea: Gitea, alice: requests.Session) -> None:
    """limit=500 serves 50 per page; page=0 serves page 1 (commit list paging headers)."""
    params = {"limit": "500", "page": "0", "stat": "false"}
    response = alice.get(f"{gitea.api}{REPO}/commits", params=params, timeout=30)
    assert response.headers["X-PerPage"] == "50"
    assert response.headers["X-Page"] == "1"
    assert response.headers["X-Total"] == response.headers["X-Total-Count"] == "32"
    assert response.headers["X-PageCount"] == "1"
    assert response.headers["X-HasMore"] == "false"
    assert len(response.json()) == 32
    assert "stats" not in response.json()[0]


def test_default_page_size_is_thirty(gitea: Gitea, alice: requests.Session) -> None:
    """Without limit a commit page holds 30 and says more follow."""
    response = alice.get(f"{gitea.api}{REPO}/commits", params={"files": "false"}, timeout=30)
    assert len(response.json()) == 30
    assert response.headers["X-HasMore"] == "true"
    assert "files" not in response.json()[0]


def test_git_tree_pages_use_per_page_and_say_truncated(gitea: Gitea, alice: requests.Session) -> None:
    """A recursive tree is paged by per_page; past the end `tree` is null."""
    url = f"{gitea.api}{REPO}/git/trees/main"
    first = alice.get(url, params={"recursive": "true", "per_page": "5"}, timeout=10).json()
    assert first["truncated"] is True
    assert len(first["tree"]) == 5
    assert first["sha"] == alice.get(f"{gitea.api}{REPO}/git/commits/main", timeout=10).json()["commit"]["tree"]["sha"]
    past = alice.get(url, params={"recursive": "true", "per_page": "5", "page": "99"}, timeout=10).json()
    assert past["tree"] is None
    assert past["truncated"] is False


def test_private_repo_is_404_to_others_and_visible_to_its_owner(gitea: Gitea, alice: requests.Session,
                                                                 bob: requests.Session) -> None:
    """bob and anonymous callers get 404 for alice/private-notes; alice gets it."""
    url = f"{gitea.api}/repos/alice/private-notes"
    assert bob.get(url, timeout=10).status_code == 404
    assert requests.get(url, timeout=10).status_code == 404
    assert bob.get(url + "/issues", timeout=10).status_code == 404
    assert alice.get(url, timeout=10).json()["private"] is True
    assert "alice/private-notes" not in [r["full_name"] for r in bob.get(gitea.api + "/users/alice/repos",
                                                                          timeout=10).json()]


def test_missing_scope_is_403_with_gitea_prefix(gitea: Gitea) -> None:
    """A read:repository token may read code but not issues (issue scope group)."""
    session = gitea.session("alice", "read-repo-only")
    assert session.get(f"{gitea.api}{REPO}/pulls", timeout=10).status_code == 200
    response = session.get(f"{gitea.api}{REPO}/issues", timeout=10)
    assert response.status_code == 403
    assert response.json()["message"] == (
        f"{SCOPE_PREFIX}, required=[read:issue], token scope=read:repository")
    assert session.get(gitea.api + "/user", timeout=10).status_code == 403


def test_write_scope_implies_read_and_user_orgs_need_both_categories(gitea: Gitea) -> None:
    """write:issue reads issues; /user/orgs needs read:user and read:organization together."""
    session = gitea.session("alice", "write-issue-only")
    assert session.get(f"{gitea.api}{REPO}/issues", timeout=10).status_code == 200
    assert session.get(f"{gitea.api}{REPO}", timeout=10).status_code == 403
    response = session.get(gitea.api + "/user/orgs", timeout=10)
    assert response.json()["message"].startswith(f"{SCOPE_PREFIX}, required=[read:user read:organization]")


def test_public_only_token_cannot_reach_private_repos(gitea: Gitea) -> None:
    """public-only: 403 on a private repo, private repos left out of lists."""
    session = gitea.session("alice", "public-only")
    response = session.get(f"{gitea.api}/repos/alice/private-notes", timeout=10)
    assert (response.status_code, response.json()["message"]) == (403, "token scope is limited to public repos")
    names = [r["full_name"] for r in session.get(gitea.api + "/user/repos", timeout=10).json()]
    assert "alice/private-notes" not in names
    assert "acme/service-a" in names


def test_bad_token_is_401_on_any_route_and_missing_token_on_user_routes(gitea: Gitea) -> None:
    """An unknown token fails even on /version; no token on /user is `token is required`."""
    bad = requests.get(gitea.api + "/version", headers={"Authorization": "token " + "0" * 40}, timeout=10)
    assert bad.status_code == 401
    missing = requests.get(gitea.api + "/user", timeout=10)
    assert (missing.status_code, missing.json()["message"]) == (401, "token is required")
    assert requests.get(gitea.api + "/version", timeout=10).json() == {"version": "1.27.0"}


def test_bearer_scheme_is_case_insensitive_and_basic_auth_works(gitea: Gitea) -> None:
    """`BEARER <pat>` and Basic user:password both sign in."""
    token = gitea.process.token("bob")
    upper = requests.get(gitea.api + "/user", headers={"Authorization": f"BEARER {token}"}, timeout=10)
    assert upper.json()["login"] == "bob"
    password = gitea.process.credentials["users"]["bob"]["password"]
    assert requests.get(gitea.api + "/user", auth=("bob", password), timeout=10).json()["login"] == "bob"
    assert requests.get(gitea.api + "/user", auth=("bob", "wrong"), timeout=10).status_code == 401


def test_issue_nulls_follow_gitea(gitea: Gitea, alice: requests.Session) -> None:
    """No assignee: assignee and assignees null; open: closed_at null; plain issue: pull_request null."""
    unassigned = alice.get(f"{gitea.api}{REPO}/issues/2", timeout=10).json()
    assert (unassigned["assignee"], unassigned["assignees"], unassigned["closed_at"]) == (None, None, None)
    assert unassigned["pull_request"] is None
    assert unassigned["labels"][0]["color"] == "84b6eb"
    closed = alice.get(f"{gitea.api}{REPO}/issues/3", timeout=10).json()
    assert (closed["state"], closed["milestone"], closed["labels"]) == ("closed", None, [])
    assert closed["closed_at"] is not None
    assert alice.get(f"{gitea.api}{REPO}/issues/6", timeout=10).json()["pull_request"]["merged"] is False


def test_pull_list_nulls_differ_from_single_pull(gitea: Gitea, alice: requests.Session) -> None:
    """Lists: line counts and requested_reviewers null; single GET: numbers and []; url is the HTML URL."""
    listed = alice.get(f"{gitea.api}{REPO}/pulls", timeout=10).json()[0]
    assert (listed["additions"], listed["changed_files"], listed["requested_reviewers"]) == (None, None, None)
    single = alice.get(f"{gitea.api}{REPO}/pulls/6", timeout=10).json()
    assert single["changed_files"] == 3
    assert single["requested_reviewers"] == []
    assert single["url"] == single["html_url"] == f"{gitea.base_url}/acme/service-a/pulls/6"
    assert (single["merged_at"], single["merged_by"], single["head"]["ref"]) == (None, None, "feature/metrics")


def test_issue_filters_by_label_names_milestone_and_type(gitea: Gitea, alice: requests.Session) -> None:
    """labels= are names (all must match), milestones= takes titles; without type PRs are included."""
    url = f"{gitea.api}{REPO}/issues"
    assert [i["number"] for i in alice.get(url, params={"labels": "bug,priority/high"}, timeout=10).json()] == [1]
    assert [i["number"] for i in alice.get(url, params={"milestones": "v1.1"}, timeout=10).json()] == [6, 2, 1]
    assert [i["number"] for i in alice.get(url, params={"milestones": "v1.1", "type": "issues"},
                                           timeout=10).json()] == [2, 1]
    assert [i["number"] for i in alice.get(url, params={"state": "closed"}, timeout=10).json()] == [7, 4, 3]


def test_commit_author_is_null_without_a_matching_user(gitea: Gitea, alice: requests.Session) -> None:
    """The outsider's commit keeps its git identity but has no Gitea author."""
    commits = alice.get(f"{gitea.api}{REPO}/commits", params={"path": "src/secrets/production.py"}, timeout=10).json()
    assert commits[0]["author"] is None
    assert commits[0]["commit"]["author"]["email"] == "carol@contractor.example"
    assert commits[0]["files"] == [{"filename": "src/secrets/production.py", "status": "added"}]


def test_combined_status_is_all_zero_without_statuses(gitea: Gitea, alice: requests.Session) -> None:
    """develop has no statuses: state "", statuses null; main combines two successes."""
    empty = alice.get(f"{gitea.api}{REPO}/commits/develop/status", timeout=10).json()
    assert (empty["state"], empty["sha"], empty["total_count"], empty["statuses"]) == ("", "", 0, None)
    main = alice.get(f"{gitea.api}{REPO}/commits/main/status", timeout=10).json()
    assert (main["state"], main["total_count"]) == ("success", 2)


def test_milestone_by_title_and_null_due_date(gitea: Gitea, alice: requests.Session) -> None:
    """milestones/{id} falls back to the title; no deadline gives due_on null."""
    backlog = alice.get(f"{gitea.api}{REPO}/milestones/Backlog", timeout=10).json()
    assert backlog["due_on"] is None
    assert alice.get(f"{gitea.api}{REPO}/milestones/{backlog['id']}", timeout=10).json()["title"] == "Backlog"
    states = {m["title"]: m["state"] for m in alice.get(f"{gitea.api}{REPO}/milestones", params={"state": "all"},
                                                         timeout=10).json()}
    assert states == {"v1.0": "closed", "v1.1": "open", "Backlog": "open"}


def test_latest_release_skips_prereleases(gitea: Gitea, alice: requests.Session) -> None:
    """releases/latest is v1.0.0 although the newer 1.1 RC exists."""
    assert alice.get(f"{gitea.api}{REPO}/releases/latest", timeout=10).json()["tag_name"] == "v1.0.0"
    tags = [r["tag_name"] for r in alice.get(f"{gitea.api}{REPO}/releases", timeout=10).json()]
    assert tags == ["v1.1.0-rc.1", "v1.0.0", "v0.2.0"]
    assert alice.get(f"{gitea.api}/repos/alice/private-notes/releases/latest", timeout=10).status_code == 404


def test_contents_file_dir_and_raw_agree_with_git(gitea: Gitea, alice: requests.Session) -> None:
    """A file is base64 without line breaks; a dir is an array; raw bytes match; >1 MiB still has content."""
    logo = alice.get(f"{gitea.api}{REPO}/contents/assets/logo.png", timeout=10).json()
    raw = alice.get(f"{gitea.api}{REPO}/raw/assets/logo.png", timeout=10).content
    assert raw.startswith(b"\x89PNG")
    assert base64.b64decode(logo["content"]) == raw
    big = alice.get(f"{gitea.api}{REPO}/contents/data/catalogue.csv", timeout=30).json()
    assert big["size"] > 1024 * 1024
    assert "\n" not in big["content"]
    listing = alice.get(f"{gitea.api}{REPO}/contents/src", timeout=10).json()
    assert {(e["name"], e["type"], e["content"]) for e in listing} == {("secrets", "dir", None),
                                                                       ("service_a", "dir", None)}
    assert FAKE_AWS_KEY_ID.encode() in alice.get(f"{gitea.api}{REPO}/raw/src/secrets/production.py", timeout=10).content


def test_empty_repo_commits_are_409(gitea: Gitea, alice: requests.Session) -> None:
    """Commits of an empty repository: 409 "Git Repository is empty."."""
    response = alice.get(f"{gitea.api}/repos/alice/empty/commits", timeout=10)
    assert (response.status_code, response.json()["message"]) == (409, "Git Repository is empty.")
    assert alice.get(f"{gitea.api}/repos/alice/empty", timeout=10).json()["empty"] is True


def test_compare_diff_patch_and_archives(gitea: Gitea, alice: requests.Session) -> None:
    """compare counts commits; .diff/.patch are text; archives unpack with the repo-name prefix."""
    compared = alice.get(f"{gitea.api}{REPO}/compare/main...feature/metrics", timeout=10).json()
    assert compared["total_commits"] == 3
    diff = alice.get(f"{gitea.api}{REPO}/compare/main...feature/metrics", params={"output": "diff"}, timeout=10).text
    assert "diff --git a/src/service_a/metrics.py b/src/service_a/metrics.py" in diff
    patch = alice.get(f"{gitea.api}{REPO}/git/commits/main.patch", timeout=10).text
    assert patch.startswith("From ") and "Subject: [PATCH] Release note 22" in patch
    tar = alice.get(f"{gitea.api}{REPO}/archive/v1.0.0.tar.gz", timeout=30).content
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        assert "service-a/README.md" in archive.getnames()
    packed = alice.get(f"{gitea.api}{REPO}/archive/main.zip", timeout=30).content
    with zipfile.ZipFile(io.BytesIO(packed)) as archive_zip:
        assert "service-a/src/service_a/app.py" in archive_zip.namelist()


def test_collaborator_permission_403_rule(gitea: Gitea, alice: requests.Session, bob: requests.Session) -> None:
    """bob may ask about himself only; alice (org owner) may ask about anyone."""
    url = f"{gitea.api}{REPO}/collaborators/{{}}/permission"
    assert bob.get(url.format("bob"), timeout=10).json()["permission"] == "write"
    assert bob.get(url.format("alice"), timeout=10).status_code == 403
    assert alice.get(url.format("bob"), timeout=10).json()["permission"] == "write"
    assert alice.get(url.format("alice"), timeout=10).json()["permission"] == "owner"
    assert alice.get(url.format("nobody"), timeout=10).status_code == 404
