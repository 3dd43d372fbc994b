"""Regenerate the tools section of docs/API-Reference.md from the tool catalog (the one source)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.tools import all_tools
from app.tools.registry import Tool
from scripts.render_config_docs import replace_section

DOC = Path(__file__).resolve().parents[1] / "docs" / "API-Reference.md"
BEGIN, END = "<!-- tools:begin -->", "<!-- tools:end -->"
HINTS = (("readOnlyHint", "read-only"), ("destructiveHint", "destructive"),
         ("idempotentHint", "idempotent"), ("openWorldHint", "open-world"))
LIMITS = (("minimum", ">= {}"), ("maximum", "<= {}"), ("minLength", "length >= {}"),
          ("maxLength", "length <= {}"), ("minItems", ">= {} items"), ("maxItems", "<= {} items"),
          ("pattern", "matches `{}`"))


def type_of(prop: dict[str, Any]) -> str:
    """A short type name: `string`, `integer | string`, `array of string`."""
    if "anyOf" in prop:
        return " \\| ".join(type_of(option) for option in prop["anyOf"])
    if prop.get("type") == "array":
        return f"array of {type_of(prop.get('items', {}))}"
    return str(prop.get("type", "any"))


def constraints_of(prop: dict[str, Any]) -> str:
    """Enums, bounds and patterns of one argument (and of each anyOf option)."""
    found = [f"one of {', '.join(f'`{v}`' for v in prop['enum'])}"] if "enum" in prop else []
    found += [text.format(prop[key]).replace("|", "\\|") for key, text in LIMITS if key in prop]
    for option in prop.get("anyOf", []):
        found += [f"{option.get('type')}: {c}" for c in constraints_of(option).split("; ") if c]
    item_limits = constraints_of(prop["items"]) if "items" in prop else ""
    found += [f"each {item_limits}"] if item_limits else []
    return "; ".join(found)


def default_of(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return ""
    value = prop["default"]
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def argument_rows(tool: Tool) -> list[str]:
    schema = tool.input_schema
    required = set(schema.get("required", []))
    rows = ["| argument | type | required | default | constraints | description |", "|---|---|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        needed = "yes" if name in required else ""
        rows.append(f"| `{name}` | {type_of(prop)} | {needed} | {default_of(prop)} | "
                    f"{constraints_of(prop)} | {prop.get('description', '')} |")
    return rows if schema["properties"] else ["No arguments."]


def hints_of(tool: Tool) -> str:
    flags = tool.annotations.to_mcp()
    return ", ".join(label for key, label in HINTS if flags[key]) or "none"


def tool_section(tool: Tool) -> list[str]:
    head = [f"#### `{tool.name}`: {tool.title}", "", tool.description, "",
            f"Scope `{tool.scope}`. Hints: {hints_of(tool)}."]
    if tool.path_argument:
        kind = "Wiki page policies (`wiki:` globs)" if tool.path_namespace == "wiki" else "Path policies"
        head.append(f"{kind} apply to `{tool.path_argument}`.")
    return [*head, "", *argument_rows(tool), ""]


def summary(tools: tuple[Tool, ...]) -> list[str]:
    rows = ["| tool | toolset | scope | title |", "|---|---|---|---|"]
    rows += [f"| [`{t.name}`](#{t.name}-{anchor_of(t.title)}) | {t.toolset} | `{t.scope}` | {t.title} |"
             for t in tools]
    return [*rows, ""]


def anchor_of(title: str) -> str:
    """The GitHub heading anchor of the part after `name`: lower case, spaces to dashes."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def section() -> str:
    tools = all_tools()
    lines = [f"{len(tools)} tools ({sum(t.is_write for t in tools)} of them write tools). "
             "Generated from `app.tools.all_tools()` by `python scripts/render_tool_docs.py`.", ""]
    lines += summary(tools)
    for toolset in dict.fromkeys(t.toolset for t in tools):
        lines += [f"### Toolset `{toolset}`", ""]
        for tool in (t for t in tools if t.toolset == toolset):
            lines += tool_section(tool)
    return "\n".join(lines).rstrip()


def render(text: str) -> str:
    return replace_section(text, BEGIN, END, section())


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text()))
