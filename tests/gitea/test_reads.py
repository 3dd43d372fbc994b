"""Every read endpoint of the bound client against the emulator's demo data."""

from __future__ import annotations

import pytest

from app.gitea import BoundGiteaClient, GiteaClient, GiteaNotFound, all_items
from app.gitea import download as download_module
from tests.emulator.seeds.demo import large_csv
from tests.gitea.conftest import EmulatorControl

ACME = ("acme", "service-a")


def test_current_user_is_the_token_owner(alice: BoundGiteaClient, bob: BoundGiteaClient) -> None:
    assert alice.current_user()["login"] == "alice"
    assert bob.current_user()["login"] == "bob"


def test_my_repositories_include_private_ones_only_for_their_owner(alice: BoundGiteaClient,
                                                                   bob: BoundGiteaClient) -> None:
    alice_repos = {r["full_name"] for r in alice.list_my_repos(limit=50).items}
    bob_repos = {r["full_name"] for r in bob.list_my_repos(limit=50).items}
    assert "alice/private-notes" in alice_repos
    assert "alice/private-notes" not in bob_repos


def test_private_repository_is_not_found_for_another_user(alice: BoundGiteaClient, bob: BoundGiteaClient) -> None:
    assert alice.get_repository("alice", "private-notes")["private"] is True
    with pytest.raises(GiteaNotFound) as err:
        bob.get_repository("alice", "private-notes")
    assert err.value.status == 404


def test_repository_facts(alice: BoundGiteaClient) -> None:
    repo = alice.get_repository(*ACME)
    assert repo["full_name"] == "acme/service-a"
    assert repo["default_branch"] == "main"
    assert "Python" in alice.get_languages(*ACME)
    assert alice.get_topics(*ACME) == ["orders", "python", "service"]


def test_organisations_and_their_repositories(alice: BoundGiteaClient) -> None:
    assert [o["username"] for o in alice.list_my_orgs().items] == ["acme"]
    assert "service-a" in {r["name"] for r in alice.list_org_repos("acme").items}


def test_collaborator_permission_of_oneself(bob: BoundGiteaClient) -> None:
    assert bob.get_collaborator_permission(*ACME, "bob")["permission"] == "write"


def test_tree_pages_follow_gitea_truncation(alice: BoundGiteaClient) -> None:
    first = alice.get_tree(*ACME, "main", recursive=True, per_page=5)
    assert len(first.items) == 5
    assert first.has_more is True
    assert first.total is not None and first.total > 5
    assert first.meta["sha"]
    paths = [e["path"] for e in all_items(lambda n: alice.get_tree(*ACME, "main", recursive=True, page=n,
                                                                   per_page=5))]
    assert len(paths) == first.total
    assert "src/service_a/app.py" in paths


def test_contents_of_file_and_directory(alice: BoundGiteaClient) -> None:
    readme = alice.get_contents(*ACME, "README.md")
    assert readme["type"] == "file" and readme["encoding"] == "base64"
    root = alice.get_contents(*ACME)
    assert {"README.md", "src"} <= {e["name"] for e in root}
    on_branch = alice.get_contents(*ACME, "src/service_a", ref="feature/metrics")
    assert "metrics.py" in {e["name"] for e in on_branch}


def test_raw_file_under_the_cap_is_complete(alice: BoundGiteaClient) -> None:
    download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024)
    assert download.truncated is False
    assert download.content == large_csv()


def test_raw_file_over_the_cap_is_cut_and_marked_truncated(alice: BoundGiteaClient) -> None:
    download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=4096)
    assert download.truncated is True
    assert download.content == large_csv()[:4096]
    # The dropped connection does not break the next call.
    assert alice.get_raw_file(*ACME, "README.md").text.startswith("# Service A")


def test_default_cap_is_max_file_bytes(alice: BoundGiteaClient) -> None:
    download = alice.get_raw_file(*ACME, "data/catalogue.csv")  # client built with a 1 MiB cap
    assert download.truncated is True
    assert len(download.content) == 1024 * 1024


def test_archive_download_is_capped(alice: BoundGiteaClient) -> None:
    download = alice.download_archive(*ACME, "main", "zip", cap=1000)
    assert download.truncated is True
    assert download.content.startswith(b"PK")


def test_commit_history_pages(alice: BoundGiteaClient) -> None:
    first = alice.list_commits(*ACME, sha="main", limit=10)
    assert len(first.items) == 10
    assert first.has_more is True
    assert first.total == 32
    last = alice.list_commits(*ACME, sha="main", limit=10, page=4)
    assert last.has_more is False
    assert last.items[-1]["commit"]["message"].startswith("Initial commit")


