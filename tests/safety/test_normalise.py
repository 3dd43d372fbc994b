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
    ("intro\n\n[//]: # (a hidden note)\n[comment]: <> (another)\n  [x]: # \"titled\"\noutro", "intro\n\noutro"),
    ("a<span class=\"x\"></span>b<br/>c</i>d", "abcd"),
    ("a\\_b\\*c", "a_bc"),
    ("a&#95;b&lowbar;c&amp;d", "a_b_c&d"),
    ("**bold** ~~gone~~ `code`", "bold gone code"),
    # Markup inside code shows on the page; removing it too can only join more, never hide a secret.
    ("keep `<!-- shown as code -->` here", "keep  here"),
])
def test_rendered_drops_what_the_page_does_not_show(markdown, shown):
    assert rendered(markdown) == shown


def test_plain_text_is_returned_unchanged():
    text = "Fix the login page (#4); see https://gitea.example.com/acme/app/pulls/9 - thanks!"
    assert rendered(text) == text


def test_a_link_shows_its_text_not_its_destination():
    assert rendered("see [the docs](https://example.com/docs) now") == "see the docs now"


A, B = FAKE_GITHUB[:20], FAKE_GITHUB[20:]


# Review of issue 20: what CommonMark renders as nothing joins the text around it.
@pytest.mark.parametrize("markdown", [
    f"{A}[](https://x){B}",  # an empty link
    f"{A}[][x]{B}\n\n[x]: https://x",  # an empty reference link
    f"[{A}](https://x){B}",  # link text glued to what follows
    f"{A}<span title='a>b'></span>{B}",  # a quoted `>` in an attribute
    f"{A}<?x?>{B}",  # a processing instruction
    f"{A}<![CDATA[]]>{B}",  # a CDATA section
    f"{A}<!X >{B}",  # a declaration
    f"{A}![](x){B}",  # an empty image
    f"{A}<!-->{B}",  # an empty comment, as CommonMark 0.31 and browsers read it
    f"{A}<title>hidden</title>{B}",  # content the sanitiser skips
])
def test_markup_the_page_shows_as_nothing_joins_what_surrounds_it(markdown):
    assert FAKE_GITHUB in rendered(markdown)


def test_revealed_keeps_the_text_unless_its_rendered_view_shows_a_secret():
    assert revealed("plain <!-- note --> text") == "plain <!-- note --> text"
    split = f"use {FAKE_GITHUB[:14]}<!-- x -->{FAKE_GITHUB[14:]}"
    assert revealed(split) == f"use {FAKE_GITHUB}"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ["<a " * (MIB // 3), "<a" + "x" * MIB, "[x]: " * (MIB // 5), "&amp;" * (MIB // 5),
                                  "\\_" * (MIB // 2), "<!--" * (MIB // 4), "<div>\n" + "<a " * (MIB // 3),
                                  "![" * (MIB // 2)])
def test_hostile_markup_is_rendered_in_linear_time(text):
    assert len(rendered(text)) <= len(text)
