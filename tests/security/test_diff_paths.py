"""F2 of issue 20: a patch is shown only when the policy allows every path it names (both sides of a
rename or copy), in get_commit_diff, compare_refs and list_pull_request_files.

Policy (conftest): acme/service-a denies `src/secrets/*`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.tools.diffs import split_diff
from tests.security.conftest import SecurityWorld

pytestmark = pytest.mark.timeout(180)
REPO = {"owner": "acme", "repo": "service-a"}
CANARY = "DO NOT COMMIT"  # the first line of src/secrets/production.py, removed by the move below


@pytest.fixture(scope="module")
def moved(world: SecurityWorld) -> Iterator[dict[str, str]]:
    """Branch `move-settings` moves the denied file out (changing its first line); a PR proposes it."""
    original = world.git("acme/service-a", "show", "main:src/secrets/production.py")
    changed = original.replace(CANARY, "moved", 1) + "\n"
    sha = world.plant("acme/service-a", "move-settings",
                      {"src/secrets/production.py": None, "config/production.py": changed})
    created = world.gitea("POST", "/repos/acme/service-a/pulls",
                          {"head": "move-settings", "base": "main", "title": "Move the settings"})
    yield {"sha": sha, "pull": str(created["number"])}


def test_the_rename_really_carries_the_denied_lines(world: SecurityWorld, moved: dict[str, str]) -> None:
    diff = world.git("acme/service-a", "diff", "-M", "main", "move-settings")
    assert "rename from src/secrets/production.py" in diff and CANARY in diff


def test_a_commit_diff_does_not_show_a_rename_out_of_a_denied_path(world: SecurityWorld,
                                                                   moved: dict[str, str]) -> None:
    is_error, text = world.text("get_commit_diff", **REPO, sha=moved["sha"])
    assert not is_error, text
    assert CANARY not in text and "1 files withheld by policy" in text


def test_compare_refs_does_not_show_a_rename_out_of_a_denied_path(world: SecurityWorld,
                                                                  moved: dict[str, str]) -> None:
    is_error, text = world.text("compare_refs", **REPO, base="main", head="move-settings")
    assert not is_error, text
    assert CANARY not in text and "withheld by policy" in text


def test_pull_request_files_do_not_show_a_rename_out_of_a_denied_path(world: SecurityWorld,
                                                                      moved: dict[str, str]) -> None:
    is_error, text = world.text("list_pull_request_files", **REPO, pull_number=int(moved["pull"]))
    assert not is_error, text
    assert CANARY not in text and "withheld by policy" in text


def test_a_rename_into_a_denied_path_is_withheld_too(world: SecurityWorld) -> None:
    readme = world.git("acme/service-a", "show", "main:README.md") + "\n"
    sha = world.plant("acme/service-a", "move-in", {"README.md": None, "src/secrets/README.md": readme + "hidden\n"})
    assert "rename to src/secrets/README.md" in world.git("acme/service-a", "show", "-M", sha)
    is_error, text = world.text("get_commit_diff", **REPO, sha=sha)
    assert not is_error and "+hidden" not in text and "withheld by policy" in text


def test_copies_and_quoted_or_ambiguous_names_count_every_path_they_name() -> None:
    copied = ("diff --git a/src/secrets/x b/docs/x\nsimilarity index 100%\ncopy from src/secrets/x\n"
              "copy to docs/x\n")
    quoted = ('diff --git "a/src/secrets/\\303\\251.py" "b/docs/\\303\\251.py"\n'
              'rename from "src/secrets/\\303\\251.py"\nrename to "docs/\\303\\251.py"\n')
    ambiguous = "diff --git a/src/secrets/a b/c b/src/secrets/a b/c\nold mode 100644\nnew mode 100755\n"
    (copy,), (rename,), (mode,) = split_diff(copied), split_diff(quoted), split_diff(ambiguous)
    assert copy.status == "copied" and "src/secrets/x" in copy.paths
    assert rename.old_path == "src/secrets/é.py" and rename.path == "docs/é.py"
    assert "src/secrets/a" in mode.paths  # one reading of the ambiguous line names a denied file


def test_a_hunk_line_that_looks_like_a_header_names_no_path() -> None:
    (patch,) = split_diff("diff --git a/docs/x b/docs/x\n--- a/docs/x\n+++ b/docs/x\n@@ -1 +1 @@\n"
                          "-rename from src/secrets/x\n+++ b/src/secrets/y\n")
    assert patch.paths == {"docs/x"}


SEPARATORS = ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("separator", SEPARATORS, ids=[hex(ord(s)) for s in SEPARATORS])
def test_a_line_separator_inside_a_hunk_line_starts_no_file_section(separator: str) -> None:
    """Git ends a diff line at "\\n" only; any other line break inside a hunk line is content."""
    diff = ("diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,3 @@\n"
            f"+# harmless{separator}diff --git a/src/secrets/x.py b/src/secrets/x.py\n+BACKDOOR = 1\n+more\n")
    (patch,) = split_diff(diff)
    assert patch.path == "README.md" and patch.additions == 3 and "BACKDOOR" in patch.patch


def test_a_forged_section_inside_a_denied_file_does_not_show_its_lines(world: SecurityWorld) -> None:
    """A line `# note<CR>diff --git a/README.md b/README.md` in the denied file must not move the rest of
    its patch under README.md (reproduced by the review: the file's context lines were shown)."""
    original = world.git("acme/service-a", "show", "main:src/secrets/production.py")
    forged = "# note\rdiff --git a/README.md b/README.md\n" + original + "\n"
    sha = world.plant("acme/service-a", "forged-section", {"src/secrets/production.py": forged})
    for tool, arguments in (("get_commit_diff", {"sha": sha}), ("compare_refs", {"base": "main",
                                                                                  "head": "forged-section"})):
        is_error, text = world.text(tool, **REPO, **arguments)
        assert not is_error and CANARY not in text and "withheld by policy" in text, (tool, text[:500])