def test_commits_filtered_by_path(alice: BoundGiteaClient) -> None:
    touching = alice.list_commits(*ACME, sha="main", path="requirements.txt")
    assert [c["commit"]["message"].strip() for c in touching.items] == ["Pin dependencies"]


def test_single_commit_and_its_diff(alice: BoundGiteaClient) -> None:
    head = alice.list_commits(*ACME, sha="feature/metrics", limit=1).items[0]
    commit = alice.get_commit(*ACME, head["sha"])
    assert commit["sha"] == head["sha"]
    assert {f["filename"] for f in commit["files"]} == {"scripts/deploy.sh"}
    diff = alice.get_commit_diff(*ACME, head["sha"])
    assert "scripts/deploy.sh" in diff.text and diff.truncated is False
    patch = alice.get_commit_diff(*ACME, head["sha"], "patch")
    assert patch.text.startswith("From ")


def test_compare_branches(alice: BoundGiteaClient) -> None:
    comparison = alice.compare(*ACME, "main", "feature/metrics")
    assert comparison["total_commits"] == 3
    diff = alice.compare_diff(*ACME, "main", "feature/metrics")
    assert "src/service_a/metrics.py" in diff.text


def test_issues_list_filters_and_pages(alice: BoundGiteaClient) -> None:
    everything = alice.list_issues(*ACME, state="all", limit=2)
    assert everything.total == 7 and everything.has_more is True
    bugs = alice.list_issues(*ACME, state="all", labels=["bug"], kind="issues")
    assert {i["title"] for i in bugs.items} == {"Crash on startup when the config file is missing",
                                                "Flaky test in CI"}
    pulls_only = alice.list_issues(*ACME, state="all", kind="pulls")
    assert all(i["pull_request"] is not None for i in pulls_only.items)


def test_issue_and_its_comments(alice: BoundGiteaClient) -> None:
    issue = alice.get_issue(*ACME, 1)
    assert issue["title"].startswith("Crash on startup")
    comments = alice.list_issue_comments(*ACME, 1)
    assert [c["body"] for c in comments.items][:2] == ["I can reproduce this.", "Thanks, it also happens on 0.2."]
    assert comments.has_more is False


def test_pull_request_with_files_commits_and_diff(alice: BoundGiteaClient) -> None:
    pulls = alice.list_pulls(*ACME, state="all")
    metrics_pr = next(p for p in pulls.items if p["head"]["ref"] == "feature/metrics")
    number = metrics_pr["number"]
    assert alice.get_pull(*ACME, number)["title"] == "Add metrics endpoint"
    files = {f["filename"] for f in alice.list_pull_files(*ACME, number).items}
    assert "src/service_a/metrics.py" in files
    assert len(alice.list_pull_commits(*ACME, number).items) == 3
    assert "metrics.py" in alice.get_pull_diff(*ACME, number).text


def test_repository_and_organisation_labels(alice: BoundGiteaClient) -> None:
    names = {label["name"] for label in all_items(lambda n: alice.list_labels(*ACME, page=n, limit=2))}
    assert {"bug", "enhancement", "priority/high", "priority/low"} <= names
    assert {label["name"] for label in alice.list_org_labels("acme").items} == {"documentation",
                                                                               "good first issue"}


def test_milestones_by_state_and_title(alice: BoundGiteaClient) -> None:
    open_titles = {m["title"] for m in alice.list_milestones(*ACME, state="open").items}
    assert {"v1.1", "Backlog"} <= open_titles
    assert "v1.0" not in open_titles


def test_tags_and_releases(alice: BoundGiteaClient) -> None:
    assert {"v0.1.0", "v1.0.0"} <= {t["name"] for t in alice.list_tags(*ACME).items}
    releases = alice.list_releases(*ACME)
    assert {"v0.2.0", "v1.0.0", "v1.1.0-rc.1"} <= {r["tag_name"] for r in releases.items}
    latest = alice.get_latest_release(*ACME)
    assert latest["tag_name"] == "v1.0.0"  # the newer release candidate is a prerelease
    assert alice.get_release(*ACME, latest["id"])["name"] == "1.0.0"


def test_branches(alice: BoundGiteaClient) -> None:
    names = {b["name"] for b in alice.list_branches(*ACME).items}
    assert {"main", "develop", "feature/metrics"} <= names
    assert alice.get_branch(*ACME, "feature/metrics")["name"] == "feature/metrics"


