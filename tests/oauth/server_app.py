"""WSGI app for the OAuth tests: the real create_app, with the settings issue 6 adds and one write tool.

Settings: OAUTH_TOKEN_KEYS, OAUTH_CIMD_ALLOW_LOOPBACK and OAUTH_ACCESS_TOKEN_TTL_SECONDS are
declared here exactly as app/config.py will declare them, so the environment reaches them.
Until the write toolsets land, `test_create_label` (write:repository) lets the step-up be tested.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from marshmallow import Schema

from app.auth.principal import WRITE_SCOPE
from app.config import Secret, Settings, int_in, parse_bool, secret, setting
from app.tools.registry import Annotations, Tool
from schemas.common import gitea_name


@dataclasses.dataclass(frozen=True)
class OAuthTestSettings(Settings):
    """Settings plus the issue-6 variables."""

    # Same declarations as app/config.py uses (its file-level ruff exemption does not reach here).
    oauth_token_keys: Secret = setting(Secret(""), secret, "Sealing keys kid:base64url(32 bytes),...")  # noqa: RUF009
    oauth_cimd_allow_loopback: bool = setting(False, parse_bool, "Tests only: CIMD may fetch loopback")
    oauth_access_token_ttl_seconds: int = setting(3600, int_in(1), "Sealed access token life")


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
    return create_app(OAuthTestSettings.from_env())


app = build()
