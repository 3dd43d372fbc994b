"""Arguments and outputs of the file tools: contents, trees and code search."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import PageArgs, RepoArgs, ref_field
from schemas.shapes import BOOLEAN, INTEGER, NULLABLE_INTEGER, NULLABLE_STRING, STRING, array, obj

MAX_PATH = 4096


def repo_path(description: str, required: bool = True) -> fields.String:
    return fields.String(
        required=required, validate=validate.Length(min=1, max=MAX_PATH), metadata={"description": description}
    )


class GetFileContentsArgs(RepoArgs):
    """One file (or a directory listing) at a ref."""

    filepath = repo_path("Path of the file inside the repository, e.g. 'src/app.py'.")
    ref = ref_field()
    start_line = fields.Integer(
        strict=True, validate=validate.Range(min=1), metadata={"description": "First line to return (1-based)."}
    )
    end_line = fields.Integer(
        strict=True, validate=validate.Range(min=1), metadata={"description": "Last line to return (inclusive)."}
    )

    @validates_schema
    def _range_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("start_line"), data.get("end_line")
        if start is not None and end is not None and end < start:
            raise ValidationError("Must not be less than start_line.", "end_line")


DIRECTORY_ENTRY = obj({"name": STRING, "path": STRING, "type": STRING, "size": INTEGER})

FILE_CONTENTS = obj(
    {
        "path": STRING,
        "ref": NULLABLE_STRING,
        "type": {"type": "string", "enum": ["file", "dir"]},
        "size": NULLABLE_INTEGER,
        "binary": BOOLEAN,
        "content": STRING,
        "start_line": NULLABLE_INTEGER,
        "end_line": NULLABLE_INTEGER,
        "total_lines": NULLABLE_INTEGER,
        "truncated": BOOLEAN,
        "truncation": NULLABLE_STRING,
        "entries": array(DIRECTORY_ENTRY),
        "note": NULLABLE_STRING,
    }
)


class GetFileTreeArgs(RepoArgs):
    """The entries of a directory tree at a ref, a page at a time (page size MAX_TOOL_RESPONSE_ITEMS)."""

    ref = ref_field()
    recursive = fields.Boolean(
        load_default=False, metadata={"description": "List every entry below the root, not just the top level."}
    )
    path = repo_path("Only entries under this directory, e.g. 'src'.", required=False)
    page = PageArgs._declared_fields["page"]


TREE_ENTRY = obj({"path": STRING, "type": STRING, "size": INTEGER, "sha": STRING})

FILE_TREE = obj(
    {
        "ref": STRING,
        "path": NULLABLE_STRING,
        "recursive": BOOLEAN,
        "items": array(TREE_ENTRY),
        "page": INTEGER,
        "limit": INTEGER,
        "has_more": BOOLEAN,
        "total": NULLABLE_INTEGER,
        "withheld": INTEGER,
        "note": NULLABLE_STRING,
    }
)


class SearchCodeArgs(RepoArgs, PageArgs):
    """A literal text search over the files of a repository at a ref."""

    query = fields.String(
        required=True, validate=validate.Length(min=1, max=200),
        metadata={"description": "Text to find (literal, not a regular expression)."},
    )
    ref = ref_field()
    case_sensitive = fields.Boolean(load_default=False, metadata={"description": "Match case exactly."})


CODE_MATCH = obj(
    {
        "path": STRING,
        "line_number": INTEGER,
        "line": STRING,
        "context_before": array(STRING),
        "context_after": array(STRING),
    }
)

CODE_SEARCH = obj(
    {
        "query": STRING,
        "ref": STRING,
        "commit": STRING,
        "items": array(CODE_MATCH),
        "page": INTEGER,
        "limit": INTEGER,
        "has_more": BOOLEAN,
        "total": NULLABLE_INTEGER,
        "files_searched": INTEGER,
        "incomplete": BOOLEAN,
        "note": NULLABLE_STRING,
    }
)