def test_combined_status(alice: BoundGiteaClient) -> None:
    status = alice.get_combined_status(*ACME, "main")
    assert status["state"] == "success"
    assert status["total_count"] == 2


def test_raw_file_read_ends_when_the_caller_has_enough(alice: BoundGiteaClient) -> None:
    seen: list[int] = []

    def enough(chunk: bytes) -> bool:
        seen.append(len(chunk))
        return True  # the first chunk is all this caller needs

    download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024, enough=enough)
    assert len(seen) == 1 and len(download.content) == seen[0] < len(large_csv())
    assert download.content == large_csv()[: seen[0]]
    assert download.complete is False and download.truncated is False
    assert download.declared_size == len(large_csv())  # Content-Length still tells the whole size
    assert alice.get_raw_file(*ACME, "README.md").complete is True


def test_raw_file_read_to_its_end_is_complete_even_with_enough(alice: BoundGiteaClient) -> None:
    download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024, enough=lambda chunk: False)
    assert download.complete is True and download.content == large_csv()


CATALOGUE = "/api/v1/repos/acme/service-a/raw/data/catalogue.csv"


def first_chunk_only(chunk: bytes) -> bool:
    return True


def test_an_early_stop_drains_the_rest_and_keeps_the_connection(gitea: GiteaClient, alice: BoundGiteaClient,
                                                                  control: EmulatorControl,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # What is tested is that a drained rest keeps the connection, not the 20 ms budget: on a loaded
    # machine the rest of 1.2 MiB can take longer (the budget has tests of its own below).
    monkeypatch.setattr(download_module, "DRAIN_SECONDS", 10.0)
    for _ in range(3):
        download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024, enough=first_chunk_only)
        assert download.complete is False and download.content == large_csv()[: len(download.content)]
        assert gitea.drains.wait_idle()  # the rest is read off the caller's thread, after the answer
    assert alice.get_repository(*ACME)["name"] == "service-a"  # the drained connection answers the next call
    assert control.stats() == {"requests": 4, "connections": 1}


def test_the_answer_does_not_wait_for_the_rest(gitea: GiteaClient, alice: BoundGiteaClient,
                                               control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download_module, "DRAIN_SECONDS", 30.0)  # a budget that outlasts the stall below
    control.fault("GET", CATALOGUE, "stalled", latency_ms=2000, times=1)  # half the body, then 2 s of nothing
    download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024, enough=first_chunk_only)
    assert download.content == large_csv()[: len(download.content)]
    assert not gitea.drains.wait_idle(timeout=0)  # answered while the rest is still on its way
    assert gitea.drains.wait_idle(timeout=10)  # then the rest arrived, was dropped, and the connection kept
    assert alice.get_repository(*ACME)["name"] == "service-a"
    assert control.stats() == {"requests": 2, "connections": 1}


def test_a_stalled_rest_is_given_up_within_the_budget(gitea: GiteaClient, alice: BoundGiteaClient,
                                                      control: EmulatorControl) -> None:
    control.fault("GET", CATALOGUE, "stalled", latency_ms=3000, times=1)
    assert alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024, enough=first_chunk_only).content
    assert gitea.drains.wait_idle(timeout=1.0)  # long before the 3 s stall ends
    assert alice.get_repository(*ACME)["name"] == "service-a"
    assert control.stats() == {"requests": 2, "connections": 2}  # the stalled connection was dropped


def test_a_rest_longer_than_the_cap_is_dropped_with_its_connection(gitea: GiteaClient, alice: BoundGiteaClient,
                                                                    control: EmulatorControl) -> None:
    for _ in range(2):  # 1.2 MiB file, 1 MiB cap: the 1.1 MiB rest is not read
        assert alice.get_raw_file(*ACME, "data/catalogue.csv", cap=1024 * 1024, enough=first_chunk_only).content
        assert gitea.drains.wait_idle(timeout=0)  # nothing was handed to the drainer
    assert control.stats() == {"requests": 2, "connections": 2}


def test_a_rest_cut_off_by_gitea_does_not_spoil_the_answer(gitea: GiteaClient, alice: BoundGiteaClient,
                                                            control: EmulatorControl) -> None:
    control.fault("GET", CATALOGUE, "truncated", times=1)  # half the body, then the connection ends
    download = alice.get_raw_file(*ACME, "data/catalogue.csv", cap=2 * 1024 * 1024, enough=first_chunk_only)
    assert download.content == large_csv()[: len(download.content)] and download.complete is False
    assert gitea.drains.wait_idle()
    assert alice.get_repository(*ACME)["name"] == "service-a"
    assert control.stats() == {"requests": 2, "connections": 2}
