"""WSGI app for the OAuth tests: the real create_app plus one throw-away write tool.

`test_create_label` (write:repository) lets the read-to-write step-up be tested without
depending on the write toolsets.
"""

from __future__ import annotations

import secrets
from typing import Any

from marshmallow import Schema

from app.auth.principal import WRITE_SCOPE
from app.config import Settings
from app.tools.registry import Annotations, Tool
from schemas.common import gitea_name


class CreateLabelArgs(Schema):
    owner = gitea_name("Repository owner")
    repo = gitea_name("Repository name")


def create_label(gitea: Any, args: dict[str, Any], _call: Any) -> dict[str, Any]:
    label = gitea.create_label(args["owner"], args["repo"], f"oauth-{secrets.token_hex(4)}", "00aabb")
    return {"name": label["name"]}


STEP_UP_TOOL = Tool(
    name="test_create_label", title="Create a label (test)", description="Creates a throw-away label.",
    toolset="labels", arguments=CreateLabelArgs, output_schema={"type": "object"}, handler=create_label,
    render=lambda structured: f"created {structured['name']}",
    annotations=Annotations(read_only=False, idempotent=False), scope=WRITE_SCOPE,
)


def build() -> Any:
    import app.tools as toolsets
    from app import create_app

    shipped = toolsets.all_tools
    toolsets.all_tools = lambda: (*shipped(), STEP_UP_TOOL)
    return create_app(Settings.from_env())


app = build()
