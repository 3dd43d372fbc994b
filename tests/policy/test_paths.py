"""Traversal corpus: no spelling of a path may reach a denied directory."""

from __future__ import annotations

import pytest

from app.policy import Policy, UnsafePathError, normalise_repo_path

POLICY = Policy.parse("repositories:\n  acme/app: {paths: {deny: ['src/secrets/*']}}\n")

TRAVERSAL_CORPUS = [
    "src/secrets/x",
    "src/secrets",
    "src/secrets/",
    "src/./secrets/x",
    "./src/secrets/x",
    "src//secrets/x",
    "src/secrets//x",
    "src/public/../secrets/x",
    "src/public/%2e%2e/secrets/x",
    "src/%2e%2e/src/secrets/x",
    "src/%2E%2E/src/secrets/x",
    "src%2fsecrets%2fx",
    "src%2Fsecrets/x",
    "src/%252e%252e/src/secrets/x",
    "src%252fsecrets%252fx",
    "src/%25252e/secrets/x",
    "src\\secrets\\x",
    "src/secrets\\x",
    "src\\..\\src\\secrets\\x",
    "/src/secrets/x",
    "//src/secrets/x",
    "C:/src/secrets/x",
    "src\uff0fsecrets\uff0fx",
    "src/\u2024\u2024/src/secrets/x",
    "src/\u2025/src/secrets/x",
    "src/\uff0e\uff0e/src/secrets/x",
    "src/\ufe52\ufe52/src/secrets/x",
    "src\u2215secrets\u2215x",
    "src\u2044secrets\u2044x",
    "src\uff3csecrets\uff3cx",
    "src/secrets/x\x00.txt",
    "src/secrets\x00/x",
    "src/secrets/.",
    "src/secrets/./x",
    "src/public/..",
    "SRC/secrets/x",
    "src/SECRETS/x",
    "Src/Secrets/X",
    "src/\u200bsecrets/x",
    "src/secrets\u202e/x",
    "src/secrets/\r\nx",
    "src/secrets/\tx",
    "src/secrets/%00",
    "src/sec%72ets/x",
    "src/public/...\\..\\secrets/x",
    "..",
    "../acme/app/src/secrets/x",
    "src/secrets/x/",
    "src/secrets/deeper/still/x",
]


def test_corpus_has_at_least_forty_variants() -> None:
    assert len(set(TRAVERSAL_CORPUS)) >= 40


@pytest.mark.parametrize("variant", TRAVERSAL_CORPUS)
def test_no_variant_reaches_the_denied_path(variant: str) -> None:
    decision = POLICY.decide("get_file_contents", False, "acme/app", variant)
    assert not decision.allowed, decision
    assert decision.rule in ("path.normalisation", "repositories.acme/app.paths.deny")


@pytest.mark.parametrize("variant", TRAVERSAL_CORPUS)
def test_no_variant_survives_tree_filtering(variant: str) -> None:
    allowed, withheld = POLICY.filter_paths("acme/app", [variant])
    assert (allowed, withheld) == ([], [variant])


@pytest.mark.parametrize(
    "path", ["src/public/x.py", "src/secrets.md", "src/secretsx/y", "docs/100%.md", "café/naïve.txt", "a/.../b", ""]
)
def test_ordinary_paths_stay_reachable(path: str) -> None:
    assert POLICY.decide("get_file_contents", False, "acme/app", path).allowed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("a/../b", "'..' segment"),
        ("./a", "'.' segment"),
        ("a//b", "empty path segment"),
        ("a\\b", "backslash"),
        ("%2e%2e/a", "percent-encoded"),
        ("%252e%252e/a", "percent-encoded"),
        ("/etc/passwd", "absolute path"),
        ("a\x00b", "NUL"),
        ("a\uff0fb", "normalises to path syntax"),
        ("a/\u2024", "normalises to path syntax"),
        ("a" * 5000, "longer than"),
    ],
)
def test_unsafe_paths_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(UnsafePathError, match=reason):
        normalise_repo_path(raw)


def test_a_trailing_slash_names_the_directory() -> None:
    assert normalise_repo_path("src/") == "src"
    assert normalise_repo_path("/") == ""
