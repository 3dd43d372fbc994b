"""Protocol revisions: which era a request belongs to, and the 2026-07-28 validation ladder."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from werkzeug.datastructures import Headers

from app.mcp.jsonrpc import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    UNSUPPORTED_PROTOCOL_VERSION,
    Message,
    RequestId,
    RpcError,
)

HeaderMap = Headers | Mapping[str, str]
MODERN_VERSIONS = ("2026-07-28",)
LEGACY_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_LEGACY = "2025-11-25"
# Both revisions' texts say to assume 2025-03-26 when a legacy client sends no version header.
ASSUMED_LEGACY = "2025-03-26"
BATCH_VERSION = "2025-03-26"

PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"

VERSION_HEADER = "MCP-Protocol-Version"
METHOD_HEADER = "Mcp-Method"
NAME_HEADER = "Mcp-Name"
NAME_BEARING = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_SENTINEL = re.compile(r"^=\?base64\?(?P<payload>.*)\?=$")


def header_version(headers: HeaderMap) -> str | None:
    value = headers.get(VERSION_HEADER)
    return value.strip() if value is not None else None


def is_modern(message: Message | None, headers: HeaderMap) -> bool:
    """Modern when the body carries the reserved version key, or the header names a non-legacy version."""
    if message is not None and PROTOCOL_VERSION_KEY in message.meta:
        return True
    version = header_version(headers)
    return version is not None and version not in LEGACY_VERSIONS


def modern_version(message: Message, headers: HeaderMap) -> str:
    """Run the ladder's envelope, header and version rungs; return the request's revision."""
    meta = message.meta
    version = meta.get(PROTOCOL_VERSION_KEY)
    if not isinstance(version, str) or not isinstance(meta.get(CLIENT_CAPABILITIES_KEY), dict):
        raise RpcError(
            INVALID_PARAMS,
            f"params._meta must carry {PROTOCOL_VERSION_KEY} and {CLIENT_CAPABILITIES_KEY}",
            http_status=400,
            request_id=message.id,
        )
    _require_header(headers, VERSION_HEADER, version, message.id)
    _require_header(headers, METHOD_HEADER, message.method or "", message.id)
    if message.method in NAME_BEARING:
        _require_name_header(headers, message)
    if version not in MODERN_VERSIONS:
        raise unsupported_version(version, message.id)
    return version


def unsupported_version(requested: str, request_id: RequestId | None) -> RpcError:
    return RpcError(
        UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version",
        data={"supported": list(MODERN_VERSIONS), "requested": requested},
        http_status=400,
        request_id=request_id,
    )


def _require_header(headers: HeaderMap, name: str, expected: str, request_id: RequestId | None) -> None:
    value = headers.get(name)
    if value is None or value.strip() != expected:
        raise _mismatch(name, request_id)


def _require_name_header(headers: HeaderMap, message: Message) -> None:
    body_value = message.params.get(NAME_BEARING[message.method or ""])
    value = decode_header_value(headers.get(NAME_HEADER))
    if value is None or not isinstance(body_value, str) or value != body_value:
        raise _mismatch(NAME_HEADER, message.id)


def _mismatch(name: str, request_id: RequestId | None) -> RpcError:
    return RpcError(
        HEADER_MISMATCH,
        f"Header mismatch: {name} is missing or does not match the request body",
        http_status=400,
        request_id=request_id,
    )


def decode_header_value(value: str | None) -> str | None:
    """A header value with `=?base64?...?=` decoded; a malformed sentinel decodes to None (never matches)."""
    if value is None:
        return None
    value = value.strip()
    match = _SENTINEL.fullmatch(value)
    if match is None:
        return value
    try:
        decoded = base64.b64decode(match["payload"], validate=True)
        return decoded.decode("utf-8") if base64.b64encode(decoded).decode() == match["payload"] else None
    except (binascii.Error, UnicodeDecodeError):
        return None


def negotiate(requested: object) -> str:
    """The legacy `initialize` answer: the client's version when we speak it, else our latest handshake one."""
    return requested if isinstance(requested, str) and requested in LEGACY_VERSIONS else LATEST_LEGACY


def legacy_version(headers: HeaderMap, session_version: str | None) -> str:
    """The revision of a legacy request: header, else the session's negotiated one, else the assumed default."""
    return header_version(headers) or session_version or ASSUMED_LEGACY
