"""F1 and F3 of issue 20: the path policy holds whatever ref, tree or branch name stands in front of a path.

Policy (conftest): acme/service-a denies `src/secrets/*`; bob/dotfiles allows only `docs/*` and README.md.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import SecurityWorld

pytestmark = pytest.mark.timeout(180)
REPO = {"owner": "acme", "repo": "service-a"}
CANARY = "DO NOT COMMIT"  # the docstring of src/secrets/production.py (not a secret, so never masked)


def test_the_denied_file_itself_is_refused(world: SecurityWorld) -> None:
    is_error, text = world.text("get_file_contents", **REPO, filepath="src/secrets/production.py")
    assert is_error and "Denied by policy" in text and CANARY not in text


@pytest.mark.parametrize("prefix", ["main", "v1.0.0", "develop", "HEAD"])
def test_a_ref_in_front_of_a_denied_path_does_not_read_it(world: SecurityWorld, prefix: str) -> None:
    is_error, text = world.text("get_file_contents", **REPO, filepath=f"{prefix}/src/secrets/production.py")
    assert CANARY not in text
    assert is_error


def test_a_commit_sha_in_front_of_a_denied_path_does_not_read_it(world: SecurityWorld) -> None:
    sha = world.git("acme/service-a", "rev-parse", "main")
    for prefix in (sha, sha[:10]):
        is_error, text = world.text("get_file_contents", **REPO, filepath=f"{prefix}/src/secrets/production.py")
        assert CANARY not in text and is_error


def test_a_ref_argument_that_carries_part_of_the_path_does_not_read_it(world: SecurityWorld) -> None:
    """Gitea's legacy handling joins ?ref= with the path: ref="main/src" + "secrets/production.py"."""
    for ref in ("main/src", "main/src/secrets"):
        rest = "secrets/production.py" if ref == "main/src" else "production.py"
        is_error, text = world.text("get_file_contents", **REPO, filepath=rest, ref=ref)
        assert CANARY not in text and is_error


def test_a_branch_named_like_an_allowed_directory_does_not_open_an_allow_list(world: SecurityWorld) -> None:
    world.plant("bob/dotfiles", "docs", {"secret/token.txt": "canary-dotfiles-token\n"})
    is_error, text = world.text("get_file_contents", owner="bob", repo="dotfiles", filepath="docs/secret/token.txt")
    assert "canary-dotfiles-token" not in text and is_error


def test_a_ref_named_after_a_commit_cannot_be_created_through_the_gateway(world: SecurityWorld) -> None:
    """Gitea joins `?ref=<sha>` with the path and takes the shortest branch prefix first: a branch
    `<sha>/src` would make it serve `src/secrets/x` for an asked `src/src/secrets/x`. Such names are
    refused before any gate (docs/Security.md says what a writer with git push access can still do)."""
    sha = world.git("acme/service-a", "rev-parse", "main")
    for tool, argument in (("create_branch", "new_branch_name"), ("create_release", "tag_name")):
        for name in (sha, f"{sha}/src", sha.upper()):
            response = world.call(tool, **REPO, **{argument: name})
            result = response.json()
            assert result["isError"] is True, result
            assert "may not start with a full commit SHA" in result["content"][0]["text"]
    assert "refs/heads/" + sha not in world.git("acme/service-a", "for-each-ref")


@pytest.mark.parametrize("kind", ["heads", "tags"])
def test_a_ref_pushed_with_git_and_named_after_the_commit_refuses_the_read(world: SecurityWorld, kind: str) -> None:
    """What the tools refuse to create, git push can: `<sha>/src` would make Gitea's raw route serve
    `src/secrets/production.py` for an asked `src/src/secrets/production.py` (a path the policy allows).
    The read is refused instead (issue 20 review)."""
    world.plant("acme/service-a", "decoy", {"src/src/secrets/production.py": "decoy\n"})
    sha = world.git("acme/service-a", "rev-parse", "main")
    world.git("acme/service-a", "update-ref", f"refs/{kind}/{sha}/src", sha)
    world.git("acme/service-a", "update-ref", f"refs/tags/probe-{kind}", sha)  # a ref no earlier read resolved
    try:
        is_error, text = world.text("get_file_contents", **REPO, filepath="src/src/secrets/production.py",
                                    ref=f"probe-{kind}")
        assert CANARY not in text and is_error and "named after that commit" in text, text[:300]
    finally:
        world.git("acme/service-a", "update-ref", "-d", f"refs/{kind}/{sha}/src")


def test_reading_with_an_explicit_ref_still_works(world: SecurityWorld) -> None:
    for ref in (None, "main", "v1.0.0", "feature/metrics", world.git("acme/service-a", "rev-parse", "main~3")):
        extra = {"ref": ref} if ref else {}
        is_error, text = world.text("get_file_contents", **REPO, filepath="README.md", **extra)
        assert not is_error and "Orders for ACME." in text, text


def test_a_tree_sha_as_ref_cannot_list_a_denied_directory(world: SecurityWorld) -> None:
    """F3: a subtree fetched by its own sha has relative entry paths that escape `src/secrets/*`."""
    src_tree = world.git("acme/service-a", "rev-parse", "main:src")
    secrets_tree = world.git("acme/service-a", "rev-parse", "main:src/secrets")
    for tree in (src_tree, secrets_tree):
        is_error, text = world.text("get_file_tree", **REPO, ref=tree, recursive=True)
        assert "production.py" not in text
        assert is_error, text


def test_a_tree_sha_cannot_read_a_denied_file_either(world: SecurityWorld) -> None:
    secrets_tree = world.git("acme/service-a", "rev-parse", "main:src/secrets")
    is_error, text = world.text("get_file_contents", **REPO, filepath="production.py", ref=secrets_tree)
    assert CANARY not in text and is_error


def test_the_tree_of_a_commit_still_withholds_denied_entries(world: SecurityWorld) -> None:
    is_error, text = world.text("get_file_tree", **REPO, recursive=True, path="src")
    assert not is_error and "src/service_a/app.py" in text
    assert "production.py" not in text and "withheld" in text


def test_a_directory_read_through_a_ref_prefix_withholds_denied_entries(world: SecurityWorld) -> None:
    _, text = world.text("get_file_contents", **REPO, filepath="src/secrets")
    assert "production.py" not in text
