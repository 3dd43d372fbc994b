"""Marshmallow schemas for the YAML policy file (spec/Policy.md)."""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate

TOOL_NAME = re.compile(r"^(?:[a-z0-9_]{1,64}|automation_\*)$")
REPOSITORY_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/(?:[A-Za-z0-9_.-]{1,100}|\*)$")
WIKI_PREFIX = "wiki:"  # app.policy.engine.WIKI_PREFIX: a glob on wiki page titles
GLOB_CHARS = re.compile(r"^[^\\\x00-\x1f\x7f]{1,512}$")


def validate_tool_name(name: str) -> None:
    """Accept Gitea-style tool names and the automation_* wildcard."""
    if not TOOL_NAME.match(name):
        raise ValidationError(f"invalid tool name {name!r}: expected [a-z0-9_]{{1,64}} or automation_*")


def validate_repository_key(key: str) -> None:
    """Accept owner/repo or owner/*."""
    if not REPOSITORY_KEY.match(key):
        raise ValidationError(f"invalid repository key {key!r}: expected owner/repo or owner/*")


def validate_path_glob(glob: str) -> None:
    """Accept relative globs without traversal, so a rule means what it says; `wiki:` globs name wiki pages."""
    if glob.startswith(WIKI_PREFIX):
        validate_wiki_glob(glob)
        return
    if not GLOB_CHARS.match(glob):
        raise ValidationError(f"invalid path glob {glob!r}: empty, too long, backslash or control character")
    if glob.startswith("/") or "//" in glob:
        raise ValidationError(f"invalid path glob {glob!r}: must be relative without empty segments")
    if any(part in (".", "..") for part in glob.split("/")):
        raise ValidationError(f"invalid path glob {glob!r}: '.' and '..' segments are not allowed")


def validate_wiki_glob(glob: str) -> None:
    """A glob on wiki page titles: a title holds no '/' and no '..', so a glob that needs one matches nothing."""
    title = glob.removeprefix(WIKI_PREFIX)
    if not GLOB_CHARS.match(title):
        raise ValidationError(f"invalid wiki glob {glob!r}: empty, too long, backslash or control character")
    if "/" in title or ".." in title:
        raise ValidationError(f"invalid wiki glob {glob!r}: wiki page titles hold no '/' or '..'")


class ToolListsSchema(Schema):
    """Tool allow and deny lists."""

    class Meta:
        unknown = RAISE

    allow = fields.List(fields.String(validate=validate_tool_name), load_default=list)
    deny = fields.List(fields.String(validate=validate_tool_name), load_default=list)


class PathListsSchema(Schema):
    """Path glob allow and deny lists."""

    class Meta:
        unknown = RAISE

    allow = fields.List(fields.String(validate=validate_path_glob), load_default=list)
    deny = fields.List(fields.String(validate=validate_path_glob), load_default=list)


class RepositoryRuleSchema(Schema):
    """Rules for one repository key."""

    class Meta:
        unknown = RAISE

    tools = fields.Nested(ToolListsSchema, load_default=dict)
    paths = fields.Nested(PathListsSchema, load_default=dict)


class DefaultsSchema(Schema):
    """Default decisions for tools no list mentions."""

    class Meta:
        unknown = RAISE

    read = fields.String(validate=validate.OneOf(["allow", "deny"]), load_default="allow")
    write = fields.String(validate=validate.OneOf(["allow", "deny"]), load_default="deny")


class FlowGrantSchema(Schema):
    """One granted flow: what was read in `from` may be written to `to` (owner/repo or owner/*)."""

    class Meta:
        unknown = RAISE

    source = fields.String(data_key="from", required=True, validate=validate_repository_key)
    sink = fields.String(data_key="to", required=True, validate=validate_repository_key)


class FlowsSchema(Schema):
    """Flows the toxic-flow guard lets through although the sink is less confidential than the source."""

    class Meta:
        unknown = RAISE

    allow = fields.List(fields.Nested(FlowGrantSchema), load_default=list)


class PolicyFileSchema(Schema):
    """The whole policy file."""

    class Meta:
        unknown = RAISE

    defaults = fields.Nested(DefaultsSchema, load_default=dict)
    tools = fields.Nested(ToolListsSchema, load_default=dict)
    repositories = fields.Dict(
        keys=fields.String(validate=validate_repository_key),
        values=fields.Nested(RepositoryRuleSchema),
        load_default=dict,
    )
    flows = fields.Nested(FlowsSchema, load_default=dict)
