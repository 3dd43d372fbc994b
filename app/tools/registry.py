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
from app.tools.selection import EVERYTHING, Selection, SelectionError

if TYPE_CHECKING:
    from app.gitea.bound import BoundGiteaClient
    from app.tools.call import ToolCall

ANNOTATIONS_SINCE = "2025-03-26"
TITLE_AND_OUTPUT_SCHEMA_SINCE = "2025-06-18"
# Validation keywords the server enforces on every call (with an error naming the field) and a model does
# not need to read: they are left out of the published inputSchema. Types, enums, ranges, defaults, required
# and additionalProperties stay.
UNPUBLISHED_KEYWORDS = frozenset({"pattern", "minLength", "maxLength", "minItems", "maxItems"})

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

    def lean(self) -> dict[str, bool]:
        """readOnlyHint always (clients branch on it), then only the hints that differ from MCP's defaults
        (destructive true, idempotent false, openWorld true); destructive and idempotent mean nothing for a
        read-only tool. Same meaning as to_mcp(), fewer tokens."""
        hints = {"readOnlyHint": self.read_only}
        if not self.read_only and not self.destructive:
            hints["destructiveHint"] = False
        if not self.read_only and self.idempotent:
            hints["idempotentHint"] = True
        if not self.open_world:
            hints["openWorldHint"] = False
        return hints


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
    published: dict[str, Any] = without_keywords(converted, UNPUBLISHED_KEYWORDS)
    return published


def without_keywords(schema: Any, keywords: frozenset[str]) -> Any:
    """`schema` without the given keywords at any depth (property names are never keywords)."""
    if isinstance(schema, list):
        return [without_keywords(item, keywords) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: ({name: without_keywords(sub, keywords) for name, sub in value.items()} if key == "properties"
              else without_keywords(value, keywords))
        for key, value in schema.items() if key not in keywords or key == "properties"
    }


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The top level of an output schema: every field's name, nothing more (types and nesting are in the full
    schema, MCP_OUTPUT_SCHEMAS=full; with the names a client knows what structuredContent holds). A relaxation of
    the full schema, so a structured result valid for the full one is valid for this one (a write tool's
    result-or-dry-run choice stays a choice of the two compact shapes)."""
    if "anyOf" in schema:
        # MCP requires an outputSchema of type object at its top level: the choice sits under it.
        return {"type": "object", "anyOf": [compact_output_schema(branch) for branch in schema["anyOf"]]}
    return {"type": "object", "properties": {name: {} for name in schema.get("properties", {})}}


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
    path_namespace: str = "files"  # what path_argument names: "files", or "wiki" (a page title, `wiki:` globs)
    # Where repository text sits in the output (app.tools.shaping.with_untrusted fills it in).
    untrusted: tuple[UntrustedField, ...] = ()
    # What a tool on no one repository lists ("repositories", "organizations"): service-PAT mode cuts
    # such a list to what the signed-in user may see; a listing tool without it is refused there.
    lists: str | None = None
    # Further questions the policy must answer "allow" before a call runs: (policy name, repository path)
    # pairs drawn from its arguments, e.g. an approving review's own name and each inline comment's path.
    policy_targets: Callable[[dict[str, Any]], Iterable[tuple[str, str | None]]] | None = None
    # Names a policy file may use that are not tools: the ones policy_targets asks about (write names).
    policy_names: tuple[str, ...] = ()

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

    @cached_property
    def compact_output_schema(self) -> dict[str, Any]:
        return compact_output_schema(self.output_schema)

    def definition(self, protocol_version: str, output_schemas: str = "compact") -> dict[str, Any]:
        """The tool object of `tools/list`, without fields the client's revision does not know.

        `output_schemas` (MCP_OUTPUT_SCHEMAS): full, compact (top-level fields and types) or off. The
        structured result is the same in every mode and always valid for the full schema."""
        out: dict[str, Any] = {"name": self.name}
        titled = protocol_version >= TITLE_AND_OUTPUT_SCHEMA_SINCE
        if titled:
            out["title"] = self.title
        out["description"] = self.description
        out["inputSchema"] = self.input_schema
        if titled and output_schemas != "off":
            out["outputSchema"] = self.output_schema if output_schemas == "full" else self.compact_output_schema
        if protocol_version >= ANNOTATIONS_SINCE:
            # The title is said once: annotations carry it only for the revision without a tool title.
            out["annotations"] = {**({} if titled else {"title": self.title}), **self.annotations.lean()}
        return out


class Catalog:
    """Tools by name, in declaration order (deterministic tools/list).

    `enabled`: the names of the tools the operator serves to clients (MCP_TOOLSETS / MCP_TOOLS); None serves
    every tool. A tool not served does not exist for clients: not listed, and calling it is an unknown tool.
    Automation jobs (internal callers, governed by their own policy entries) may still call it.
    """

    def __init__(
        self, tools: Iterable[Tool], *, write_mode: bool = False, policy: Callable[[], Any] | None = None,
        enabled: Iterable[str] | None = None, output_schemas: str = "compact",
    ) -> None:
        self._tools: dict[str, Tool] = {}
        self.write_mode = write_mode
        self.output_schemas = output_schemas
        self.policy = policy
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            self._tools[tool.name] = tool
        self._all_toolsets = tuple(dict.fromkeys(tool.toolset for tool in self._tools.values()))
        self._served = None if enabled is None else frozenset(enabled)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    @property
    def known_toolsets(self) -> tuple[str, ...]:
        """Every toolset of the code, served or not (what a selection may name)."""
        return self._all_toolsets

    def served(self, tool: Tool) -> bool:
        """The operator serves this tool to clients (MCP_TOOLSETS / MCP_TOOLS)."""
        return self._served is None or tool.name in self._served

    def served_toolsets(self) -> dict[str, int]:
        """Toolsets with at least one tool offered (write mode applied), and how many tools each offers."""
        counts: dict[str, int] = {}
        for tool in self._tools.values():
            if self.served(tool) and (not tool.is_write or self.write_mode):
                counts[tool.toolset] = counts.get(tool.toolset, 0) + 1
        return counts

    def offered(self, name: str, selection: Selection = EVERYTHING, *, internal: bool = False) -> Tool | None:
        """The tool a call names if this caller may see it: None is an unknown tool. `internal`: an automation
        job, which the operator's MCP_TOOLSETS / MCP_TOOLS do not narrow."""
        tool = self._tools.get(name)
        if tool is None or not (internal or self.served(tool)) or not selection.admits(tool.toolset, tool.is_write):
            return None
        return tool

    def check_selection(self, selection: Selection) -> None:
        """Raise SelectionError when a selection leaves no tool to offer."""
        if not selection.narrows:
            return
        if any(self.served(tool) and self._offered(tool, None) and selection.admits(tool.toolset, tool.is_write)
               for tool in self):
            return
        asked = ", ".join(sorted(selection.toolsets or ())) or "every toolset"
        reasons = []
        if selection.unavailable:
            reasons.append(f"not served here: {', '.join(selection.unavailable)}")
        if selection.readonly:
            reasons.append("readonly leaves only read tools")
        served = ", ".join(self.served_toolsets()) or "none"
        raise SelectionError(
            f"The selection ({asked}{'; ' if reasons else ''}{'; '.join(reasons)}) leaves no tool. "
            f"Toolsets this server serves: {served}."
        )

    def visible_tools(self, principal: Principal, selection: Selection = EVERYTHING) -> list[Tool]:
        """Tools this caller could ever run: write tools only in write mode, none the policy denies everywhere,
        only those of the connection's selection.

        Write tools stay listed for a read-only OAuth caller on purpose: calling one answers
        403 insufficient_scope, which is how an MCP client learns to step up its scopes.
        """
        policy = self.policy() if self.policy is not None else None  # once per listing, not per tool
        return [
            tool for tool in self._tools.values()
            if self.served(tool) and selection.admits(tool.toolset, tool.is_write) and self._offered(tool, policy)
        ]

    def _offered(self, tool: Tool, policy: Any) -> bool:
        if tool.is_write and not self.write_mode:
            return False
        return policy is None or not policy.tool_denied_everywhere(tool.name, tool.is_write)


