"""A tool is one frozen declaration; the catalog is the ordered list every surface reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from app.auth.principal import READ_SCOPE, WRITE_SCOPE, Principal

if TYPE_CHECKING:
    from app.gitea.bound import BoundGiteaClient
    from app.tools.call import ToolCall

ANNOTATIONS_SINCE = "2025-03-26"
TITLE_AND_OUTPUT_SCHEMA_SINCE = "2025-06-18"

class Handler(Protocol):
    """A tool's code: the Gitea client bound to the caller's credentials, the loaded arguments, the call."""

    def __call__(self, gitea: BoundGiteaClient, args: dict[str, Any], call: ToolCall, /) -> dict[str, Any]: ...



Renderer = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Annotations:
    """MCP tool annotations: hints for the client, never trusted for security."""

    read_only: bool
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = True

    def to_mcp(self) -> dict[str, bool]:
        return {
            "readOnlyHint": self.read_only,
            "destructiveHint": self.destructive,
            "idempotentHint": self.idempotent,
            "openWorldHint": self.open_world,
        }


READ_ONLY = Annotations(read_only=True)


def inline_nested(_schema: Any) -> Any:
    """apispec's resolver: None inlines nested schemas instead of emitting $ref components."""
    return None


def json_schema_of(schema: type[Schema]) -> dict[str, Any]:
    """The MCP inputSchema of a marshmallow schema: object root, nested inlined, no extra keys."""
    plugin = MarshmallowPlugin(schema_name_resolver=inline_nested)
    APISpec("aegis-tools", "1", "3.1.0", plugins=[plugin])
    assert plugin.converter is not None
    converted: dict[str, Any] = plugin.converter.schema2jsonschema(schema)
    converted.setdefault("properties", {})
    converted["additionalProperties"] = False
    return converted


@dataclass(frozen=True)
class UntrustedField:
    """Where repository text sits in a tool's output: `path` like "items[].body", `author` keys (dotted,
    relative to the object holding the text; the first non-empty wins), `source` a template filled from
    that object's fields and {repository}; `markdown` when Gitea renders it (comments are hidden).

    `fenced` texts are listed one by one; a short text (`fenced=False`, see `short_text`) is listed once
    for its path, with a source filled from the result's top level. `own_bound`: the tool has bounded the
    text already (diff patches share a budget of their own), so it takes no share of the fields' budget."""

    path: str
    author: tuple[str, ...]
    source: str
    markdown: bool = True
    fenced: bool = True
    own_bound: bool = False


@dataclass(frozen=True)
class Tool:
    """Everything about one tool: what clients see, who may call it, and the code that runs it."""

    name: str
    title: str
    description: str
    toolset: str
    arguments: type[Schema]
    output_schema: dict[str, Any]
    handler: Handler
    render: Renderer
    annotations: Annotations = READ_ONLY
    scope: str = READ_SCOPE
    path_argument: str | None = None  # the argument holding a repository path, for path policies
    # Where repository text sits in the output (app.tools.shaping.with_untrusted fills it in).
    untrusted: tuple[UntrustedField, ...] = ()
    # What a tool on no one repository lists ("repositories", "organizations"): service-PAT mode cuts
    # such a list to what the signed-in user may see; a listing tool without it is refused there.
    lists: str | None = None

    @property
    def is_write(self) -> bool:
        return self.scope == WRITE_SCOPE

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        return json_schema_of(self.arguments)

    @cached_property
    def argument_schema(self) -> Schema:
        """One instance per tool: building a Schema copies its fields, and load() leaves it unchanged."""
        return self.arguments()

    def definition(self, protocol_version: str) -> dict[str, Any]:
        """The tool object of `tools/list`, without fields the client's revision does not know."""
        out: dict[str, Any] = {"name": self.name}
        if protocol_version >= TITLE_AND_OUTPUT_SCHEMA_SINCE:
            out["title"] = self.title
        out["description"] = self.description
        out["inputSchema"] = self.input_schema
        if protocol_version >= TITLE_AND_OUTPUT_SCHEMA_SINCE:
            out["outputSchema"] = self.output_schema
        if protocol_version >= ANNOTATIONS_SINCE:
            out["annotations"] = {"title": self.title, **self.annotations.to_mcp()}
        return out


class Catalog:
    """Tools by name, in declaration order (deterministic tools/list)."""

    def __init__(
        self, tools: Iterable[Tool], *, write_mode: bool = False, policy: Callable[[], Any] | None = None
    ) -> None:
        self._tools: dict[str, Tool] = {}
        self.write_mode = write_mode
        self.policy = policy
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            self._tools[tool.name] = tool

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def visible_tools(self, principal: Principal) -> list[Tool]:
        """Tools this caller could ever run: write tools only in write mode, none the policy denies everywhere.

        Write tools stay listed for a read-only OAuth caller on purpose: calling one answers
        403 insufficient_scope, which is how an MCP client learns to step up its scopes.
        """
        policy = self.policy() if self.policy is not None else None  # once per listing, not per tool
        return [tool for tool in self._tools.values() if self._offered(tool, policy)]

    def _offered(self, tool: Tool, policy: Any) -> bool:
        if tool.is_write and not self.write_mode:
            return False
        return policy is None or not policy.tool_denied_everywhere(tool.name, tool.is_write)
