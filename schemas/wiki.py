"""Arguments and outputs of the wiki tools; a page is named by its title, checked before any request."""

from __future__ import annotations

import unicodedata

from marshmallow import ValidationError, fields, validate

from schemas.common import INVISIBLE, MAX_LIMIT, SLASH_LOOKALIKES, PageArgs, RepoArgs
from schemas.shapes import BOOLEAN, INTEGER, NULLABLE_STRING, STRING, envelope, nullable, obj
from schemas.write_fields import DRY_RUN, TEXT_MAX, WriteArgs

TITLE_MAX = 200
# Gitea refuses to create pages of these names (services/wiki/wiki_path.go reservedWikiNames).
RESERVED_TITLES = frozenset({"_pages", "_new", "_edit", "raw"})
TITLE_HELP = "Give the page title as list_wiki_pages shows it, e.g. 'Home' or 'Release Process'."


def title_problem(title: str) -> str | None:
    """Why `title` cannot name a wiki page, or None: nothing hidden, no traversal, no sub-pages, one spelling."""
    hidden = next((char for char in title if unicodedata.category(char) in INVISIBLE), None)
    if hidden is not None:
        return f"a control or invisible character U+{ord(hidden):04X}"
    if ".." in unicodedata.normalize("NFKC", title) or title == ".":
        return "'..' (or a lone '.')"
    slash = next((char for char in title if char in "/\\" or char in SLASH_LOOKALIKES or slash_after_nfkc(char)), None)
    if slash is not None:
        return (f"the character {slash!r} (U+{ord(slash):04X}): sub-pages are not reachable through Gitea's "
                "wiki API")
    if title != title.strip():
        return "leading or trailing whitespace (Gitea trims it, so the page would have another name)"
    return None


def slash_after_nfkc(char: str) -> bool:
    """A look-alike that Unicode normalisation turns into '/' or '\\'."""
    return not char.isascii() and any(c in "/\\" for c in unicodedata.normalize("NFKC", char))


def check_title(title: str) -> None:
    problem = title_problem(title)
    if problem is not None:
        raise ValidationError(f"Not a wiki page title: it contains {problem}. {TITLE_HELP}")


def check_new_title(title: str) -> None:
    check_title(title)
    if title in RESERVED_TITLES:
        raise ValidationError(f"Gitea reserves the page names {', '.join(sorted(RESERVED_TITLES))}; choose another.")


def page_title(description: str, *, new: bool = False) -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=TITLE_MAX),
                                                  check_new_title if new else check_title],
                         metadata={"description": description})


def page_content(description: str) -> fields.String:
    return fields.String(required=True, validate=validate.Length(max=TEXT_MAX), metadata={"description": description})


def commit_message() -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=TEXT_MAX),
                         metadata={"description": "Commit message of the change (Gitea writes one if omitted)."})


class ListWikiPagesArgs(RepoArgs, PageArgs):
    # Gitea reads limit=1 as "its default of 30", so one-item pages cannot be asked for.
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(min=2, max=MAX_LIMIT),
                           metadata={"description": "Pages per page."})


class GetWikiPageArgs(RepoArgs):
    title = page_title("Page title, e.g. 'Home'.")
    start_line = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1),
                                metadata={"description": "First line to show, from 1 (to continue a cut page)."})


class ListWikiPageRevisionsArgs(RepoArgs):
    title = page_title("Page title, e.g. 'Home'.")
    page = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1),
                          metadata={"description": "Page of revisions (50 each, newest first), from 1."})


class CreateWikiPageArgs(WriteArgs):
    title = page_title("Title of the new page, e.g. 'Release Process'.", new=True)
    content = page_content("The page's Markdown text.")
    message = commit_message()


class UpdateWikiPageArgs(WriteArgs):
    title = page_title("Title of the page to change (it keeps its title).")
    content = page_content("The page's new Markdown text (replaces the whole page).")
    message = commit_message()


REVISION = obj({"sha": STRING, "author": STRING, "date": NULLABLE_STRING, "message": STRING})
PAGE_SUMMARY = obj({"title": STRING, "sub_url": STRING, "last_commit": nullable(REVISION)})
PAGE_LIST = envelope(PAGE_SUMMARY, withheld=INTEGER)
PAGE = obj(
    {
        "title": STRING,
        "sub_url": STRING,
        "html_url": STRING,
        "content": STRING,
        "size": INTEGER,
        "binary": BOOLEAN,
        "start_line": INTEGER,
        "total_lines": INTEGER,
        "truncated": BOOLEAN,
        "truncation": NULLABLE_STRING,
        "commit_count": INTEGER,
        "last_commit": nullable(REVISION),
    }
)
REVISION_LIST = envelope(REVISION, title=STRING)
WRITTEN_PAGE = obj({"title": STRING, "sub_url": STRING, "html_url": STRING, "commit_count": INTEGER,
                    "last_commit": nullable(REVISION), "changed": BOOLEAN})
# The dry run of a wiki write also shows what it would change: a unified diff of the page, bounded.
WIKI_DRY_RUN = obj({**DRY_RUN["properties"], "diff": STRING, "diff_truncated": BOOLEAN},
                   optional=("diff", "diff_truncated"))
PAGE_WRITTEN = {"type": "object", "anyOf": [WRITTEN_PAGE, WIKI_DRY_RUN]}