def enabled_tools(
    tools: Iterable[Tool], toolsets: Iterable[str], names: Iterable[str], opt_in: Iterable[str] = (),
) -> list[str] | None:
    """The tool names MCP_TOOLSETS and MCP_TOOLS serve (their union); None when that is every tool.

    In MCP_TOOLSETS, `default` names every toolset but the opt-in ones (`opt_in`: served only when named)
    and `all` every toolset; neither setting set serves the default toolsets. Raises SelectionError naming
    the valid toolsets or tools for a name that does not exist."""
    tools, names = list(tools), list(names)
    valid_sets = list(dict.fromkeys(tool.toolset for tool in tools))
    defaults = [name for name in valid_sets if name not in set(opt_in)]
    keywords = {"all": valid_sets, "default": defaults}
    asked = [t.lower() for t in toolsets] or ([] if names else ["default"])
    toolsets = [name for t in asked for name in keywords.get(t, [t])]
    valid_names = [tool.name for tool in tools]
    problems = []
    unknown_sets = [t for t in toolsets if t not in valid_sets]
    if unknown_sets:
        problems.append(
            f"MCP_TOOLSETS: unknown {', '.join(unknown_sets)}; valid toolsets: {', '.join(valid_sets)} "
            "(or default, all)"
        )
    unknown_names = [n for n in names if n not in valid_names]
    if unknown_names:
        problems.append(f"MCP_TOOLS: unknown {', '.join(unknown_names)}; valid tools: {', '.join(valid_names)}")
    if problems:
        raise SelectionError("\n".join(problems))
    served = [tool.name for tool in tools if tool.toolset in toolsets or tool.name in names]
    return None if len(served) == len(tools) else served
