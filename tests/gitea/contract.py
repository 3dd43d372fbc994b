"""Check requests the emulator recorded against Gitea's swagger: route, method, query and body names.

Run it at the end of any test session that talked to the emulator:
    problems = check_recorded_requests(state_dir / "requests.jsonl")
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SWAGGER = Path(__file__).resolve().parent / "swagger" / "swagger.v1.json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}


@cache
def load_swagger(path: Path = SWAGGER) -> dict[str, Any]:
    """Return the parsed swagger document."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def resolve(swagger: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref to its definition."""
    ref = schema.get("$ref")
    if not ref:
        return schema
    return dict(swagger["definitions"][ref.rsplit("/", 1)[-1]])


def operation(swagger: dict[str, Any], method: str, template: str) -> dict[str, Any] | None:
    """Return the swagger operation for a method and path template."""
    path_item = swagger["paths"].get(template)
    if path_item is None or method.lower() not in HTTP_METHODS:
        return None
    found = path_item.get(method.lower())
    if found is None:
        return None
    shared = path_item.get("parameters", [])
    return {**found, "parameters": [*shared, *found.get("parameters", [])]}


def query_names(op: dict[str, Any]) -> set[str]:
    """Return the query parameter names an operation declares."""
    return {p["name"] for p in op["parameters"] if p.get("in") == "query"}


def body_names(swagger: dict[str, Any], op: dict[str, Any]) -> set[str] | None:
    """Return the JSON body's property names, or None when the operation takes no object body."""
    for param in op["parameters"]:
        if param.get("in") == "body":
            schema = resolve(swagger, param.get("schema", {}))
            return set(schema.get("properties", {})) if schema.get("type", "object") == "object" else None
    return None


def check_request(swagger: dict[str, Any], entry: dict[str, Any]) -> list[str]:
    """Return what is wrong with one recorded request (empty when it matches the swagger)."""
    method, template = entry["method"], entry.get("template")
    where = f"{method} {template or entry.get('path')}"
    if template is None:
        return [f"{where}: no emulator route matched, so no swagger operation either"]
    op = operation(swagger, method, template)
    if op is None:
        return [f"{where}: not an operation in the swagger"]
    problems = [f"{where}: query parameter {name!r} not in the swagger"
                for name in entry.get("query", []) if name not in query_names(op)]
    declared = body_names(swagger, op)
    sent = entry.get("body", [])
    if sent and declared is None:
        problems.append(f"{where}: sent a JSON object body, the swagger declares none")
    problems += [f"{where}: body field {name!r} not in the swagger" for name in sent
                 if declared is not None and name not in declared]
    return problems


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Return every JSON line of a recording."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check_recorded_requests(path: Path | str, swagger_path: Path = SWAGGER) -> list[str]:
    """Return one line per distinct problem in a requests.jsonl recording."""
    swagger = load_swagger(swagger_path)
    problems: dict[str, None] = {}
    for entry in read_entries(Path(path)):
        problems.update(dict.fromkeys(check_request(swagger, entry)))
    return list(problems)


def recorded_routes(path: Path | str) -> set[str]:
    """Return "METHOD template" for every route a recording contains."""
    return {f"{e['method']} {e.get('template')}" for e in read_entries(Path(path))}
