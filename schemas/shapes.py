"""Small builders for the JSON Schemas of tool outputs (object-rooted, as every MCP revision accepts)."""

from __future__ import annotations

from typing import Any

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
NUMBER: dict[str, Any] = {"type": "number"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
NULLABLE_INTEGER: dict[str, Any] = {"type": ["integer", "null"]}
NULLABLE_BOOLEAN: dict[str, Any] = {"type": ["boolean", "null"]}
STRINGS: dict[str, Any] = {"type": "array", "items": STRING}


def obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object whose properties are all required except `optional`."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null (for objects Gitea may omit, like a milestone)."""
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def envelope(item: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    """The list envelope {items, page, limit, has_more, total} (+ truncated, + extra fields)."""
    properties = {
        "items": array(item),
        "page": INTEGER,
        "limit": INTEGER,
        "has_more": BOOLEAN,
        "total": NULLABLE_INTEGER,
        "truncated": BOOLEAN,
        **extra,
    }
    return obj(properties, optional=("truncated", *extra))


FILE_CHANGE = obj(
    {
        "path": STRING,
        "previous_path": NULLABLE_STRING,
        "status": STRING,
        "additions": INTEGER,
        "deletions": INTEGER,
        "patch": STRING,
        "patch_truncated": BOOLEAN,
        "patch_chars": INTEGER,
    }
)

COMMIT_SUMMARY = obj(
    {
        "sha": STRING,
        "message": STRING,
        "author_name": STRING,
        "author_email": STRING,
        "author_login": NULLABLE_STRING,
        "committer_login": NULLABLE_STRING,
        "date": NULLABLE_STRING,
        "html_url": STRING,
    }
)
