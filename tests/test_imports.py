"""The import graph of app/, blueprints/ and schemas/ has no cycle, deferred imports included.

Imports flow one way (blueprints -> app -> schemas, DESIGN.md); inside a package, modules depend on
each other without a circle, so each can be read, tested and replaced on its own. grimp reads every
import statement, also those deferred into functions. Imports under `if TYPE_CHECKING:` are left out:
they never run, and a type may name its user (the Handler protocol names the ToolCall it receives).
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

PACKAGES = ("app", "blueprints", "schemas")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(edges[node]):
                work.append((node, child + 1))
                target = edges[node][child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            for target in edges[node]:
                if target in on_stack:
                    low[node] = min(low[node], low[target])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in edges[node]:
                    groups.append(sorted(group))
    return groups


def test_no_import_cycle_in_the_service_packages() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("p.a", "p.b", "p.c", "p.d"):
        graph.add_module(module)
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_imports_inside_functions_are_seen() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert "app.config" in graph.find_modules_directly_imported_by("app")  # load_settings imports it lazily


CORE_PACKAGES = ("app/tools", "app/policy", "app/audit", "app/gitea", "app/automation")
FLASK_GLOBALS = {"current_app", "request", "g", "session", "has_request_context", "has_app_context"}


def flask_globals_imported(root: Path) -> list[str]:
    """`module: name` for each Flask global a module under `root` imports (anywhere in the file)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                found += [f"{path}: {alias.name}" for alias in node.names if alias.name in FLASK_GLOBALS]
    return found


def test_the_tool_core_policy_audit_and_gitea_client_read_no_flask_globals() -> None:
    """Automation jobs and the scheduler call execute_tool with no request: nothing below the
    transports may need one."""
    root = Path(__file__).resolve().parents[1]
    assert [hit for package in CORE_PACKAGES for hit in flask_globals_imported(root / package)] == []


def test_the_flask_globals_check_sees_an_import(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    from flask import current_app\n    return current_app\n")
    assert flask_globals_imported(tmp_path) == [f"{tmp_path / 'm.py'}: current_app"]
