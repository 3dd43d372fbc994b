"""Argument fields every tool shares: repository names, refs and paging."""

from __future__ import annotations

import re
import unicodedata

from marshmallow import Schema, ValidationError, fields, validate

# Gitea allows letters, digits, '-', '_' and '.' in user, org and repository names.
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
RESERVED_NAMES = (".", "..")
MAX_LIMIT = 50
MAX_REF = 255
# git check-ref-format refuses these; '#' and '%' are refused too, since in a URL they end or re-encode it.
REF_FORBIDDEN = frozenset(" ~^:?*[\\#%")
# Look-alikes of '/' that Unicode normalisation keeps, so the NFKC check below cannot see them.
SLASH_LOOKALIKES = frozenset("\u2215\u2044\u29f8\u2571\u244a\u3033")
REF_SYNTAX = REF_FORBIDDEN | {"/", ".", "@", "{"}
INVISIBLE = ("Cc", "Cf", "Cs", "Zl", "Zp")
REF_HELP = (
    "A ref is a branch or tag name such as 'main', 'feature/x' or 'v1.0.0', or a commit SHA (4-64 hex digits): "
    "parts joined by single '/', no part starting with '.' or ending in '.lock', not ending in '.', "
    "and no '..', '@{', spaces, control characters or any of ~^:?*[\\#%."
)
FORK_PREFIX = re.compile(r"^([A-Za-z0-9_.-]{1,100}):(.*)$", re.DOTALL)
# A commit-ish may name an ancestor the way Gitea's compare accepts it: 'main~3', 'v1.0.0^', 'abc123^2'.
REVISION_SUFFIX = re.compile(r"(?:[~^][0-9]{0,4})+$")


def _not_reserved(value: str) -> None:
    if value in RESERVED_NAMES:
        raise ValidationError("'.' and '..' are not repository or owner names.")


def gitea_name(description: str) -> fields.String:
    """A user, organization or repository name as Gitea allows it."""
    return fields.String(
        required=True,
        validate=[validate.Regexp(NAME_PATTERN, error="Use letters, digits, '-', '_' or '.' only."), _not_reserved],
        metadata={"description": description},
    )


def ref_problem(value: str) -> str | None:
    """Why `value` is not a git ref name (git check-ref-format rules), or None when it is one."""
    for char in value:
        if unicodedata.category(char) in INVISIBLE:
            return f"control or invisible character U+{ord(char):04X}"
        if char in REF_FORBIDDEN or char in SLASH_LOOKALIKES or normalises_to_syntax(char):
            return f"the character {char!r} (U+{ord(char):04X})"
    return ref_shape_problem(value)


def normalises_to_syntax(char: str) -> bool:
    """Tell a look-alike ('\uff0e', '\u2025', '\uff0f') that NFKC turns into ref or URL syntax."""
    return not char.isascii() and any(c in REF_SYNTAX for c in unicodedata.normalize("NFKC", char))


def ref_shape_problem(value: str) -> str | None:
    """The structural part of git's rules: slashes, dots, '@{' and '.lock'."""
    if value == "@" or "@{" in value:
        return "'@{' (or a lone '@')"
    if ".." in value:
        return "'..'"
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return "an empty part (a leading or trailing '/', or '//')"
    if value.endswith("."):
        return "a trailing '.'"
    for part in value.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return f"the part {part!r} (parts may not start with '.' or end in '.lock')"
    return None


def check_ref(value: str) -> None:
    """Refuse anything git would not accept as a ref name, saying what is allowed."""
    problem = ref_problem(value)
    if problem is not None:
        raise ValidationError(f"Not a valid ref: it contains {problem}. {REF_HELP}")


def check_revision(value: str) -> None:
    """A ref name, optionally followed by ancestry suffixes (~N, ^N)."""
    base = REVISION_SUFFIX.sub("", value)
    problem = ref_problem(base) if base else "no name before its ~ or ^ suffix"
    if problem is not None:
        raise ValidationError(f"Not a valid ref: it contains {problem}. {REF_HELP} It may end in ~N or ^N.")


def check_pull_head(value: str) -> None:
    """A branch name, or 'owner:branch' for a fork's branch."""
    fork = FORK_PREFIX.match(value)
    check_ref(fork.group(2) if fork else value)


FULL_SHA_LIKE = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


def check_new_ref_name(value: str) -> None:
    """A new branch or tag: a git ref name whose first part is not a full commit id.

    Gitea's raw-file route reads `<sha>/<dir>` as a branch of that name when one exists, so such a
    branch would change which file is served for a path read at that commit (app/tools/refs.py)."""
    check_ref(value)
    if FULL_SHA_LIKE.fullmatch(value.split("/", 1)[0]):
        raise ValidationError("A new branch or tag name may not start with a full commit SHA (40 or 64 hex "
                              "digits): Gitea would read it as a commit id. Choose another name.")


def ref_field(
    description: str = "Branch, tag or commit SHA; defaults to the repository's default branch.",
    *,
    required: bool = False,
    fork_prefix: bool = False,
    revision: bool = False,
    new: bool = False,
) -> fields.String:
    """A branch, tag or commit SHA, checked with git's ref-name rules before any upstream call.

    `fork_prefix` also accepts 'owner:branch'; `revision` also accepts ancestry suffixes ('main~3');
    `new` names a branch or tag to create (see check_new_ref_name).
    """
    check = (check_pull_head if fork_prefix else check_revision if revision
             else check_new_ref_name if new else check_ref)
    return fields.String(
        required=required,
        validate=[validate.Length(min=1, max=MAX_REF), check],
        metadata={"description": description},
    )


def number_field(description: str) -> fields.Integer:
    return fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1), metadata={"description": description}
    )


class PageArgs(Schema):
    """Paging arguments: 1-based page and a page size of at most 50."""

    page = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=1), metadata={"description": "Page number, from 1."}
    )
    limit = fields.Integer(
        load_default=20,
        strict=True,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Items per page."},  # the schema's maximum says 50
    )


class RepoArgs(Schema):
    """A repository named by owner and name."""

    owner = gitea_name("Repository owner (user or organization).")
    repo = gitea_name("Repository name.")


class RepoPageArgs(RepoArgs, PageArgs):
    """A repository plus paging."""
