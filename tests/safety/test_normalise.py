"""The rendered view of Markdown the inbound check scans: what a reader of the Gitea page sees."""

from __future__ import annotations

import pytest

from app.safety.normalise import rendered, revealed

FAKE_GITHUB = "ghp_FAKE7Fk0123456789abcdefABCDEFGHIJ0123"
MIB = 1024 * 1024


@pytest.mark.parametrize(("markdown", "shown"), [
    ("a<!-- hidden -->b", "ab"),
    ("a<!--\nhidden\n-->b", "ab"),
    ("a\u200bb\u2060c\ufeffd", "abcd"),
    ("intro\n[//]: # (a hidden note)\n[comment]: <> (another)\n  [x]: # \"titled\"\noutro", "intro\noutro"),
    ("a<span class=\"x\"></span>b<br/>c</i>d", "abcd"),
    ("a\\_b\\*c", "a_bc"),
    ("a&#95;b&lowbar;c&amp;d", "a_b_c&d"),
    ("**bold** ~~gone~~ `code`", "bold gone code"),
    ("keep `<!-- shown as code -->` here", "keep <!-- shown as code --> here"),
])
def test_rendered_drops_what_the_page_does_not_show(markdown, shown):
    assert rendered(markdown) == shown


def test_plain_text_is_returned_unchanged():
    text = "Fix the login page (#4); see https://gitea.example.com/acme/app/pulls/9 - thanks!"
    assert rendered(text) == text


def test_a_link_to_a_real_destination_is_kept():
    assert rendered("[docs]: https://example.com/docs\nsee [docs]") == "[docs]: https://example.com/docs\nsee [docs]"


def test_revealed_keeps_the_text_unless_its_rendered_view_shows_a_secret():
    assert revealed("plain <!-- note --> text") == "plain <!-- note --> text"
    split = f"use {FAKE_GITHUB[:14]}<!-- x -->{FAKE_GITHUB[14:]}"
    assert revealed(split) == f"use {FAKE_GITHUB}"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ["<a " * (MIB // 3), "<a" + "x" * MIB, "[x]: " * (MIB // 5), "&amp;" * (MIB // 5),
                                  "\\_" * (MIB // 2), "<!--" * (MIB // 4)])
def test_hostile_markup_is_rendered_in_linear_time(text):
    assert len(rendered(text)) <= len(text)
